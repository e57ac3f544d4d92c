"""``harness up``: a backend with a topology deployed and running, shown live, until Ctrl-C or SIGTERM."""
from __future__ import annotations

import shlex
import signal
import threading
from typing import Any

import click
from rich.console import Console

from harness.cli.backend import backend_options, select_backend
from harness.cli.checks import handler_problems
from harness.cli.exits import HARNESS_FAILED, check_output_path, describe, fail, failure_code
from harness.cli.control import ControlServer
from harness.cli.sources import load_topology, topology_options
from harness.cli.live import JsonLinesSink, LiveConsole, StatusBar, stats_table, status_line
from harness.topology import ValidationException

@click.command()
@topology_options
@click.option("--handlers", "handlers", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Directory put on sys.path for handler modules (repeatable; the current directory always is).")
@backend_options
@click.option("--prefix", default="sh-", show_default=True, help="Prefix of every deployed resource name.")
@click.option("--adopt", is_flag=True,
              help="Use existing same-named resources that lack streamharness's tag (never deleted) instead of "
                   "refusing to touch them.")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False),
              help="Write every trace event to this file as it happens (JSON lines; `tail -f` works).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors, give-ups, dead letters and divergences.")
@click.option("--control-port", type=click.IntRange(0, 65535),
              help="Serve the loopback control endpoint (drain, stats, resources) on 127.0.0.1:PORT (0: a free port).")
def up(topology_path: str | None, template_path: str | None, parameters: tuple[str, ...], handlers: tuple[str, ...],
       backend: str, endpoint: str | None, prefix: str, adopt: bool, trace_path: str | None, quiet: bool,
       control_port: int | None) -> None:
    """Start the backend, deploy the topology (or template), run its functions and mappings, and show what they do.

    Prints the endpoints and the AWS_ENDPOINT_URL_<SERVICE> exports: paste them into another shell and the
    AWS CLI or your own code reaches the backend. Then one line per invocation (function, what it was given,
    duration, outcome), the handlers' output, every error with the handler's traceback once, and every
    retry, split, give-up, dead letter and divergence. Ctrl-C or SIGTERM stops everything and prints the
    per-mapping statistics; exit 0, or 2 for bad input, 3 if the harness or a backend failed.
    """
    select_backend(backend, endpoint)
    try:
        topology = load_topology(topology_path, template_path, parameters)
    except click.UsageError as e:
        fail(e.message)
    problems = handler_problems(topology, handlers)
    if problems:
        fail("\n       ".join(problems))
    sink = _open_trace(trace_path)
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:  # CI logs: lines are never cut or folded at 80 columns
        console = Console(highlight=False, soft_wrap=True, width=160)
    from harness import Harness

    try:
        h = Harness(topology, backend=backend, prefix=prefix, handlers_path=handlers, adopt=adopt)
    except (ValidationException, ValueError, TypeError) as e:
        fail(str(e))
    live = LiveConsole(console, quiet=quiet)
    unsubscribe = [h.trace.subscribe(live)] + ([h.trace.subscribe(sink)] if sink else [])
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        try:
            h.start()
        except Exception as e:  # a backend or deploy failure: name it, no traceback
            h.stop()
            fail(f"the harness could not start: {describe(e)}", failure_code(e))
        died: list[BaseException] = []
        stop = threading.Event()
        h.backend.on_failure(lambda e: (died.append(e), stop.set()))  # a server died: stop waiting, say which
        control = None if control_port is None else ControlServer(h, control_port, trace_path)
        try:  # Ctrl-C right after "running" is still a clean stop
            if control is not None:
                console.print(f"control {control.url}", markup=False)
            _print_ready(h, console)
            with StatusBar(console, lambda: status_line(h.stats(), live.counts)):
                while not stop.wait(0.5):
                    pass
        except KeyboardInterrupt:
            pass
        if control is not None:
            control.close()
        console.print("stopping", style="bold")
        console.print(stats_table(h.stats()))
        h.stop()
        if died:
            fail(str(died[0]), HARNESS_FAILED)
    finally:
        signal.signal(signal.SIGTERM, previous)
        for u in unsubscribe:
            u()
        if sink is not None:
            sink.close()
            console.print(f"trace: {sink.written} events written to {sink.path}")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops like Ctrl-C: "stopping", the statistics, the trace


def _open_trace(path: str | None) -> JsonLinesSink | None:
    """Checked before anything starts: a run must not end in 'cannot write the trace'."""
    if path is None:
        return None
    check_output_path(path, "--trace")
    try:
        return JsonLinesSink(path)
    except OSError as e:
        fail(f"--trace {path}: {e.strerror}")


def _print_ready(h: Any, console: Console) -> None:
    out = console.print
    out(f"backend {h.backend.name} ready in {h.timings['startup_s']:.2f}s "
        f"(servers {h.timings['backend_start_s']:.2f}s)")
    for service, url in h.backend.endpoints.items():
        out(f"  {service:16} {url}")
    out("\n# paste into another shell:")
    for k, v in h.environment().items():
        out(f"export {k}={shlex.quote(v)}", markup=False)
    out("\nresources:")
    dep = h.deployment
    for name, t in dep.tables.items():
        out(f"  table {name} -> {t.name}  stream {t.stream_arn}", markup=False)
    for name, q in dep.queues.items():
        out(f"  queue {name} -> {q.url}", markup=False)
    for name in dep.buses:
        out(f"  event bus {name} -> {h.bus_name(name)}", markup=False)
    for rule in h.topology.rules:
        targets = ", ".join(t.arn for t in rule.targets)
        out(f"  rule {rule.name} on {rule.bus} -> {targets} ({rule.state})", markup=False)
    for name in dep.topics:
        out(f"  topic {name} -> {h.topic_arn(name)}", markup=False)
    for m in h.topology.event_source_mappings:
        out(f"  mapping {m.name}: {m.source} -> {m.function}", markup=False)
    out("\nrunning; Ctrl-C to stop", style="bold")
