"""A trace read as a story: each stream record's path through the pipeline, and per-function summaries.

Pure: it takes trace events (dicts, as written to JSON lines) and returns plain values; ``harness trace``
renders them. The path of a record follows the links the trace carries: record -> filtered, or the
invocations whose ``sequence_numbers`` hold it -> their result or error -> retries, splits, give-up and
OnFailure destination (by batch id) -> the PutEvents entries its invocations made (``api_call`` entries
with event ids) -> the bus events -> deliveries to rule targets -> the target invocations and dead letters.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Event = Mapping[str, Any]


@dataclass
class Step:
    t: float
    text: str
    failed: bool = False
    depth: int = 0


@dataclass
class RecordPath:
    mapping: str
    shard: str
    sequence_number: str
    event_name: str
    keys: dict[str, str]
    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.steps)

    @property
    def key_text(self) -> str:
        return " ".join(f"{k}={v}" for k, v in sorted(self.keys.items()))


def plain_keys(keys: Mapping[str, Any]) -> dict[str, str]:
    """``{"id": {"S": "a"}}`` -> ``{"id": "a"}`` (numbers and binaries as their text)."""
    out = {}
    for name, typed in (keys or {}).items():
        value = next(iter(typed.values())) if isinstance(typed, Mapping) and typed else typed
        out[name] = str(value)
    return out


class _Index:
    """The trace's events by the links between them."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.events = sorted(events, key=lambda e: (e.get("n", 0)))
        self.start = min((float(e["t"]) for e in self.events if "t" in e), default=0.0)
        by = defaultdict(list)
        self.records: dict[tuple[str, str], Event] = {}
        self.filtered: dict[tuple[str, str], Event] = {}
        self.invokes_of: dict[tuple[str, str], list[Event]] = defaultdict(list)
        self.outcome: dict[str, Event] = {}
        self.batch_events: dict[str, list[Event]] = defaultdict(list)
        self.give_ups: dict[tuple[str, str], Event] = {}
        self.calls: dict[str, list[Event]] = defaultdict(list)
        self.bus_events: dict[str, Event] = {}
        self.after_bus: dict[str, list[Event]] = defaultdict(list)
        for e in self.events:
            kind = e.get("kind")
            by[kind].append(e)
            if kind == "record":
                self.records[(e["mapping"], e["sequence_number"])] = e
            elif kind == "filtered":
                self.filtered[(e["mapping"], e["sequence_number"])] = e
            elif kind == "invoke":
                for seq in e.get("sequence_numbers") or ():
                    self.invokes_of[(e.get("mapping", ""), seq)].append(e)
                if e.get("event_id"):
                    self.after_bus[e["event_id"]].append(e)
            elif kind in ("result", "error"):
                self.outcome[e["request_id"]] = e
            elif kind in ("retry", "split", "partial_failure", "destination"):
                self.batch_events[e.get("batch_id", "")].append(e)
            elif kind == "give_up":
                for seq in e.get("sequence_numbers") or ():
                    self.give_ups[(e["mapping"], seq)] = e
            elif kind == "api_call":
                self.calls[e.get("request_id", "")].append(e)
            elif kind == "bus_event":
                self.bus_events[e["event_id"]] = e
            elif kind in ("delivery", "dead_letter"):
                self.after_bus[e.get("event_id", "")].append(e)
        self.by_kind = by

    def at(self, e: Event) -> float:
        return float(e.get("t", self.start)) - self.start


def _outcome_step(ix: _Index, request_id: str, depth: int) -> Step | None:
    out = ix.outcome.get(request_id)
    if out is None:
        return None
    if out["kind"] == "result":
        return Step(ix.at(out), f"ok in {float(out.get('duration_ms') or 0):.1f} ms", depth=depth)
    return Step(ix.at(out), f"ERROR {out.get('error_type')}: {out.get('error_message')}", failed=True, depth=depth)


def _bus_steps(ix: _Index, request_id: str, depth: int, wanted: str | None) -> list[Step]:
    """The bus events an invocation put (PutEvents entries), each with its deliveries and what they caused."""
    steps = []
    for call in ix.calls.get(request_id, ()):
        for entry in call.get("entries") or ():
            event_id = entry.get("event_id")
            if not event_id:
                steps.append(Step(ix.at(call), f"PutEvents entry rejected: {entry.get('error_code')} "
                                              f"({entry.get('detail_type')})", failed=True, depth=depth))
                continue
            bus = ix.bus_events.get(event_id)
            if bus is None or (wanted is not None and wanted not in json.dumps(bus.get("detail"), default=str)):
                continue
            rules = ", ".join(bus.get("matched_rules") or ()) or "no rule"
            steps.append(Step(ix.at(bus), f"bus event {bus.get('bus_name')} {bus.get('detail_type')!r} "
                                          f"({event_id[:8]}) matched: {rules}", depth=depth))
            steps += _after_bus_steps(ix, event_id, depth + 1)
    return steps


