"""The moto server, serving on a listening socket inherited from the harness (``argv[1]``: its fd).

Started as a file with ``python -P`` from a private directory, so neither the user's current
directory nor this file's directory is on ``sys.path``: only installed packages are importable.
"""
from __future__ import annotations

import os
import socket
import sys


def main() -> None:
    fd = int(sys.argv[1])
    port = socket.socket(fileno=os.dup(fd)).getsockname()[1]
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto's own main does: some URLs it builds name the port
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler, fd=fd).serve_forever()


if __name__ == "__main__":
    main()
