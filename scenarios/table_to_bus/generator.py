"""A Faker-made history of a single table, with its ground truth: customers (profiles), their members
(the ``OID#``/``UID#`` items both rules select), orders, updates, deletes, no-op writes and deletes of
absent items, deterministic for a seed.

The truth is what the generator meant to do: per write, the stream record DynamoDB must produce
(INSERT, MODIFY, REMOVE, or none for a write that changes nothing) and the attributes it changed; at
the end, the members each customer has. ``reference.py`` derives the same from the writes alone.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from streamharness.scenarios.table_to_bus.contract import CUSTOMER_PREFIX, MEMBER_PREFIX

ROLES = ("owner", "admin", "developer", "viewer")
INTEGRATIONS = ("slack", "github", "jira", "pagerduty", "datadog", "none")
PLANS = ("free", "team", "business", "enterprise")
STATUSES = ("placed", "paid", "shipped", "delivered", "refunded")
_MUTABLE = {"PROFILE": ("company", "email", "plan"), "UID": ("role", "integration", "seats", "email"),
            "ORDER": ("status", "total")}


@dataclass(frozen=True)
class Write:
    """One write as the drive makes it (``put`` of the whole ``item``, or ``delete`` by key) and its truth:
    the stream record it must produce (``event`` None: none) and the attributes that change."""

    op: str
    pk: str
    sk: str
    item: Mapping[str, Any] | None
    event: str | None
    changed: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return self.pk, self.sk


@dataclass(frozen=True)
class TablePlan:
    seed: int
    phases: tuple[tuple[Write, ...], ...]
    members: Mapping[str, int] = field(default_factory=dict)  # customer id -> members left at the end

    @property
    def writes(self) -> list[Write]:
        return [w for phase in self.phases for w in phase]

    def summary(self) -> dict[str, Any]:
        writes = self.writes
        return {"writes": len(writes), "changes": sum(1 for w in writes if w.event),
                "no_op_writes": sum(1 for w in writes if not w.event),
                "customers": len({w.pk for w in writes}), "members_left": sum(self.members.values())}


def to_attribute_value(value: Any) -> dict[str, Any]:
    """A plain value as DynamoDB's wire format (strings and integers are all this table holds)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"the table holds str and int values, not {value!r}")
    return {"S": value} if isinstance(value, str) else {"N": str(value)}


def to_item(item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: to_attribute_value(v) for k, v in item.items()}


