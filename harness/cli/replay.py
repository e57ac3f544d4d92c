"""``harness replay TRACE --invocation REQUEST_ID [--pdb]`` and ``--batch BATCH_ID``."""
from __future__ import annotations

import json
import sys

import click

from harness.scenario.registry import ScenarioLoadError, UnknownScenario
from harness.scenario.replay import NotReplayable, replay
from harness.trace import Trace


@click.command("replay")
@click.argument("trace_path", metavar="TRACE.jsonl", type=click.Path(exists=True, dir_okay=False))
@click.option("--invocation", "request_id", help="The request id of the invocation to replay.")
@click.option("--batch", "batch_id", help="Replay every invocation of this batch (its retries and splits), in order.")
@click.option("--pdb", "debug", is_flag=True, help="Stop in pdb at the handler's first line.")
@click.option("--topology", type=click.Path(exists=True, dir_okay=False),
              help="The topology file (default: the scenario named in the trace's header).")
def replay_command(trace_path: str, request_id: str | None, batch_id: str | None, debug: bool,
                   topology: str | None) -> None:
    """Re-invoke a recorded invocation's handler with its exact event, request id and attempt, against a
    fresh embedded backend seeded with the table items that invocation read (mappings paused), and say
    whether it ends as it did. Exit 0 if every replay ends the same, 1 if one differs, 2 if the trace
    cannot be replayed."""
    if (request_id is None) == (batch_id is None):
        raise click.UsageError("give exactly one of --invocation REQUEST_ID and --batch BATCH_ID")
    try:
        outcomes = replay(Trace.read_jsonl(trace_path), request_id=request_id, batch_id=batch_id,
                          topology=topology, debug=debug)
    except (NotReplayable, UnknownScenario, ScenarioLoadError) as e:
        raise click.UsageError(f"{trace_path}: {e}") from None
    for o in outcomes:
        click.echo(f"{o.request_id}  {o.function}  attempt {o.attempt}  "
                   f"{'same' if o.same else 'DIFFERENT'}")
        click.echo(f"  recorded: {json.dumps(o.recorded, default=str)}")
        click.echo(f"  replayed: {json.dumps(o.replayed, default=str)}")
        if o.faults:
            click.echo(f"  the recorded run injected: {', '.join(o.faults)} (not injected again)")
    sys.exit(0 if all(o.same for o in outcomes) else 1)
