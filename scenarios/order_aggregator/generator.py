"""A deterministic order plan: who ordered what, and the ordered list of check results the sources write.

The plan carries its own ground truth, so oracles state exact expectations without reading them back
from the pipeline. All randomness flows from ``random.Random(seed)``; Faker is seeded from it.

**What is generated, per order.** A random subset of the two checks ("Account Check", "In Stock";
with ``missing_rate`` only one of them ever arrives), in a random order, each first PASSED or FAILED
(``fail_rate``); sometimes a *duplicate* (the source writes the same status again, ``duplicate_rate``)
and sometimes a *re-check* (the status flips, FAILED -> PASSED or PASSED -> FAILED, ``recheck_rate``).
Orders are interleaved (``concurrency`` orders in flight at once), and with ``late_rate`` an order's
last write is a *late arrival*: it lands ``late_gap`` or more writes later, after other orders' events.

**Every write changes its item.** Each write carries its own ``checked_at`` (distinct across the
plan), so DynamoDB emits exactly one stream record per write -- INSERT for the first write of an
(order, check) item, MODIFY after -- even for a duplicate. (A byte-identical rewrite would emit
nothing.) ``OrderPlan.expected_event_names`` lists them.

**Ground truth and re-checks.** An order is judged on its checks' *final* status:
``should_invoice`` = both checks present and both final PASSED; ``should_reject`` = some final
status FAILED. That is only a timing-independent truth if no pipeline could have invoiced on an
earlier state, so plans keep one invariant: *once both checks of an order have PASSED, no later
write for that order is FAILED* (an order that passed both checks is committed -- an invoice cannot
be taken back). The generator turns a PASSED -> FAILED re-check that would break it into a
duplicate, and ``OrderPlan`` refuses hand-built plans that break it. Hence "both PASSED at some
point" and "both PASSED at the end" coincide, and a correct pipeline invoices exactly the orders
with ``should_invoice``, whatever its batching and timing. Re-checks FAILED -> PASSED are common, so
an order may be rejected and still be invoiced later; ``may_reject`` (some write was FAILED) bounds
which orders a correct pipeline is allowed to have rejected along the way. Duplicates never change
the truth: they are one more stream record, one more aggregation, never a second invoice.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from random import Random
from typing import Any

from faker import Faker

from streamharness.fixtures.orders import OrderProvider, format_cents
from streamharness.scenarios.order_aggregator.contract import (ACCOUNT_CHECK, CHECKS, FAILED, HASH_KEY, IN_STOCK, PASSED,
                                                 RANGE_KEY, STATUSES)

EPOCH = 1_700_000_000.0  # fixed start so checked_at values are reproducible, not wall-clock
WRITE_SPACING = 0.01  # seconds between consecutive planned writes' checked_at
KINDS = ("first", "duplicate", "recheck")


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    customer_name: str
    customer_email: str
    lines: tuple[OrderLine, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"total_cents": self.total_cents, "total": format_cents(self.total_cents)}


@dataclass(frozen=True, slots=True)
class Write:
    """One UpdateItem a source makes on the Events table, in plan order."""

    seq: int  # position in the plan (0-based): the order the writes are made in
    order_id: str
    event_name: str  # one of CHECKS: the item's range key
    status: str  # PASSED | FAILED
    checked_at: float  # when the source checked; distinct across the plan (a late write keeps its early value)
    kind: str = "first"  # first | duplicate (same status again) | recheck (status flipped)
    late: bool = False  # moved after other orders' writes

    @property
    def key(self) -> dict[str, dict[str, str]]:
        return {HASH_KEY: {"S": self.order_id}, RANGE_KEY: {"S": self.event_name}}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OrderTruth:
    order_id: str
    final: dict[str, str]  # check -> its final status; a check never written is absent
    writes: int
    duplicates: int
    rechecks: int
    late: int
    ever_failed: bool

    @property
    def missing_checks(self) -> tuple[str, ...]:
        return tuple(c for c in CHECKS if c not in self.final)

    @property
    def should_invoice(self) -> bool:
        return all(self.final.get(c) == PASSED for c in CHECKS)

    @property
    def should_reject(self) -> bool:
        """A final FAILED: the last aggregation of the order must see it."""
        return FAILED in self.final.values()

    @property
    def may_reject(self) -> bool:
        """Some write was FAILED: a correct pipeline may have rejected the order while it was."""
        return self.ever_failed

    @property
    def reason(self) -> str:
        """Why the order is (not) invoiced, for reports."""
        if self.should_invoice:
            return "eligible"
        parts = []
        if self.should_reject:
            parts.append("failed check: " + ", ".join(c for c in CHECKS if self.final.get(c) == FAILED))
        if self.missing_checks:
            parts.append("missing check: " + ", ".join(self.missing_checks))
        return "; ".join(parts)


@dataclass(frozen=True)
class OrderPlan:
    seed: int
    orders: tuple[Order, ...]
    writes: tuple[Write, ...]
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        ids = [o.order_id for o in self.orders]
        if len(set(ids)) != len(ids):
            raise ValueError("order ids must be unique")
        known = set(ids)
        seen_t: set[float] = set()
        state: dict[str, dict[str, str]] = {}
        for i, w in enumerate(self.writes):
            where = f"write {i} ({w.order_id}, {w.event_name!r})"
            if w.seq != i:
                raise ValueError(f"{where}: seq must equal its position, got {w.seq}")
            if w.order_id not in known:
                raise ValueError(f"{where}: unknown order")
            if w.event_name not in CHECKS:
                raise ValueError(f"{where}: event_name must be one of {CHECKS}")
            if w.status not in STATUSES:
                raise ValueError(f"{where}: status must be one of {STATUSES}, got {w.status!r}")
            if w.kind not in KINDS:
                raise ValueError(f"{where}: kind must be one of {KINDS}, got {w.kind!r}")
            if w.checked_at in seen_t:
                raise ValueError(f"{where}: checked_at {w.checked_at} already used: a write that changes "
                                 "nothing emits no stream record")
            seen_t.add(w.checked_at)
            items = state.setdefault(w.order_id, {})
            if w.status == FAILED and all(items.get(c) == PASSED for c in CHECKS):
                raise ValueError(f"{where}: FAILED after both checks PASSED; the order was already invoiceable, "
                                 "so its ground truth would depend on timing")
            items[w.event_name] = w.status

    # ----- ground truth -------------------------------------------------------------------------

    @cached_property
    def truth(self) -> dict[str, OrderTruth]:
        """Per order (every order of the plan, in plan order), replayed from the writes."""
        final: dict[str, dict[str, str]] = {o.order_id: {} for o in self.orders}
        counts = {o.order_id: [0, 0, 0, 0, False] for o in self.orders}  # writes, dup, recheck, late, failed
        for w in self.writes:
            c = counts[w.order_id]
            prev = final[w.order_id].get(w.event_name)
            c[0] += 1
            c[1] += prev is not None and prev == w.status
            c[2] += prev is not None and prev != w.status
            c[3] += w.late
            c[4] = c[4] or w.status == FAILED
            final[w.order_id][w.event_name] = w.status
        return {oid: OrderTruth(oid, {n: f[n] for n in CHECKS if n in f}, *counts[oid][:4],  # type: ignore[arg-type]
                                ever_failed=bool(counts[oid][4]))
                for oid, f in final.items()}

    @cached_property
    def order_index(self) -> dict[str, int]:
        return {o.order_id: i for i, o in enumerate(self.orders)}

    def order(self, order_id: str) -> Order:
        return self.orders[self.order_index[order_id]]

    def eligible_orders(self) -> frozenset[str]:
        return frozenset(oid for oid, t in self.truth.items() if t.should_invoice)

    def reject_orders(self) -> frozenset[str]:
        return frozenset(oid for oid, t in self.truth.items() if t.should_reject)

    def final_events(self, order_id: str) -> dict[str, str]:
        return dict(self.truth[order_id].final)

    @cached_property
    def _states(self) -> dict[str, list[tuple[int, dict[str, str]]]]:
        out: dict[str, list[tuple[int, dict[str, str]]]] = {}
        current: dict[str, dict[str, str]] = {}
        for w in self.writes:
            items = current.setdefault(w.order_id, {})
            items[w.event_name] = w.status
            out.setdefault(w.order_id, []).append((w.seq + 1, {n: items[n] for n in CHECKS if n in items}))
        return out

    def states(self, order_id: str) -> list[tuple[int, dict[str, str]]]:
        """Every state the order's items pass through: ``(writes_completed, events)`` -- the state holds
        once the first ``writes_completed`` writes of the plan are done (until the order's next write)."""
        return [(k, dict(s)) for k, s in self._states.get(order_id, [])]

    def state_after(self, writes_completed: int) -> dict[str, dict[str, str]]:
        """The whole Events table, as ``{order_id: {check: status}}``, after the first n writes."""
        table: dict[str, dict[str, str]] = {}
        for w in self.writes[:writes_completed]:
            table.setdefault(w.order_id, {})[w.event_name] = w.status
        return table

    def expected_event_names(self) -> list[str]:
        """The stream record each write produces: INSERT for an item's first write, MODIFY after."""
        seen: set[tuple[str, str]] = set()
        out = []
        for w in self.writes:
            key = (w.order_id, w.event_name)
            out.append("MODIFY" if key in seen else "INSERT")
            seen.add(key)
        return out

    def timed_writes(self, times: Sequence[float]) -> list[tuple[str, str, str, float]]:
        """``(order_id, event_name, status, t)`` per write, given when each write completed (plan order):
        the ``plan_write_times`` argument of ``oracles.no_invoice_before_both_checks``."""
        if len(times) != len(self.writes):
            raise ValueError(f"need one time per write: {len(self.writes)} writes, {len(times)} times")
        return [(w.order_id, w.event_name, w.status, float(t)) for w, t in zip(self.writes, times)]

    def update_item_kwargs(self, write: Write, table_name: str) -> dict[str, Any]:
        """The UpdateItem a source makes for ``write`` (``status`` is a reserved word, hence ``#s``)."""
        order = self.order(write.order_id)
        values: dict[str, Any] = {":s": {"S": write.status}, ":t": {"N": repr(write.checked_at)},
                                  ":c": {"S": order.customer_id}}
        expression = "SET #s = :s, checked_at = :t, customer_id = :c"
        if write.event_name == ACCOUNT_CHECK:
            expression += ", amount = :a"
            values[":a"] = {"N": format_cents(order.total_cents)}
        elif write.event_name == IN_STOCK:
            expression += ", skus = :k, quantity = :q"
            values[":k"] = {"L": [{"S": line.sku} for line in order.lines]}
            values[":q"] = {"N": str(order.quantity)}
        return {"TableName": table_name, "Key": write.key, "UpdateExpression": expression,
                "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": values}

    def summary(self) -> dict[str, int]:
        truths = self.truth.values()
        return {
            "orders": len(self.orders),
            "writes": len(self.writes),
            "eligible": sum(t.should_invoice for t in truths),
            "must_reject": sum(t.should_reject for t in truths),  # the rejections check's words
            "may_reject": sum(t.may_reject for t in truths),
            "missing_check": sum(bool(t.missing_checks) for t in truths),
            "duplicates": sum(t.duplicates for t in truths),
            "rechecks": sum(t.rechecks for t in truths),
            "late": sum(t.late for t in truths),
        }


# ----- generation -------------------------------------------------------------------------------

def _require_int(name: str, value: object, lo: int, hi: int | None = None) -> None:
    bounds = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= lo and (hi is None or value <= hi)):
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}")


