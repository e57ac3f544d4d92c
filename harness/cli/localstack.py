"""``harness localstack start|stop|status``: one LocalStack on the host for many runs, no Docker."""
from __future__ import annotations

import sys

import click

from harness.backends.localstack import SERVICES, LocalStackUnavailable, health, missing_services


@click.group("localstack")
def localstack_group() -> None:
    """A LocalStack kept running across runs (installed into ~/.cache/streamharness on first use).

    \b
    harness localstack start            # on 127.0.0.1:4566, where --backend localstack looks first
    harness run ip-dedup --backend localstack
    harness localstack stop
    """


@localstack_group.command("start")
@click.option("--port", default=4566, show_default=True, type=click.IntRange(1, 65535), help="Port on 127.0.0.1.")
def start(port: int) -> None:
    """Start LocalStack in the background and wait until its services are up."""
    from harness.backends.localstack import daemon

    try:
        state = daemon.start(port)
    except LocalStackUnavailable as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"LocalStack running at {state['url']} (pid {state['pid']}); services: {', '.join(SERVICES)}")
    click.echo(f"export LOCALSTACK_ENDPOINT={state['url']}")


@localstack_group.command("stop")
def stop() -> None:
    """Stop the LocalStack `harness localstack start` left running."""
    from harness.backends.localstack import daemon

    state = daemon.stop()
    click.echo(f"stopped LocalStack at {state['url']} (pid {state['pid']})" if state else "no LocalStack was running")


@localstack_group.command("status")
@click.option("--endpoint", metavar="URL", default=None, help="Ask this LocalStack (default: the one started here, "
              "else http://127.0.0.1:4566).")
def status(endpoint: str | None) -> None:
    """Say whether LocalStack answers and which of the harness's services it lacks (exit 1 if not ready)."""
    from harness.backends.localstack import daemon

    state = daemon.read_state()
    url = endpoint or (state["url"] if state else "http://127.0.0.1:4566")
    doc = health(url)
    if doc is None:
        click.echo(f"no LocalStack answers at {url}")
        sys.exit(1)
    missing = missing_services(doc)
    click.echo(f"LocalStack {doc.get('version', '?')} at {url}" + (f" (pid {state['pid']})" if state else ""))
    click.echo(f"missing services: {', '.join(missing)}" if missing else "all services the harness needs are up")
    sys.exit(1 if missing else 0)
