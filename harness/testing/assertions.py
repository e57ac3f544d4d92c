"""Assertions on a trace whose failure messages say what went wrong, not just that something did.

Each raises ``AssertionError`` with a message meant for a CI log: the records never handled and why,
the first pair of records delivered out of order, a table of expected vs actual counts. They work on
a ``Harness``, its ``Trace``, or a list of trace events (e.g. ``Trace.read_jsonl(path)``)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from harness.testing.records import Key, Ledger, RecordFate, as_key, group_of, matches, show_key
from harness.trace import TraceEvent

TraceSource = Any  # a Harness, a Trace, or an iterable of trace events


def events_of(source: TraceSource) -> list[TraceEvent]:
    source = getattr(source, "trace", source)
    return list(source.events if hasattr(source, "events") else source)


def _scope(function: str | None, mapping: str | None) -> str:
    parts = [f"function {function!r}" if function else "", f"mapping {mapping!r}" if mapping else ""]
    return " of " + " and ".join(p for p in parts if p) if function or mapping else ""


def assert_delivered(source: TraceSource, keys: Iterable[Any], *, function: str | None = None,
                     mapping: str | None = None) -> None:
    """Every record with one of ``keys`` was handled by a successful invocation (of ``function`` / ``mapping``).

    A key is a bare value for a table with a one-attribute key (``"o-1"``, ``5``), or a mapping of its
    attributes (``{"pk": "a", "sk": 1}``, typed values such as ``{"S": "a"}`` work too). The message names
    each record never handled and why: never read, filtered out, still waiting, or every invocation failed.
    """
    __tracebackhide__ = True
    ledger = Ledger(events_of(source))
    fates = ledger.select(function, mapping)
    wanted = [as_key(k) for k in keys]
    missing = [(w, [f for f in fates if matches(f.key, w)]) for w in wanted]
    missing = [(w, fs) for w, fs in missing if not any(f.handled for f in fs)]
    if not missing:
        return
    lines = [f"{len(missing)} of {len(wanted)} records were never handled by a successful invocation"
             f"{_scope(function, mapping)}:"]
    lines += [f"  {show_key(w)}: {ledger.why_not_handled(fs)}" for w, fs in missing]
    handled = sorted({show_key(f.key) for f in fates if f.handled})
    lines.append(f"handled ({len(handled)}): {', '.join(handled) if handled else 'none'}")
    raise AssertionError("\n".join(lines))


def assert_in_order(source: TraceSource, key: str | Callable[[dict[str, Any]], Hashable] | None = None, *,
                    function: str | None = None, mapping: str | None = None) -> None:
    """Per mapping, the records of each group were first delivered in stream order.

    ``key`` picks the group: None for the record's whole primary key (DynamoDB's guarantee), an attribute
    name such as the partition key, or a callable given the key as a dict. Redeliveries (retries, a
    retried remainder) are not disorder; a record delivered for the first time after a later record of
    its group is. The message names the first such pair and the invocations that delivered them.
    """
    __tracebackhide__ = True
    ledger = Ledger(events_of(source))
    scope = {id(f) for f in ledger.select(function, mapping)}
    seen: set[int] = set()
    latest: dict[tuple[str, Hashable], tuple[RecordFate, str]] = {}
    for inv in sorted(ledger.invocations.values(), key=lambda i: i.n):
        for fate in ledger.records_of(inv):
            if id(fate) not in scope or id(fate) in seen:
                continue
            seen.add(id(fate))
            group = (fate.mapping, group_of(fate, key))
            before = latest.get(group)
            if before is not None and fate.position < before[0].position:
                raise AssertionError(_disorder(fate, inv.request_id, *before, key))
            if before is None or fate.position > before[0].position:
                latest[group] = (fate, inv.request_id)


def _disorder(late: RecordFate, late_request: str, early: RecordFate, early_request: str, key: Any) -> str:
    what = "key" if key is None else f"group {key!r} =" if isinstance(key, str) else "group"
    group = show_key(late.key) if key is None else repr(group_of(late, key))
    return (f"records of {what} {group} (mapping {late.mapping!r}) were delivered out of stream order:\n"
            f"  sequence {late.sequence_number} ({late.event_name}, key {show_key(late.key)}) "
            f"first delivered by request {late_request}\n"
            f"  after sequence {early.sequence_number} ({early.event_name}, key {show_key(early.key)}) "
            f"delivered by request {early_request}")


def deliveries(source: TraceSource, *, function: str | None = None, mapping: str | None = None) -> Counter[Any]:
    """How many successful invocations handled each record key: a bare value for a one-attribute key,
    else a sorted tuple of (attribute, value). Numbers are Decimals, equal to the ints they hold."""
    ledger = Ledger(events_of(source))
    counts: Counter[Any] = Counter()
    for f in ledger.select(function, mapping):
        ok = sum(1 for rid in f.requests if ledger.invocations[rid].ok)
        if ok:
            counts[_bare(f.key)] += ok
    return counts


def _bare(key: Key) -> Any:
    return key[0][1] if len(key) == 1 else key


def assert_counts(expected: Mapping[Any, int], actual: Mapping[Any, int], *, what: str = "count") -> None:
    """``actual`` has the counts of ``expected``; a key absent from one side counts 0. The message is a
    table of every key that differs, expected vs actual, values in full."""
    __tracebackhide__ = True
    keys = list(dict.fromkeys([*expected, *actual]))
    differ = [k for k in keys if expected.get(k, 0) != actual.get(k, 0)]
    if not differ:
        return
    rows = [(show_key(k), _cell(expected, k), _cell(actual, k)) for k in differ]
    header = f"{len(differ)} of {len(keys)} keys have a different {what}:"
    raise AssertionError(header + "\n" + table(("key", "expected", "actual"), rows))


def _cell(counts: Mapping[Any, int], key: Any) -> str:
    return str(counts[key]) if key in counts else "0 (absent)"


def table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns as wide as their widest cell: nothing is cut, whatever the terminal."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [headers, *rows])


__all__ = ["assert_counts", "assert_delivered", "assert_in_order", "deliveries", "events_of"]
