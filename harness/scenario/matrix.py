"""The reliability matrix: every fault kind against every scenario that joins it, at small sizes.

A scenario joins by setting ``reliability = Reliability(...)`` on its class: the options of a small
run and how to pick a record to poison from its plan. Each cell runs the scenario's robust variant
under one fault kind and says what happened: ``passes`` (every oracle passed, the accounting identity
holds, every key's records were handled in order), ``fails: CHECKS`` or ``stuck`` (drain raised, naming
what is stuck: the cell's notes).
"""
from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.backends import Backend
from harness.runtime import DrainError
from harness.runtime.faults import Fault, FaultPlan
from harness.scenario import registry
from harness.scenario.base import Scenario
from harness.scenario.driver import run
from harness.trace import Trace


@dataclass(frozen=True)
class Reliability:
    """How a scenario joins the matrix: ``small`` config options, the ``variant`` that should be robust
    (default: the first), ``poison_key`` a key value of a record in the plan."""

    small: Mapping[str, Any]
    poison_key: Callable[[Any], str]
    variant: str = ""
    drain_timeout: float = 15.0


#: fault kind -> the plan of a cell (the poison record comes from the scenario's plan)
FAULTS: dict[str, Callable[[str], tuple[Fault, ...]]] = {
    # every first attempt fails (an error strikes before the handler runs): a cell always injects, whatever the batching
    "error": lambda _: (Fault("error", rate=1.0),),
    "poison": lambda key: (Fault("poison", key=key),),
    # the first attempt of every invocation: a cell's verdict never hangs on which batches a rate happened to pick
    "timeout": lambda _: (Fault("timeout", rate=1.0),),
    "latency": lambda _: (Fault("latency", rate=1.0, latency_ms=20),),  # every invocation: always injects
    # one throttled HTTP attempt per hit call: the SDK's standard retry mode backs off up to a second
    "throttle": lambda _: tuple(Fault("throttle", service=s, rate=0.2) for s in ("dynamodb", "events", "sqs", "sns")),
    "put_events_failure": lambda _: (Fault("put_events_failure", rate=1.0),),  # every entry, first attempts only
    "duplicate": lambda _: (Fault("duplicate", rate=1.0),),  # every first-attempt invocation delivered twice
}


POISON_DRAIN_S = 5.0


@dataclass(frozen=True)
class Cell:
    scenario: str
    fault: str
    outcome: str                       # passes | fails: CHECKS | stuck (notes: what drain said)
    injected: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def members() -> list[str]:
    """The installed scenarios that joined the matrix."""
    out = []
    for name in registry.names():
        if getattr(registry.get(name), "reliability", None) is not None:
            out.append(name)
    return out


def out_of_order(trace: Trace) -> list[str]:
    """Keys whose records were first handled out of stream order (kept results of a mapping; a redelivered
    duplicate repeats records already handled, as at-least-once delivery may)."""
    invokes = {e["request_id"]: e for e in trace.of("invoke") if "mapping" in e and "event" in e}
    last: dict[str, int] = {}
    bad = set()
    for result in trace.of("result"):
        inv = invokes.get(result["request_id"])
        if inv is None or "duplicate_of" in inv:
            continue
        for r in inv["event"].get("Records", []):
            key = repr(sorted(r.get("dynamodb", {}).get("Keys", {}).items()))
            seq = int(r.get("dynamodb", {}).get("SequenceNumber", 0))
            if seq < last.get(key, -1):
                bad.add(key)
            last[key] = max(seq, last.get(key, -1))
    return sorted(bad)


def run_cell(name: str, fault: str, *, backend: Backend | None = None, seed: int = 1) -> Cell:
    scenario: Scenario[Any, Any] = registry.get(name)
    rel: Reliability = scenario.reliability  # type: ignore[attr-defined]
    # a poison record is retried for ever (streams' MaximumRetryAttempts -1): drain can only name it
    config = scenario.config(**rel.small, variant=rel.variant,
                             drain_timeout=POISON_DRAIN_S if fault == "poison" else rel.drain_timeout)
    plan = scenario.generate(config)
    faults = FaultPlan(FAULTS[fault](rel.poison_key(plan)), seed=seed)
    with tempfile.TemporaryDirectory(prefix="matrix-") as tmp:
        path = Path(tmp) / "trace.jsonl"
        try:
            report = run(scenario, config, plan=plan, backend=backend, prefix=f"m{uuid.uuid4().hex[:6]}-",
                         faults=faults, trace_path=path)
        except DrainError as e:
            return Cell(name, fault, "stuck", notes=(str(e),))
        trace = Trace.read_jsonl(path)
    injected = len(trace.of("fault")) - 1
    failed = [c.name for c in report.failed]
    stats = report.mapping_stats or {}
    if stats and stats["seen"] != stats["succeeded"] + stats["filtered"] + stats["given_up"] + stats["dropped"]:
        failed.append("accounting")
    if out_of_order(trace):
        failed.append("order_per_key")
    if failed:
        return Cell(name, fault, "fails: " + ", ".join(failed), injected)
    return Cell(name, fault, "passes" if injected else "passes (nothing to inject)", injected)


def markdown(cells: Mapping[tuple[str, str], str], scenarios: Sequence[str]) -> str:
    """The matrix as a Markdown table: a row per fault kind, a column per scenario."""
    lines = ["| fault | " + " | ".join(f"{s} (`{_variant(s)}`)" for s in scenarios) + " |",
             "|---|" + "---|" * len(scenarios)]
    for fault in FAULTS:
        lines.append(f"| {fault} | " + " | ".join(cells.get((s, fault), "") for s in scenarios) + " |")
    return "\n".join(lines)


def _variant(name: str) -> str:
    scenario = registry.get(name)
    return scenario.reliability.variant or scenario.variants[0]  # type: ignore[attr-defined,no-any-return]


__all__ = ["FAULTS", "Cell", "Reliability", "markdown", "members", "out_of_order", "run_cell"]
