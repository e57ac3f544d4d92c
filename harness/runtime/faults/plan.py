"""A fault plan: which faults to inject, where, how often; pure data, loaded from Python or YAML.

Every decision is a function of the plan's seed, the fault's position in the plan and what is being
decided on (the records of a batch, an event's detail, an API call's parameters, a PutEvents entry),
never of wall time or thread scheduling, so the same plan and seed inject the same faults run after run.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

#: fault kind -> what it does (also the reference the README's table is checked against)
KINDS: dict[str, str] = {
    "error": "the handler raises before it runs (transient: only the first `attempts` attempts)",
    "poison": "a record that makes every invocation carrying it fail, on every attempt",
    "timeout": "the handler runs, then the invocation is reported as Sandbox.Timedout (side effects stay)",
    "latency": "latency_ms added before the handler runs",
    "throttle": "the handler's API calls answered with a throttling error for `attempts` HTTP attempts "
                "(the SDK retries)",
    "put_events_failure": "PutEvents entries rejected (FailedEntryCount > 0, per-entry ErrorCode; transient: only "
                          "in the first `attempts` attempts)",
    "duplicate": "the invocation delivered twice (an at-least-once redelivery of the batch or event)",
}

#: kinds asked for that are not injected, and why (the loader names the reason)
UNSUPPORTED: dict[str, str] = {
    "backend_restart": "killing the backend mid-run is not injected: the embedded backend runs in this process "
                       "(killing it kills the run) and DynamoDB Local with -inMemory loses its tables and "
                       "streams on a kill, so a restart tests the restart, not the pipeline",
}

_THROTTLE_CODES = {"dynamodb": "ProvisionedThroughputExceededException", "events": "ThrottlingException",
                   "sqs": "ThrottlingException", "sns": "Throttling"}


class FaultPlanError(ValueError):
    """A fault plan that cannot be applied; the message names the fault and the field."""


@dataclass(frozen=True)
class Fault:
    """One fault. ``function``: only this function's invocations (None: every function); ``rate``: the
    share of matching invocations, calls or entries it hits; ``key``/``where``: only invocations whose
    event carries a record (stream record or EventBridge detail) with that key value or those attribute
    values; ``limit``: at most this many injections."""

    kind: str
    function: str | None = None
    rate: float = 1.0
    key: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    attempts: int = 1
    latency_ms: float = 0.0
    error_type: str = "InjectedFault"
    error_code: str | None = None
    service: str | None = None
    operation: str | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        where = f"fault {self.kind!r}"
        if self.kind in UNSUPPORTED:
            raise FaultPlanError(f"{where}: {UNSUPPORTED[self.kind]}")
        if self.kind not in KINDS:
            raise FaultPlanError(f"{where}: unknown kind (kinds: {', '.join(KINDS)})")
        if not 0.0 <= self.rate <= 1.0:
            raise FaultPlanError(f"{where}: rate must be within 0..1, got {self.rate!r}")
        if self.attempts < 1:
            raise FaultPlanError(f"{where}: attempts must be >= 1, got {self.attempts!r}")
        if self.kind == "poison" and self.key is None and not self.where:
            raise FaultPlanError(f"{where}: a poison record is chosen by key or where")
        if self.kind == "latency" and self.latency_ms <= 0:
            raise FaultPlanError(f"{where}: latency_ms must be > 0")
        if self.kind == "throttle" and self.service not in _THROTTLE_CODES:
            raise FaultPlanError(f"{where}: service must be one of {', '.join(_THROTTLE_CODES)}, got {self.service!r}")

    @property
    def code(self) -> str:
        """The AWS error code the fault answers with (throttle, put_events_failure)."""
        if self.error_code:
            return self.error_code
        if self.kind == "throttle":
            return _THROTTLE_CODES[str(self.service)]
        return "InternalFailure"

    @property
    def on_calls(self) -> bool:
        """Injected into the handler's API calls (a botocore hook) rather than around the invocation."""
        return self.kind in ("throttle", "put_events_failure")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        defaults = {f.name: f.default for f in fields(Fault) if f.name != "where"}
        return {k: v for k, v in out.items() if k == "kind" or (k == "where" and v) or
                (k != "where" and v != defaults.get(k))}


