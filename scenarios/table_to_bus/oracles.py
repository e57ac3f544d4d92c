"""Pure verdicts on what the table-to-bus pipeline did, against the plan's ground truth.

The inputs are plain data read off the trace (``scenario.read_observations``), so a unit test can hand
an oracle a wrong answer:

- a **bus event** is ``{"id", "source", "detail-type", "resources", "detail"}`` (the trace's ``bus_event``);
- a **delivery** is ``{"rule", "event_id", "ok"}`` with the rule's logical name;
- a **history item** is what the history function wrote (``item_pk``, ``item_sk``, ``event_name``,
  ``sequence_number``, ``changed``);
- the **processor's outcome** per stream record: its sequence number, the invocations that carried it
  and how each ended (error type and message), and the PutEvents entries sent for it with the bus's
  verdict (``error_code`` None when accepted).

A failed check names its likely cause from :data:`CAUSES`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.oracles.checks import Check, check_equal
from harness.patterns import compile_pattern
from streamharness.scenarios.table_to_bus import reference
from streamharness.scenarios.table_to_bus.contract import SOURCE
from streamharness.scenarios.table_to_bus.generator import TablePlan

#: check -> what most likely broke it, shown in a failed check's detail
CAUSES: dict[str, str] = {
    "one_bus_event_per_change": "events lost between the stream and the bus (see stream_to_bus_accounting), or "
                                "a batch retried after a partial PutEvents success (duplicates)",
    "stream_to_bus_accounting": "the processor lost records: see the causes listed per lost record",
    "rule_targets_receive_selected": "a target that failed or was never reached (see deliveries), or a rule "
                                     "whose deployed pattern differs from the one judged",
    "history_equals_changes": "changes never published (upstream loss), or the history function computing "
                              "the changed attributes wrongly",
    "fifo_counts_equal_truth": "INSERT/REMOVE events never published, a resent event counted twice, or "
                               "messages left on the queue",
}
#: evidence on a lost stream record -> its likely cause
LOSS_CAUSES: dict[str, str] = {
    "too_many_entries": "PutEvents was called with more than 10 entries and failed as a whole (ValidationException): "
                        "the handler assumes batches of at most 10, the mapping's BatchSize is larger",
    "decimal": "json.dumps met a Decimal: the images were deserialised (TypeDeserializer) before serialising",
    "entry_rejected": "the bus rejected the entry (FailedEntryCount > 0) and the handler returned success: "
                      "FailedEntryCount is never checked",
    "handler_error": "the processor raised on the batch until the mapping gave up on it",
    "never_invoked": "the record was read but never handed to the processor",
}


def _failed(check: Check) -> Check:
    """The check with its likely cause appended when it failed."""
    if check.passed:
        return check
    return Check(check.name, False, check.expected, check.actual,
                 f"{check.detail}; likely cause: {CAUSES[check.name]}", check.examples)


def _keys(detail: Mapping[str, Any]) -> tuple[str, str] | None:
    keys = (detail.get("dynamodb") or {}).get("Keys") or {}
    pk, sk = keys.get("pk"), keys.get("sk")
    if isinstance(pk, Mapping) and isinstance(sk, Mapping):
        return pk.get("S"), sk.get("S")
    return None


def _seq(detail: Mapping[str, Any]) -> str | None:
    return (detail.get("dynamodb") or {}).get("SequenceNumber")


def table_events(bus_events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [e for e in bus_events if e.get("source") == SOURCE]


def one_bus_event_per_change(plan: TablePlan, bus_events: Sequence[Mapping[str, Any]]) -> Check:
    """Every item change of the plan is on the bus exactly once (per item, as many events of each
    detail-type as the item had changes of that eventName), detail-type = the record's eventName, and no
    event for a write that changed nothing."""
    expected = reference.events_per_item(reference.changes(plan.writes))
    got: dict[tuple[str, str] | None, list[tuple[int, str, str | None]]] = {}
    seen: Counter[str] = Counter()
    for e in table_events(bus_events):
        detail = e.get("detail") or {}
        seq = _seq(detail) or "0"
        seen[seq] += 1
        got.setdefault(_keys(detail), []).append((int(seq), e.get("detail-type"), detail.get("eventName")))
    problems: dict[str, list[dict[str, Any]]] = {"missing": [], "duplicated": [], "wrong_detail_type": [],
                                                 "unexpected": []}
    for key in sorted(set(expected) | {k for k in got if k is not None}, key=str):
        want = expected.get(key, [])
        events = sorted(got.get(key, []))
        wrong = [{"item": key, "detail-type": dt, "eventName": name} for _, dt, name in events if dt != name]
        problems["wrong_detail_type"] += wrong
        have = Counter(dt for _, dt, _ in events)
        need = Counter(want)
        for dt in sorted(need.keys() | have.keys()):
            if have[dt] < need[dt]:
                problems["missing"].append({"item": key, "detail-type": dt, "missing": need[dt] - have[dt]})
            elif have[dt] > need[dt]:
                kind = "duplicated" if need[dt] else "unexpected"
                problems[kind].append({"item": key, "detail-type": dt, "extra": have[dt] - need[dt]})
    problems["unexpected"] += [{"item": None, "problem": "no pk/sk keys"} for _ in got.get(None, [])]
    count = {k: sum(p.get("missing", p.get("extra", 1)) for p in v) for k, v in problems.items()}
    return _failed(check_equal(
        "one_bus_event_per_change", {"events": sum(map(len, expected.values())), **dict.fromkeys(count, 0)},
        {"events": sum(len(v) for v in got.values()), **count},
        detail=f"{len(plan.writes)} writes, {sum(map(len, expected.values()))} changes; "
               f"{sum(seen.values())} table events on the bus ({sum(1 for n in seen.values() if n > 1)} "
               "stream records published more than once)",
        examples=[p for v in problems.values() for p in v[:3]]))


def loss_cause(outcomes: Sequence[Mapping[str, Any]], entries: Sequence[Mapping[str, Any]]) -> str:
    """Why a stream record never reached the bus, from the invocations that carried it and its entries."""
    if any(e.get("error_code") for e in entries) and any(o.get("error_type") is None for o in outcomes):
        return "entry_rejected"
    errors = [o for o in outcomes if o.get("error_type")]
    if not outcomes:
        return "never_invoked"
    text = " ".join(f"{o.get('error_type')} {o.get('error_message')}" for o in errors)
    if "Decimal" in text:
        return "decimal"
    if "ValidationException" in text and "less than or equal to 10" in text:
        return "too_many_entries"
    if any(e.get("error_code") for e in entries):
        return "entry_rejected"
    return "handler_error"


def stream_to_bus_accounting(stream_records: Sequence[str], bus_events: Sequence[Mapping[str, Any]],
                             outcomes: Mapping[str, Sequence[Mapping[str, Any]]],
                             entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> Check:
    """Every stream record the processor's mapping read (by sequence number) became a bus event; each one
    that did not is counted under its likely cause (``LOSS_CAUSES``)."""
    published = {_seq(e.get("detail") or {}) for e in table_events(bus_events)}
    lost = [s for s in dict.fromkeys(stream_records) if s not in published]
    causes = Counter(loss_cause(outcomes.get(s, ()), entries.get(s, ())) for s in lost)
    check = check_equal(
        "stream_to_bus_accounting", {"read": len(set(stream_records)), "published": len(set(stream_records)),
                                     "lost": 0},
        {"read": len(set(stream_records)), "published": len(set(stream_records)) - len(lost), "lost": len(lost),
         **({"lost_by_cause": dict(causes)} if lost else {})},
        detail=f"{len(set(stream_records))} stream records read by the processor's mapping",
        examples=[{"cause": c, "records": n, "why": LOSS_CAUSES[c]} for c, n in causes.most_common()]
        + [{"sequence_number": s, "cause": loss_cause(outcomes.get(s, ()), entries.get(s, ())),
            "invocations": [{k: o.get(k) for k in ("attempt", "error_type", "error_message")}
                            for o in outcomes.get(s, ())][:3]} for s in lost[:3]])
    if check.passed:
        return check
    why = "; ".join(f"{n} {LOSS_CAUSES[c]}" for c, n in causes.most_common())
    return Check(check.name, False, check.expected, check.actual, f"{check.detail}; likely cause: {why}",
                 check.examples)


def rule_targets_receive_selected(patterns: Mapping[str, str], bus_events: Sequence[Mapping[str, Any]],
                                  deliveries: Iterable[Mapping[str, Any]]) -> Check:
    """Each rule's target received exactly the bus events its pattern selects, judged by the harness's
    matcher on the events as the trace has them (not by the bus's own matches)."""
    delivered: dict[str, set[str]] = {r: set() for r in patterns}
    for d in deliveries:
        if d.get("ok") and d.get("rule") in delivered:
            delivered[d["rule"]].add(d["event_id"])
    expected: dict[str, Any] = {}
    actual: dict[str, Any] = {}
    examples: list[dict[str, Any]] = []
    for rule, text in sorted(patterns.items()):
        p = compile_pattern(text)
        chosen = {e["id"] for e in bus_events if p.matches(dict(e))}
        missing, extra = sorted(chosen - delivered[rule]), sorted(delivered[rule] - chosen)
        expected[rule] = {"selected": len(chosen), "not_delivered": 0, "delivered_unselected": 0}
        actual[rule] = {"selected": len(chosen), "not_delivered": len(missing), "delivered_unselected": len(extra)}
        examples += [{"rule": rule, "event_id": i, "problem": "selected, not delivered"} for i in missing[:3]]
        examples += [{"rule": rule, "event_id": i, "problem": "delivered, not selected"} for i in extra[:3]]
    return _failed(check_equal("rule_targets_receive_selected", expected, actual,
                               detail=f"{len(bus_events)} bus events judged against {len(patterns)} rules",
                               examples=examples))


def history_equals_changes(plan: TablePlan, history_items: Iterable[Mapping[str, Any]]) -> Check:
    """The history records of each member item are, in order, its INSERTs and MODIFYs with exactly the
    attributes each changed."""
    want = reference.history(reference.changes(plan.writes))
    got: dict[tuple[str, str], list[tuple[int, str, tuple[str, ...]]]] = {}
    for h in history_items:
        got.setdefault((h["item_pk"], h["item_sk"]), []).append(
            (int(h["sequence_number"]), h["event_name"], tuple(sorted(h["changed"]))))
    wrong: list[dict[str, Any]] = []
    for key in sorted(set(want) | set(got)):
        have = [(name, changed) for _, name, changed in sorted(got.get(key, []))]
        if have != want.get(key, []):
            wrong.append({"item": list(key), "expected": want.get(key, []), "history": have})
    n_want = sum(map(len, want.values()))
    return _failed(check_equal(
        "history_equals_changes", {"records": n_want, "items_wrong": 0},
        {"records": sum(map(len, got.values())), "items_wrong": len(wrong)},
        detail=f"{len(want)} member items with {n_want} INSERT/MODIFY changes", examples=wrong[:5]))


def fifo_counts_equal_truth(plan: TablePlan, counts: Mapping[str, int], messages_left: int = 0) -> Check:
    """The FIFO consumer's per-customer member counts equal the members each customer has at the end, and
    the queue was consumed to the end."""
    truth = {k: v for k, v in plan.members.items() if v}
    got = {k: v for k, v in counts.items() if v}
    wrong = [{"customer": c, "expected": truth.get(c, 0), "counted": got.get(c, 0)}
             for c in sorted(set(truth) | set(got)) if truth.get(c, 0) != got.get(c, 0)]
    return _failed(check_equal(
        "fifo_counts_equal_truth", {"members": sum(truth.values()), "customers_wrong": 0, "messages_left": 0},
        {"members": sum(got.values()), "customers_wrong": len(wrong), "messages_left": messages_left},
        detail=f"{len(truth)} customers with members at the end", examples=wrong[:5]))


def evaluate(plan: TablePlan, *, bus_events: Sequence[Mapping[str, Any]], stream_records: Sequence[str],
             outcomes: Mapping[str, Sequence[Mapping[str, Any]]], entries: Mapping[str, Sequence[Mapping[str, Any]]],
             patterns: Mapping[str, str], deliveries: Iterable[Mapping[str, Any]],
             history_items: Iterable[Mapping[str, Any]], counts: Mapping[str, int], messages_left: int) -> list[Check]:
    """Every check, in report order."""
    return [
        one_bus_event_per_change(plan, bus_events),
        stream_to_bus_accounting(stream_records, bus_events, outcomes, entries),
        rule_targets_receive_selected(patterns, bus_events, deliveries),
        history_equals_changes(plan, history_items),
        fifo_counts_equal_truth(plan, counts, messages_left),
    ]
