"""``harness up``: a backend with a topology deployed and running, until Ctrl-C."""
from __future__ import annotations

import shlex
import threading

import click

from harness.cli.sources import load_topology, topology_options
from harness.topology import ValidationException


@click.command()
@topology_options
@click.option("--handlers", "handlers", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Directory put on sys.path for handler modules (repeatable).")
@click.option("--backend", default="embedded", show_default=True)
@click.option("--prefix", default="sh-", show_default=True, help="Prefix of every deployed resource name.")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False, writable=True),
              help="On exit, write the trace here as JSON lines.")
def up(topology_path: str | None, template_path: str | None, parameters: tuple[str, ...], handlers: tuple[str, ...],
       backend: str, prefix: str, trace_path: str | None) -> None:
    """Start the backend, deploy the topology (or template), run its functions and mappings; Ctrl-C stops everything.

    Prints the endpoints and the AWS_ENDPOINT_URL_<SERVICE> exports: paste them into another shell
    and the AWS CLI or your own code reaches the backend.
    """
    from harness import Harness

    topology = load_topology(topology_path, template_path, parameters)
    try:
        h = Harness(topology, backend=backend, prefix=prefix, handlers_path=handlers)
    except ValidationException as e:
        raise click.ClickException(str(e)) from None
    with h:
        click.echo(f"backend {h.backend.name} ready in {h.timings['startup_s']:.2f}s "
                   f"(servers {h.timings['backend_start_s']:.2f}s)")
        for service, url in h.backend.endpoints.items():
            click.echo(f"  {service:16} {url}")
        click.echo("\n# paste into another shell:")
        for k, v in h.environment().items():
            click.echo(f"export {k}={shlex.quote(v)}")
        click.echo("\nresources:")
        for name, t in h.deployment.tables.items():
            click.echo(f"  table {name} -> {t.name}  stream {t.stream_arn}")
        for name, q in h.deployment.queues.items():
            click.echo(f"  queue {name} -> {q.url}")
        for name in getattr(h.deployment, "buses", {}):
            click.echo(f"  event bus {name} -> {h.bus_name(name)}")
        for rule in h.topology.rules:
            targets = ", ".join(t.arn for t in rule.targets)
            click.echo(f"  rule {rule.name} on {rule.bus} -> {targets} ({rule.state})")
        for name in getattr(h.deployment, "topics", {}):
            click.echo(f"  topic {name} -> {h.topic_arn(name)}")
        for m in h.topology.event_source_mappings:
            click.echo(f"  mapping {m.name}: {m.source} -> {m.function}")
        try:  # Ctrl-C right after the line below is still a clean stop
            click.echo("\nrunning; Ctrl-C to stop", err=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopping", err=True)
        finally:
            if trace_path:
                h.trace.write_jsonl(trace_path)
