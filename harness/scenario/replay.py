"""Replay a recorded invocation (or a whole batch, retries included) against a fresh backend.

The trace's ``invoke`` event carries the exact payload, the request id and the attempt; its
``api_call`` events carry the items each DynamoDB read returned (``read_items``). A fresh embedded
backend is deployed from the same topology (the scenario header's, or a topology file), its mappings
paused so nothing else runs, the tables seeded with those items as they were first read, and the
handler invoked again in this process with the same event and request id -- under ``pdb`` if asked,
stopping at the handler's first line. The outcome is compared with the recorded one.
"""
from __future__ import annotations

import json
import pdb
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.harness import Harness
from harness.runtime.functions import InvocationRequest
from harness.runtime.invoker import InvocationResult
from harness.scenario import registry
from harness.scenario.observations import read_header
from harness.topology import Topology
from harness.trace import Trace, TraceEvent


class NotReplayable(ValueError):
    """The trace lacks what a replay needs; the message says what and how to record it."""


@dataclass(frozen=True)
class Outcome:
    """A recorded invocation and its replay: ``same`` when both succeeded with the same response or both
    failed with the same error type and message."""

    request_id: str
    function: str
    attempt: int
    recorded: dict[str, Any]
    replayed: dict[str, Any]
    faults: tuple[str, ...] = ()   # faults the recorded run injected into this invocation

    @property
    def same(self) -> bool:
        return self.recorded == self.replayed


def outcome_of(event: TraceEvent | InvocationResult | None) -> dict[str, Any]:
    if event is None:
        return {"outcome": "unknown"}
    if isinstance(event, InvocationResult):
        return ({"outcome": "result", "response": json.loads(json.dumps(event.response, default=repr))} if event.ok
                else {"outcome": "error", "error_type": event.error_type, "error_message": event.error_message})
    if event["kind"] == "result":
        return {"outcome": "result", "response": event.get("response")}
    return {"outcome": "error", "error_type": event.get("error_type"), "error_message": event.get("error_message")}


def invocations(trace: Trace, *, request_id: str | None = None, batch_id: str | None = None) -> list[TraceEvent]:
    """The ``invoke`` events to replay, in the order they ran; NotReplayable if none or without payload."""
    where = {"request_id": request_id} if request_id else {"batch_id": batch_id}
    found = [e for e in trace.of("invoke", **where) if "duplicate_of" not in e]
    if not found:
        what = f"invocation {request_id}" if request_id else f"batch {batch_id}"
        known = sorted({str(e.get("batch_id")) for e in trace.of("invoke") if e.get("batch_id")})[:5] if batch_id \
            else [e["request_id"] for e in trace.of("invoke")][:5]
        raise NotReplayable(f"the trace has no {what} (e.g. {', '.join(known) or 'no invocations at all'})")
    for e in found:
        if "event" not in e:
            raise NotReplayable(f"invocation {e['request_id']} was traced without its payload "
                                f"(record with trace_payloads on, the default)")
    return found


def seed_items(trace: Trace, request_ids: Sequence[str], key_of: Callable[[str, dict[str, Any]], Any]) \
        -> dict[str, list[dict[str, Any]]]:
    """Per table (as named in the trace): the items these invocations read, each as first read."""
    out: dict[str, dict[Any, dict[str, Any]]] = {}
    for rid in request_ids:
        for call in trace.of("api_call", request_id=rid):
            table = call.get("resource")
            for item in call.get("read_items", []) if table else []:
                out.setdefault(table, {}).setdefault(key_of(table, item), item)
    return {t: list(items.values()) for t, items in out.items()}


def _logical_tables(tables: Sequence[Any]) -> Callable[[str], str]:
    """The topology's table a recorded (prefixed) table name was deployed from: the longest logical
    name it ends with, so a replay runs under any prefix."""
    names = sorted((t.name for t in tables), key=len, reverse=True)

    def logical_of(recorded: str) -> str:
        for name in names:
            if recorded.endswith(name):
                return name
        raise NotReplayable(f"the trace read table {recorded!r}, which is none of the topology's "
                            f"({', '.join(names)})")
    return logical_of


def topology_of(trace: Trace, workdir: Path, topology: Topology | str | Path | None) -> Topology:
    if isinstance(topology, Topology):
        return topology
    if topology is not None:
        return Topology.from_file(topology)
    try:
        header = read_header(trace)
    except Exception as e:
        raise NotReplayable(f"the trace has no scenario header ({e}): pass the topology file") from None
    scenario = registry.get(header["name"])
    config = scenario.Config.from_dict(header["config"])
    return scenario.topology(config, scenario.generate(config), workdir)  # type: ignore[no-any-return]


@contextmanager
def _under_pdb(invoker: Any) -> Iterator[None]:
    """Run the in-process handler under pdb, stopping at its first line."""
    handler = getattr(invoker, "handler", None)
    if handler is None:
        raise NotReplayable("--pdb needs the in-process invoker (the function runs in worker processes)")
    # the process's own stdout: during an invocation sys.stdout routes the handler's prints to its logs
    debugger = pdb.Pdb(stdin=sys.stdin, stdout=sys.__stdout__)
    invoker.handler = lambda event, context: debugger.runcall(handler, event, context)
    try:
        yield
    finally:
        invoker.handler = handler


def replay(trace: Trace, *, request_id: str | None = None, batch_id: str | None = None,
           topology: Topology | str | Path | None = None, debug: bool = False, prefix: str = "replay-",
           backend: Any = "embedded") -> list[Outcome]:
    """Replay one invocation (``request_id``) or every invocation of a batch (``batch_id``)."""
    todo = invocations(trace, request_id=request_id, batch_id=batch_id)
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        topo = topology_of(trace, Path(tmp), topology)
        with Harness(topo, backend=backend, prefix=prefix) as h, h.paused():
            logical_of = _logical_tables(topo.tables)
            keys = {t.name: [k.name for k in (t.hash_key, t.range_key) if k] for t in topo.tables}
            ddb = h.client("dynamodb")
            reads = seed_items(trace, [e["request_id"] for e in todo],
                               lambda table, item: json.dumps([item.get(k) for k in keys[logical_of(table)]]))
            for table, items in reads.items():
                for item in items:
                    ddb.put_item(TableName=h.table_name(logical_of(table)), Item=item)
            out = []
            for e in todo:
                fn = e["function"]
                request = InvocationRequest(fn, e["event"], attempt=e.get("attempt", 1), request_id=e["request_id"])
                with _under_pdb(h.runtime.functions.invoker(fn)) if debug else nullcontext():
                    result = h.runtime.functions.invoke(request)
                ended = trace.of("result", "error", request_id=e["request_id"])
                faults = tuple(sorted({f["fault"] for f in trace.of("fault", request_id=e["request_id"])}))
                out.append(Outcome(e["request_id"], fn, e.get("attempt", 1), outcome_of(ended[0] if ended else None),
                                   outcome_of(result), faults))
    return out


__all__ = ["NotReplayable", "Outcome", "invocations", "replay", "seed_items"]
