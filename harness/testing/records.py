"""What happened to each stream record, read from a trace: the facts the assertions and the failure
summary are built on. Pure: works on a live ``Trace`` or one read back from JSON lines."""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from harness.trace import TraceEvent

#: a record's primary key as plain values, sorted by attribute name: (("id", "o-1"),)
Key = tuple[tuple[str, Any], ...]


def plain_value(typed: Any) -> Any:
    """A DynamoDB attribute value ({"S": "x"}, {"N": "5"}) as Python; numbers as Decimal, so 5 == {"N": "5"}."""
    if isinstance(typed, Mapping) and len(typed) == 1:
        (tag, value), = typed.items()
        if tag == "S":
            return value
        if tag == "N":
            return Decimal(value)
        if tag in ("B", "BOOL"):
            return value
    return typed


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


def record_key(keys: Mapping[str, Any] | None) -> Key:
    """The key of a ``record`` trace event (``Keys`` as DynamoDB sends them), in plain values."""
    return tuple(sorted((name, plain_value(v)) for name, v in (keys or {}).items()))


def as_key(wanted: Any) -> Key | Any:
    """A key as a test names it: a bare value (for a one-attribute key), or a mapping of plain or typed values."""
    if isinstance(wanted, Mapping):
        return tuple(sorted((str(k), _comparable(plain_value(v))) for k, v in wanted.items()))
    return _comparable(wanted)


def matches(key: Key, wanted: Key | Any) -> bool:
    if isinstance(wanted, tuple):
        return key == wanted
    return len(key) == 1 and key[0][1] == wanted


def show_key(key: Key | Any) -> str:
    """A key the way a test would write it: o-1 for one attribute, {pk: a, sk: 1} otherwise."""
    if not isinstance(key, tuple):
        return repr(_shown(key))
    if len(key) == 1:
        return repr(_shown(key[0][1]))
    return "{" + ", ".join(f"{name}: {_shown(v)!r}" for name, v in key) + "}"


def _shown(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@dataclass
class RecordFate:
    """One stream record as one mapping saw it."""

    mapping: str
    function: str | None
    sequence_number: str
    event_name: str | None
    key: Key
    n: int
    filtered: bool = False
    #: request ids of the invocations it was part of, in order
    requests: list[str] = field(default_factory=list)
    handled: bool = False
    given_up: str | None = None
    last_error: str | None = None

    @property
    def position(self) -> int:
        """Stream order: DynamoDB sequence numbers are decimal strings of varying length."""
        try:
            return int(self.sequence_number)
        except ValueError:
            return self.n


@dataclass
class Invocation:
    request_id: str
    function: str | None
    mapping: str | None
    n: int
    attempt: int | None
    size: int
    ok: bool | None = None  # None: no result or error yet
    error: TraceEvent | None = None


class Ledger:
    """Every record each mapping read and every invocation, joined from the trace events."""

    def __init__(self, events: Iterable[TraceEvent]) -> None:
        self.records: dict[tuple[str, str], RecordFate] = {}
        self.invocations: dict[str, Invocation] = {}
        self._by_request: dict[str, list[RecordFate]] = {}
        self.events = list(events)
        for e in self.events:
            getattr(self, "_on_" + e["kind"], _ignore)(e)

    def _on_record(self, e: TraceEvent) -> None:
        k = (e.get("mapping", ""), str(e.get("sequence_number")))
        self.records.setdefault(k, RecordFate(k[0], e.get("function"), k[1], e.get("event_name"),
                                              record_key(e.get("keys")), e.get("n", 0)))

    def _on_filtered(self, e: TraceEvent) -> None:
        fate = self.records.get((e.get("mapping", ""), str(e.get("sequence_number"))))
        if fate is not None:
            fate.filtered = True

    def _on_invoke(self, e: TraceEvent) -> None:
        seqs = [str(s) for s in e.get("sequence_numbers") or ()]
        rid = str(e.get("request_id"))
        self.invocations[rid] = Invocation(rid, e.get("function"), e.get("mapping"), e.get("n", 0),
                                           e.get("attempt"), e.get("size", len(seqs)))
        for s in seqs:
            fate = self.records.get((e.get("mapping", ""), s))
            if fate is not None:
                fate.requests.append(rid)
                self._by_request.setdefault(rid, []).append(fate)

    def _on_result(self, e: TraceEvent) -> None:
        inv = self.invocations.get(str(e.get("request_id")))
        if inv is not None:
            inv.ok = True
            for fate in self.records_of(inv):
                fate.handled = True

    def _on_error(self, e: TraceEvent) -> None:
        inv = self.invocations.get(str(e.get("request_id")))
        if inv is not None:
            inv.ok, inv.error = False, e
            for fate in self.records_of(inv):
                fate.last_error = f"{e.get('error_type')}: {e.get('error_message')}"

    def _on_give_up(self, e: TraceEvent) -> None:
        for s in e.get("sequence_numbers") or ():
            fate = self.records.get((e.get("mapping", ""), str(s)))
            if fate is not None:
                fate.given_up = str(e.get("condition"))

    def records_of(self, inv: Invocation) -> list[RecordFate]:
        return self._by_request.get(inv.request_id, [])

    def select(self, function: str | None = None, mapping: str | None = None) -> list[RecordFate]:
        """Records in the order they were read, of one function's or one mapping's, or all."""
        return sorted((f for f in self.records.values()
                       if (function is None or f.function == function) and (mapping is None or f.mapping == mapping)),
                      key=lambda f: f.n)

    def why_not_handled(self, fates: list[RecordFate]) -> str:
        """Why none of these reads of a record ended in a successful invocation, in a few words."""
        if not fates:
            return "never read from the stream"
        if all(f.filtered for f in fates):
            return "read, and dropped by the mapping's FilterCriteria"
        tried = [f for f in fates if f.requests]
        if not tried:
            return "read, never invoked (still waiting in a batch: drain() first?)"
        f = max(tried, key=lambda f: len(f.requests))
        out = f"invoked {times(len(f.requests))}, never successfully"
        if f.last_error:
            out += f" (last error: {f.last_error})"
        if f.given_up:
            out += f"; given up: {f.given_up}"
        return out


def times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _ignore(_: TraceEvent) -> None:
    return None


def group_of(fate: RecordFate, key: str | Any | None) -> Hashable:
    """The group a record's order is checked in: its whole key, one key attribute, or a callable's answer."""
    if key is None:
        return fate.key
    if isinstance(key, str):
        return dict(fate.key).get(key)
    return key(dict(fate.key))  # type: ignore[no-any-return]