def _require_rate(name: str, value: object) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= 1
    if not ok:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")


def _validate(orders: int, seed: int, rates: Mapping[str, float], concurrency: int, late_gap: int,
              max_lines: int) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    _require_int("orders", orders, 1, 1_000_000)
    for name, value in rates.items():
        _require_rate(name, value)
    _require_int("concurrency", concurrency, 1)
    _require_int("late_gap", late_gap, 1)
    _require_int("max_lines", max_lines, 1, 50)


def _order_writes(rng: Random, missing_rate: float, fail_rate: float, duplicate_rate: float,
                  recheck_rate: float) -> list[tuple[str, str]]:
    """One order's (check, status) writes in the order its sources make them, invariant enforced."""
    present = list(CHECKS) if rng.random() >= missing_rate else [rng.choice(CHECKS)]
    per_check: dict[str, list[str]] = {}
    for check in present:
        statuses = [FAILED if rng.random() < fail_rate else PASSED]
        extras = [e for e, p in (("dup", duplicate_rate), ("recheck", recheck_rate)) if rng.random() < p]
        rng.shuffle(extras)
        for extra in extras:
            last = statuses[-1]
            statuses.append(last if extra == "dup" else (PASSED if last == FAILED else FAILED))
        per_check[check] = statuses
    merged: list[tuple[str, str]] = []
    cursor = {c: 0 for c in per_check}
    pending = list(present)
    while pending:  # the two sources are independent: interleave their writes at random
        check = rng.choice(pending)
        merged.append((check, per_check[check][cursor[check]]))
        cursor[check] += 1
        if cursor[check] == len(per_check[check]):
            pending.remove(check)
    state: dict[str, str] = {}
    for i, (check, status) in enumerate(merged):
        if status == FAILED and all(state.get(c) == PASSED for c in CHECKS):
            merged[i] = (check, PASSED)  # an invoiceable order is committed: a revoking re-check becomes a duplicate
        state[check] = merged[i][1]
    return merged