@dataclass(frozen=True)
class FaultPlan:
    faults: tuple[Fault, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(self.faults))

    def chance(self, index: int, token: str) -> float:
        """A number in [0, 1) fixed by the seed, the fault and ``token``."""
        digest = hashlib.sha256(f"{self.seed}:{index}:{token}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2 ** 64

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "faults": [f.to_dict() for f in self.faults]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "fault plan") -> FaultPlan:
        if not isinstance(data, Mapping):
            raise FaultPlanError(f"{source}: a mapping with 'faults' (and 'seed') expected")
        unknown = sorted(set(data) - {"seed", "faults"})
        if unknown:
            raise FaultPlanError(f"{source}: unknown field(s) {', '.join(unknown)} (fields: seed, faults)")
        faults = data.get("faults") or []
        if not isinstance(faults, Sequence) or isinstance(faults, str):
            raise FaultPlanError(f"{source}: 'faults' must be a list")
        known = {f.name for f in fields(Fault)}
        out = []
        for i, spec in enumerate(faults):
            if not isinstance(spec, Mapping) or "kind" not in spec:
                raise FaultPlanError(f"{source}: faults[{i}] must be a mapping with a 'kind'")
            bad = sorted(set(spec) - known)
            if bad:
                raise FaultPlanError(f"{source}: faults[{i}] ({spec['kind']}): unknown field(s) {', '.join(bad)} "
                                     f"(fields: {', '.join(sorted(known))})")
            try:
                out.append(Fault(**spec))
            except FaultPlanError as e:
                raise FaultPlanError(f"{source}: faults[{i}]: {e}") from None
        return cls(tuple(out), int(data.get("seed", 0)))

    @classmethod
    def from_yaml(cls, path: str | Path) -> FaultPlan:
        with open(path) as f:
            data = yaml.safe_load(f)
        return cls.from_dict(data or {}, source=str(path))


# ---- what a fault is decided on ------------------------------------------------------------------

def records_of(event: Any) -> list[dict[str, Any]]:
    """The records an event carries, as flat ``{attribute: value}`` dicts: a stream record's keys and new
    image (DynamoDB JSON unwrapped), an EventBridge event's detail."""
    if isinstance(event, Mapping) and isinstance(event.get("Records"), list):
        out = []
        for r in event["Records"]:
            ddb = r.get("dynamodb", {}) if isinstance(r, Mapping) else {}
            flat = {k: _scalar(v) for k, v in {**ddb.get("NewImage", {}), **ddb.get("Keys", {})}.items()}
            out.append(flat)
        return out
    if isinstance(event, Mapping) and isinstance(event.get("detail"), Mapping):
        return [dict(event["detail"])]
    return [dict(event)] if isinstance(event, Mapping) else []


def _scalar(value: Any) -> Any:
    if isinstance(value, Mapping) and len(value) == 1:
        (tag, inner), = value.items()
        if tag in ("S", "N", "BOOL"):
            return inner
    return value


def matches(fault: Fault, record: Mapping[str, Any]) -> bool:
    if fault.key is not None and str(fault.key) not in {str(v) for v in record.values()}:
        return False
    return all(str(record.get(k)) == str(v) for k, v in fault.where.items())


def event_token(event: Any) -> str:
    """What an invocation is decided on: its records' names, keys and new images, or an event's detail
    (never ids or sequence numbers, which differ from run to run on a shared backend)."""
    if isinstance(event, Mapping) and isinstance(event.get("Records"), list):
        parts = [(r.get("eventName"), r.get("dynamodb", {}).get("Keys"), r.get("dynamodb", {}).get("NewImage"))
                 for r in event["Records"] if isinstance(r, Mapping)]
        return json.dumps(parts, sort_keys=True, default=str)
    if isinstance(event, Mapping) and "detail" in event:
        return json.dumps([event.get("source"), event.get("detail-type"), event.get("detail")], sort_keys=True,
                          default=str)
    return json.dumps(event, sort_keys=True, default=str)


__all__ = ["KINDS", "UNSUPPORTED", "Fault", "FaultPlan", "FaultPlanError", "event_token", "matches", "records_of"]
