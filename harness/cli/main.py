"""``harness``: run and judge scenarios, bring a topology up for poking, check filter patterns."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.cli.bench.command import bench_command
from harness.cli.bugs import bugs_command
from harness.cli.filters import test_filter
from harness.cli.localstack import localstack_group
from harness.cli.load import load
from harness.cli.run import judge, list_scenarios, run_group
from harness.cli.replay import replay_command
from harness.cli.trace import trace_command
from harness.cli.up import up


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="streamharness", prog_name="harness")
def cli() -> None:
    """Run DynamoDB Streams -> Lambda -> EventBridge pipelines locally, with AWS's semantics.

    \b
    Quick start:
      harness scenarios
      harness run ip-dedup --packets 20000 --ips 2000 --slots 10 --trace trace.jsonl
      harness judge trace.jsonl
      harness up --topology pipeline.yaml --handlers src/

    The default backend is 'embedded': DynamoDB Local (fetched once into ~/.cache/streamharness)
    and a moto server, on free 127.0.0.1 ports, stopped when the command ends.
    """
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # users' handler modules resolve from the current directory


cli.add_command(run_group)
cli.add_command(list_scenarios)
cli.add_command(judge)
cli.add_command(up)
cli.add_command(load)
cli.add_command(test_filter)
cli.add_command(trace_command)
cli.add_command(localstack_group)
cli.add_command(replay_command)
cli.add_command(bugs_command)
cli.add_command(bench_command)


@cli.command("test-event-pattern")
@click.option("--pattern", required=True, help="An EventBridge event pattern; JSON text or @file.")
@click.option("--event", required=True, help="An event (the envelope targets receive); JSON text or @file.")
def test_event_pattern(pattern: str, event: str) -> None:
    """Print whether EVENT matches the pattern, like `aws events test-event-pattern` (no backend needed).

    \b
    Exit 0 with "true" or "false"; exit 2 for an invalid pattern or event.
    Example:
      harness test-event-pattern --pattern '{"source": ["shop"]}' --event @event.json
    """
    from harness.cli.filters import json_arg
    from harness.patterns import InvalidPatternError, compile_pattern

    spec = json_arg(pattern, "--pattern")
    data = json_arg(event, "--event")
    if not isinstance(data, dict):
        raise click.BadParameter("an event is a JSON object", param_hint="--event")
    try:
        compiled = compile_pattern(spec if isinstance(spec, dict) else json.dumps(spec), dialect="eventbridge")
    except InvalidPatternError as e:
        raise click.UsageError(f"InvalidEventPatternException: {e}") from None
    click.echo("true" if compiled.matches(data) else "false")


def main() -> None:
    cli(prog_name="harness")