def generate_orders(orders: int, seed: int, *, missing_rate: float = 0.15, fail_rate: float = 0.2,
                    duplicate_rate: float = 0.15, recheck_rate: float = 0.15, late_rate: float = 0.1,
                    concurrency: int = 4, late_gap: int = 3, max_lines: int = 4) -> OrderPlan:
    """``orders`` orders and the writes their two check sources make, deterministic for ``seed``.

    ``missing_rate``: chance an order only ever gets one of its two checks. ``fail_rate``: chance a
    check's first result is FAILED. ``duplicate_rate`` / ``recheck_rate``: chance, per check, of one
    more write with the same / the flipped status. ``late_rate``: chance an order's last write lands
    ``late_gap`` to ``3 * late_gap`` writes later than it would have. ``concurrency``: orders whose
    writes interleave at any time. ``max_lines``: products per order.
    """
    rates = {"missing_rate": missing_rate, "fail_rate": fail_rate, "duplicate_rate": duplicate_rate,
             "recheck_rate": recheck_rate, "late_rate": late_rate}
    _validate(orders, seed, rates, concurrency, late_gap, max_lines)
    rng = Random(seed)
    fake = Faker()
    fake.add_provider(OrderProvider)
    fake.seed_instance(rng.getrandbits(64))  # own stream: sharing ``seed`` would correlate the two

    catalog = fake.catalog(min(max(5, orders // 2), 500))
    customers = [fake.customer() for _ in range(max(1, math.ceil(orders * 0.7)))]  # some customers return
    built: list[Order] = []
    taken: set[str] = set()
    for _ in range(orders):
        order_id = fake.order_id()
        while order_id in taken:
            order_id = fake.order_id()
        taken.add(order_id)
        customer = rng.choice(customers)
        lines = tuple(OrderLine(d["sku"], d["name"], d["quantity"], d["unit_price_cents"])
                      for d in fake.order_lines(catalog, max_lines))
        built.append(Order(order_id, customer["customer_id"], customer["name"], customer["email"], lines))

    per_order = [_order_writes(rng, missing_rate, fail_rate, duplicate_rate, recheck_rate) for _ in built]

    # Interleave: ``concurrency`` orders in flight; each step one of them makes its next write.
    stream: list[tuple[int, str, str]] = []  # (order index, check, status)
    active: list[int] = []
    cursor = [0] * orders
    nxt = 0
    while nxt < orders or active:
        while len(active) < concurrency and nxt < orders:
            active.append(nxt)
            nxt += 1
        slot = rng.randrange(len(active))
        o = active[slot]
        check, status = per_order[o][cursor[o]]
        stream.append((o, check, status))
        cursor[o] += 1
        if cursor[o] == len(per_order[o]):
            active.pop(slot)

    # Late arrivals: an order's last write slides past the next late_gap..3*late_gap writes (a stable
    # sort on fractional keys keeps everything else in place). It keeps its checked_at: checked on
    # time, delivered late.
    last_of = {o: i for i, (o, _, _) in enumerate(stream)}
    keys: list[float] = [float(i) for i in range(len(stream))]
    late_idx = {i for o, i in sorted(last_of.items()) if rng.random() < late_rate and i < len(stream) - 1}
    for i in sorted(late_idx):
        keys[i] = i + late_gap + rng.randrange(2 * late_gap + 1) + 0.5
    jitter = [round(rng.random() * WRITE_SPACING / 2, 4) for _ in stream]
    placed = sorted(range(len(stream)), key=keys.__getitem__)

    writes: list[Write] = []
    previous: dict[tuple[int, str], str] = {}
    for seq, i in enumerate(placed):
        o, check, status = stream[i]
        prev = previous.get((o, check))
        kind = "first" if prev is None else ("duplicate" if prev == status else "recheck")
        previous[(o, check)] = status
        checked_at = round(EPOCH + i * WRITE_SPACING + jitter[i], 4)
        writes.append(Write(seq, built[o].order_id, check, status, checked_at, kind, late=i in late_idx))
    params = dict(rates, orders=orders, concurrency=concurrency, late_gap=late_gap, max_lines=max_lines)
    return OrderPlan(seed=seed, orders=tuple(built), writes=tuple(writes), params=params)