def _after_bus_steps(ix: _Index, event_id: str, depth: int) -> list[Step]:
    steps = []
    for e in ix.after_bus.get(event_id, ()):
        kind = e["kind"]
        if kind == "delivery":
            ok = bool(e.get("ok"))
            steps.append(Step(ix.at(e), f"delivery rule {e.get('rule')} -> {e.get('target')} (attempt "
                                        f"{e.get('attempt')}) {'ok' if ok else 'failed: ' + str(e.get('error') or '')}",
                              failed=not ok, depth=depth))
        elif kind == "dead_letter":
            steps.append(Step(ix.at(e), f"dead letter rule {e.get('rule')} -> {e.get('target')}", failed=True,
                              depth=depth))
        elif kind == "invoke":
            steps.append(Step(ix.at(e), f"invoked {e.get('function')} (attempt {e.get('attempt')})", depth=depth))
            step = _outcome_step(ix, e["request_id"], depth + 1)
            if step is not None:
                steps.append(step)
    return steps


def record_paths(events: Iterable[Event], *, wanted: str | None = None) -> list[RecordPath]:
    """Every stream record a mapping read, with its path; ``wanted`` narrows bus events to those whose detail
    mentions it (a correlation id)."""
    ix = _Index(events)
    paths = []
    for (mapping, seq), rec in ix.records.items():
        path = RecordPath(mapping, rec.get("shard", ""), seq, rec.get("event_name", ""), plain_keys(rec.get("keys")))
        path.steps.append(Step(ix.at(rec), "read"))
        if (mapping, seq) in ix.filtered:
            path.steps.append(Step(ix.at(ix.filtered[(mapping, seq)]), "filtered out (matched no filter)"))
            paths.append(path)
            continue
        batches_seen: set[str] = set()
        for inv in ix.invokes_of.get((mapping, seq), ()):
            path.steps.append(Step(ix.at(inv), f"invoked {inv.get('function')} (batch {inv.get('batch_id')} of "
                                               f"{inv.get('size')}, attempt {inv.get('attempt')}, request "
                                               f"{str(inv.get('request_id'))[:8]})"))
            step = _outcome_step(ix, inv["request_id"], 1)
            if step is not None:
                path.steps.append(step)
            if wanted is None or wanted in path.keys.values() or wanted in path.key_text:
                path.steps += _bus_steps(ix, inv["request_id"], 1, wanted)
            batch = str(inv.get("batch_id", ""))
            if batch not in batches_seen:
                batches_seen.add(batch)
                path.steps += [_batch_step(ix, e) for e in ix.batch_events.get(batch, ())]
        give_up = ix.give_ups.get((mapping, seq))
        if give_up is not None:
            path.steps.append(Step(ix.at(give_up), f"given up ({give_up.get('condition')}) after "
                                                   f"{give_up.get('invocations')} invocations -> "
                                                   f"{give_up.get('destination') or 'dropped'}", failed=True))
        paths.append(path)
    return paths


def _batch_step(ix: _Index, e: Event) -> Step:
    kind = e["kind"]
    if kind == "retry":
        return Step(ix.at(e), f"retry {e.get('retry')} of the batch (backoff {float(e.get('backoff_s') or 0):.2f}s): "
                              f"{e.get('reason')}", depth=1)
    if kind == "split":
        return Step(ix.at(e), f"batch split into {' + '.join(str(h) for h in e.get('halves') or ())}", depth=1)
    if kind == "partial_failure":
        return Step(ix.at(e), f"handler reported {len(e.get('failed') or ())} failed records", failed=True, depth=1)
    ok = bool(e.get("ok"))
    return Step(ix.at(e), f"OnFailure record sent to {e.get('destination')}" + ("" if ok else f" FAILED: {e.get('error')}"),
                failed=not ok, depth=1)


