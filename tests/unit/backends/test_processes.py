"""Child servers: watched, forked by the spawner thread, isolated (no real servers: tiny Python children)."""
from __future__ import annotations

import shutil
import socket
import sys
import threading
from pathlib import Path

from harness.backends.processes import BackendDied, Listener, ManagedProcess, exit_status

SLEEPER = [sys.executable, "-P", "-c", "import time; time.sleep(60)"]


def _child(code: str, **kwargs: object) -> ManagedProcess:
    return ManagedProcess("child", [sys.executable, "-P", "-c", code], lambda port: True, port=1, **kwargs)  # type: ignore[arg-type]


def test_exit_status_names_the_signal() -> None:
    assert exit_status(3) == "exited with status 3"
    assert exit_status(-9) == "was killed by SIGKILL"


def test_a_child_that_dies_by_itself_is_reported_and_keeps_its_log() -> None:
    p = _child("import sys; print('out of memory, giving up', flush=True); sys.exit(3)")
    seen: list[BackendDied] = []
    done = threading.Event()
    p.on_exit(lambda e: (seen.append(e), done.set()))
    p.start()
    assert done.wait(30)
    assert p.failure is seen[0] and p.failure.returncode == 3
    assert "child" in str(p.failure) and "exited with status 3" in str(p.failure)
    assert "out of memory, giving up" in str(p.failure)
    p.stop()
    assert p.log_path.exists()  # kept: the error names it
    late: list[BackendDied] = []
    p.on_exit(late.append)  # registered after the death: called at once
    assert late == [p.failure]
    shutil.rmtree(p.workdir)


def test_a_stopped_child_is_no_failure_and_leaves_nothing() -> None:
    p = ManagedProcess("sleeper", SLEEPER, lambda port: True, port=1).start()
    workdir = p.workdir
    assert workdir.stat().st_mode & 0o077 == 0 and p.log_path.parent == workdir
    p.stop()
    assert p.failure is None and not workdir.exists()


def test_the_child_runs_in_its_private_directory() -> None:
    p = _child("import os; print(os.getcwd(), flush=True)")
    done = threading.Event()
    p.on_exit(lambda e: done.set())
    p.start()
    assert done.wait(30)
    assert p.log_tail().strip() == str(p.workdir)
    p.stop()


def test_a_child_outlives_the_thread_that_started_it() -> None:
    procs: list[ManagedProcess] = []
    t = threading.Thread(target=lambda: procs.append(ManagedProcess("sleeper", SLEEPER, lambda port: True,
                                                                    port=1).start()))
    t.start()
    t.join()
    p = procs[0]
    try:
        assert p._proc is not None
        # the fork happened on the spawner thread, which is still alive: its end would be the death signal
        assert any(th.name == "streamharness-server-spawner" and th.is_alive() for th in threading.enumerate())
        assert p.failure is None
    finally:
        p.stop()


def test_the_child_serves_on_the_socket_bound_here() -> None:
    listener = Listener()
    code = ("import socket, sys; s = socket.socket(fileno=int(sys.argv[1])); c, _ = s.accept(); "
            "c.sendall(b'hello'); c.close(); import time; time.sleep(60)")
    p = ManagedProcess("server", [sys.executable, "-P", "-c", code, str(listener.fd)], lambda port: True,
                       listener=listener).start()
    try:
        with socket.create_connection(("127.0.0.1", p.port), timeout=30) as c:
            assert c.recv(5) == b"hello"
    finally:
        p.stop()
    assert Path(p.workdir).exists() is False
