"""The event contract between the sources, the aggregator, the bus's rules and the invoice function.

Pure constants and tiny pure helpers, shared by the generator, the oracles, the reference model and
the topology. The handlers keep their own copy of the names (a Lambda package does not import the
test harness); a unit test checks the two agree.

**What a correct aggregated event is.** ``Source`` = :data:`SOURCE`, ``DetailType`` =
:data:`DETAIL_TYPE`, and ``Detail`` a JSON *object* (EventBridge rejects anything else with a
per-entry ``MalformedDetail``) of exactly this shape::

    {"order_id": "ORD-...", "events": {"Account Check": "PASSED", "In Stock": "FAILED"}}

``events`` holds one key per check item the order has in the Events table at the time the
aggregator read it (a missing check is *absent*, never null), each mapped to that item's current
``status``. Extra keys in the detail are tolerated by the oracles; these two are required.

**The invoice rule.** The article's rule only asks that both checks *exist*
(:data:`ARTICLE_INVOICE_PATTERN`), which also matches an order whose check FAILED: it would invoice
an order that is out of stock. The corrected rule (:data:`INVOICE_PATTERN`) matches only when both
checks are ``"PASSED"`` (an exact string match implies existence). The invoice function trusts its
rule, as a Lambda target does, so the rule is what the oracles judge.

**Rejections** (the optional failure path): the fixed aggregator also puts an ``"Order Rejected"``
event (:data:`REJECTED_DETAIL_TYPE`, detail ``{"order_id", "failed_checks": [...], "events": {...}}``)
whenever an order it aggregates has a FAILED check; :data:`REJECTED_PATTERN` routes them.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

ACCOUNT_CHECK: Final = "Account Check"
IN_STOCK: Final = "In Stock"
CHECKS: Final[tuple[str, str]] = (ACCOUNT_CHECK, IN_STOCK)
PASSED: Final = "PASSED"
FAILED: Final = "FAILED"
STATUSES: Final[tuple[str, str]] = (PASSED, FAILED)

# The Events table: one item per (order, check); the stream feeds the aggregator.
HASH_KEY: Final = "order_id"
RANGE_KEY: Final = "event_name"
# The Invoices table: one item per order (the conditional put keys on it).
INVOICE_KEY: Final = "order_id"

SOURCE: Final = "orders.aggregator"
DETAIL_TYPE: Final = "Order Events Aggregated"
REJECTED_DETAIL_TYPE: Final = "Order Rejected"

ARTICLE_INVOICE_PATTERN: Final[dict[str, Any]] = {
    "detail": {"events": {ACCOUNT_CHECK: [{"exists": True}], IN_STOCK: [{"exists": True}]}},
}
INVOICE_PATTERN: Final[dict[str, Any]] = {
    "source": [SOURCE],
    "detail-type": [DETAIL_TYPE],
    "detail": {"events": {ACCOUNT_CHECK: [PASSED], IN_STOCK: [PASSED]}},
}
REJECTED_PATTERN: Final[dict[str, Any]] = {"source": [SOURCE], "detail-type": [REJECTED_DETAIL_TYPE]}
RULE_PATTERNS: Final[dict[str, dict[str, Any]]] = {"passed": INVOICE_PATTERN, "article": ARTICLE_INVOICE_PATTERN}

#: Items one processed record may cost the aggregator: a Query of its order reads at most one item per check.
MAX_ITEMS_READ_PER_RECORD: Final = len(CHECKS)


def aggregated_detail(order_id: str, events: Mapping[str, str]) -> dict[str, Any]:
    """The detail a correct aggregator sends (``events`` in the fixed CHECKS order, for stable JSON)."""
    ordered = {name: events[name] for name in CHECKS if name in events}
    ordered.update({k: v for k, v in events.items() if k not in ordered})
    return {"order_id": order_id, "events": ordered}


def failed_checks(events: Mapping[str, str]) -> list[str]:
    return [name for name in CHECKS if events.get(name) == FAILED]


def parse_detail(detail: Any) -> tuple[dict[str, Any] | None, str]:
    """``(detail_object, "")`` when ``detail`` (a PutEvents ``Detail`` string, or the ``detail`` object of
    a delivered envelope) is a JSON object with a string ``order_id`` and an ``events`` object of string
    statuses; else ``(None, why)``. ``'json.dumps(event_status)'`` is not JSON at all."""
    if isinstance(detail, (str, bytes, bytearray)):
        try:
            detail = json.loads(detail)
        except ValueError as e:
            return None, f"not JSON ({e.__class__.__name__}: {e})"
    if not isinstance(detail, dict):
        return None, f"JSON {type(detail).__name__}, not an object"
    if not isinstance(detail.get("order_id"), str):
        return None, "no string 'order_id'"
    events = detail.get("events")
    if not isinstance(events, dict):
        return None, "no 'events' object"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in events.items()):
        return None, "'events' values must be status strings"
    return detail, ""


def is_json_object(detail: str) -> bool:
    """What EventBridge requires of a PutEvents ``Detail``; anything else fails the entry with MalformedDetail."""
    try:
        return isinstance(json.loads(detail), dict)
    except ValueError:
        return False


#: CLI variant -> which handlers (in scenarios.order_aggregator.handlers) and which invoice rule it deploys.
#: "fixed" first (the default), "as_published" the article's code, then one bug each on top of "fixed".
_FIXED: Final[dict[str, str]] = {"aggregator": "fixed", "invoice": "invoice", "rule": "passed"}
VARIANTS: Final[dict[str, dict[str, str]]] = {
    "fixed": _FIXED,
    "as_published": {"aggregator": "as_published", "invoice": "invoice_as_published", "rule": "article"},
    "records-first-only": {**_FIXED, "aggregator": "records_first_only"},
    "scan": {**_FIXED, "aggregator": "scan"},
    "literal-detail": {**_FIXED, "aggregator": "literal_detail"},
    "ignores-failed-entries": {**_FIXED, "aggregator": "ignores_failed_entries"},
    "duplicate-invoice": {**_FIXED, "invoice": "invoice_as_published"},
    "article-rule": {**_FIXED, "rule": "article"},
}