def select(paths: Sequence[RecordPath], events: Iterable[Event], *, key: str | None = None,
           correlation_id: str | None = None, function: str | None = None, failed: bool = False,
           since: float | None = None, until: float | None = None) -> list[RecordPath]:
    """The paths a reader asked for; ``since``/``until`` are seconds from the trace's start."""
    wanted_seqs: set[tuple[str, str]] | None = None
    if correlation_id is not None:
        wanted_seqs = set()
        for e in events:  # the invocation payloads name each record's images
            if e.get("kind") == "invoke" and e.get("mapping") and isinstance(e.get("event"), Mapping):
                for rec in e["event"].get("Records") or ():
                    if "dynamodb" in rec and correlation_id in json.dumps(rec, default=str):
                        wanted_seqs.add((e.get("mapping", ""), str(rec["dynamodb"]["SequenceNumber"])))
    out = []
    for p in paths:
        if wanted_seqs is not None and correlation_id in p.keys.values():
            wanted_seqs.add((p.mapping, p.sequence_number))  # a key is the correlation id (payloads not kept)
        if key is not None and key not in p.keys.values() and key != p.key_text and \
                key not in (f"{k}={v}" for k, v in p.keys.items()):
            continue
        if wanted_seqs is not None and (p.mapping, p.sequence_number) not in wanted_seqs:
            continue
        if function is not None and not any(s.text.startswith(f"invoked {function} ") for s in p.steps):
            continue
        if failed and not p.failed:
            continue
        first = p.steps[0].t if p.steps else 0.0
        if (since is not None and first < since) or (until is not None and first > until):
            continue
        out.append(p)
    if correlation_id is not None:
        extra = _correlated_steps(_Index(events), correlation_id)
        out = [RecordPath(p.mapping, p.shard, p.sequence_number, p.event_name, p.keys,
                          sorted(p.steps + extra, key=lambda s: s.t)) for p in out]
    return out


def _correlated_steps(ix: _Index, correlation_id: str) -> list[Step]:
    """The hops outside the stream that name a correlation id: invocations made by no mapping (an API call
    into a producer, a queue consumer) whose payload mentions it, and every log line that mentions it."""
    steps = []
    for inv in ix.by_kind.get("invoke", ()):
        if inv.get("mapping") or correlation_id not in json.dumps(inv.get("event"), default=str):
            continue
        via = inv.get("source") or inv.get("rule") or "direct"
        steps.append(Step(ix.at(inv), f"invoked {inv.get('function')} ({via}, attempt {inv.get('attempt')})"))
        step = _outcome_step(ix, inv["request_id"], 1)
        if step is not None:
            steps.append(step)
    for log in ix.by_kind.get("log", ()):
        if correlation_id in str(log.get("message", "")):
            steps.append(Step(ix.at(log), f"log {log.get('function')}: {log.get('message')}", depth=1))
    return steps


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def function_summary(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Per function: invocations, errors, duration percentiles, batch sizes."""
    rows: dict[str, dict[str, Any]] = {}
    sizes: dict[str, list[int]] = defaultdict(list)
    durations: dict[str, list[float]] = defaultdict(list)
    for e in events:
        kind, fn = e.get("kind"), e.get("function")
        if kind not in ("invoke", "result", "error") or not fn:
            continue
        row = rows.setdefault(fn, {"function": fn, "invocations": 0, "errors": 0})
        if kind == "invoke":
            row["invocations"] += 1
            if e.get("size") is not None:
                sizes[fn].append(int(e["size"]))
        else:
            durations[fn].append(float(e.get("duration_ms") or 0))
            row["errors"] += kind == "error"
    for fn, row in rows.items():
        d, s = durations[fn], sizes[fn]
        row.update(p50_ms=percentile(d, 50), p95_ms=percentile(d, 95), p99_ms=percentile(d, 99),
                   batch_min=min(s, default=0), batch_mean=(sum(s) / len(s)) if s else 0.0, batch_max=max(s, default=0))
    return [rows[k] for k in sorted(rows)]


def mapping_summary(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Per mapping: records read, filtered, batches, invocations, retries, splits, records given up."""
    counted = {"record": "records", "filtered": "filtered", "batch": "batches", "invoke": "invocations",
               "error": "errors", "retry": "retries", "split": "splits"}
    rows: dict[str, dict[str, Any]] = {}
    for e in events:
        m = e.get("mapping")
        if not m or e.get("kind") not in (*counted, "give_up"):
            continue
        row = rows.setdefault(m, {"mapping": m, **{c: 0 for c in counted.values()}, "given_up": 0})
        if e["kind"] == "give_up":
            row["given_up"] += int(e.get("size") or 0)
        else:
            row[counted[e["kind"]]] += 1
    return [rows[k] for k in sorted(rows)]


__all__ = ["RecordPath", "Step", "function_summary", "mapping_summary", "percentile", "plain_keys", "record_paths",
           "select"]