def _changed(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> tuple[str, ...]:
    old = old or {}
    return tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker()
        self.fake.seed_instance(seed)
        self.live: dict[tuple[str, str], dict[str, Any]] = {}
        self.people: list[str] = []

    def uid(self) -> str:
        return self.fake.unique.hexify("^^^^^^^^")

    def put(self, item: dict[str, Any]) -> Write:
        key = (item["pk"], item["sk"])
        old = self.live.get(key)
        self.live[key] = item
        changed = _changed(old, item)
        event = None if old == item else ("INSERT" if old is None else "MODIFY")
        return Write("put", key[0], key[1], dict(item), event, changed if event else ())

    def delete(self, key: tuple[str, str]) -> Write:
        old = self.live.pop(key, None)
        return Write("delete", key[0], key[1], None, None if old is None else "REMOVE",
                     tuple(sorted(old)) if old else ())

    def profile(self, cid: str) -> dict[str, Any]:
        company = self.fake.company()
        return {"pk": CUSTOMER_PREFIX + cid, "sk": "PROFILE", "gsi1_pk": "CUSTOMER", "gsi1_sk": company,
                "company": company, "email": self.fake.company_email(), "plan": self.rng.choice(PLANS),
                "version": 1, "updated_by": self.rng.choice(self.people)}

    def member(self, cid: str) -> dict[str, Any]:
        uid = self.uid()
        return {"pk": CUSTOMER_PREFIX + cid, "sk": MEMBER_PREFIX + uid, "gsi1_pk": MEMBER_PREFIX + uid,
                "gsi1_sk": CUSTOMER_PREFIX + cid, "name": self.fake.name(), "email": self.fake.email(),
                "role": self.rng.choice(ROLES), "integration": self.rng.choice(INTEGRATIONS),
                "seats": self.rng.randint(1, 50), "updated_by": self.rng.choice(self.people)}

    def order(self, cid: str) -> dict[str, Any]:
        members = [k for k in self.live if k[0] == CUSTOMER_PREFIX + cid and k[1].startswith(MEMBER_PREFIX)]
        buyer = self.rng.choice(members)[1] if members else MEMBER_PREFIX + "none"
        day = self.fake.date_between(start_date="-1y", end_date="today").isoformat()
        return {"pk": CUSTOMER_PREFIX + cid, "sk": f"ORDER#{self.uid()}", "gsi1_pk": buyer, "gsi1_sk": f"ORDER#{day}",
                "total": self.rng.randint(100, 500_000), "status": "placed", "updated_by": self.rng.choice(self.people)}

    def updated(self, item: dict[str, Any]) -> dict[str, Any]:
        new = dict(item)
        kind = item["sk"].split("#")[0]
        for attr in self.rng.sample(_MUTABLE[kind], self.rng.randint(1, 2)):
            new[attr] = {"company": self.fake.company, "email": self.fake.email, "plan": lambda: self.rng.choice(PLANS),
                         "role": lambda: self.rng.choice(ROLES), "integration": lambda: self.rng.choice(INTEGRATIONS),
                         "seats": lambda: self.rng.randint(1, 50), "status": lambda: self.rng.choice(STATUSES),
                         "total": lambda: self.rng.randint(100, 500_000)}[attr]()
        new["updated_by"] = self.rng.choice(self.people)
        if kind == "PROFILE":
            new["version"] = item["version"] + 1
        return new


def generate_plan(customers: int, orders: int, updates: int, deletes: int, seed: int, *,
                  no_op_fraction: float = 0.1) -> TablePlan:
    """``customers`` profiles with 1-3 members each and ``orders`` orders, written first; then, shuffled,
    ``updates`` updates (a ``no_op_fraction`` of them writing the item unchanged), ``deletes`` deletes
    (members and orders; one in ten of an item that is already gone) and a new member per two customers."""
    if min(customers, orders, updates, deletes) < 0 or customers < 1:
        raise ValueError("customers must be >= 1 and orders, updates, deletes >= 0")
    b = _Builder(seed)
    b.people = [b.fake.user_name() for _ in range(8)]
    cids = [b.uid() for _ in range(customers)]
    create: list[Write] = []
    for cid in cids:
        create.append(b.put(b.profile(cid)))
        create += [b.put(b.member(cid)) for _ in range(b.rng.randint(1, 3))]
    create += [b.put(b.order(b.rng.choice(cids))) for _ in range(orders)]

    kinds = ["update"] * updates + ["delete"] * deletes + ["join"] * (customers // 2)
    b.rng.shuffle(kinds)
    change: list[Write] = []
    gone: list[tuple[str, str]] = []
    for kind in kinds:
        keys = sorted(b.live)
        if kind == "join":
            change.append(b.put(b.member(b.rng.choice(cids))))
        elif kind == "update":
            item = b.live[b.rng.choice(keys)]
            same = b.rng.random() < no_op_fraction
            change.append(b.put(dict(item) if same else b.updated(item)))
        elif gone and b.rng.random() < 0.1:
            change.append(b.delete(b.rng.choice(gone)))
        else:
            deletable = [k for k in keys if k[1] != "PROFILE"]
            if deletable:
                key = b.rng.choice(deletable)
                gone.append(key)
                change.append(b.delete(key))
    members: dict[str, int] = {}
    for pk, sk in b.live:
        if sk.startswith(MEMBER_PREFIX):
            members[pk[len(CUSTOMER_PREFIX):]] = members.get(pk[len(CUSTOMER_PREFIX):], 0) + 1
    return TablePlan(seed=seed, phases=(tuple(create), tuple(change)), members=dict(sorted(members.items())))
