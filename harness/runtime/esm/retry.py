"""What happens to a batch after an invocation: AWS's retry, bisect and partial-failure rules, pure.

A unit of work is a list of records plus the retries it has used. An error (or a partial failure)
leads to, in this order:
  1. give up if the oldest record is older than MaximumRecordAgeInSeconds (RecordAgeExceeded);
  2. with BisectBatchOnFunctionError and more than one record: split in two halves, each run in
     order; a split does not use a retry;
  3. give up if MaximumRetryAttempts retries were used (RetryAttemptsExhausted);
  4. otherwise retry the same records after a backoff.
With ReportBatchItemFailures, records before the lowest reported one succeed and the rest is
retried from there (the batch is split at the reported record); an invalid report fails the batch.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from harness.runtime.esm.responses import InvalidBatchItemFailures, parse_batch_item_failures

R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int = -1
    maximum_record_age_in_seconds: int = -1
    bisect_batch_on_function_error: bool = False
    report_batch_item_failures: bool = False
    backoff_base_s: float = 0.01
    backoff_max_s: float = 1.0

    def backoff(self, retry: int) -> float:
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, retry - 1))


class Outcome(Protocol):
    ok: bool
    response: Any
    error_type: str | None
    error_message: str | None


class Listener(Protocol[R]):
    """What the runner reports; the engine turns each call into trace events and accounting."""

    def succeeded(self, records: Sequence[R]) -> None: ...
    def gave_up(self, records: Sequence[R], condition: str, invocations: int, last: Outcome) -> None: ...
    def retrying(self, records: Sequence[R], retry: int, backoff_s: float, reason: str) -> None: ...
    def split(self, records: Sequence[R], halves: tuple[Sequence[R], Sequence[R]]) -> None: ...
    def partial(self, records: Sequence[R], failed_ids: Sequence[str]) -> None: ...


@dataclass
class _Unit(Generic[R]):
    records: list[R]
    retries: int = 0       # retries used (splits do not count)
    invocations: int = 0   # invocations of these records so far (AWS's approximateInvokeCount)


class BatchRunner(Generic[R]):
    """Drives one batch to resolution: every record ends succeeded or given up, in order."""

    def __init__(self, policy: RetryPolicy, *, seq: Callable[[R], str], age_s: Callable[[R], float],
                 listener: Listener[R], wait: Callable[[float], bool]) -> None:
        """``age_s(record)`` is its age now; ``wait(seconds)`` sleeps and returns True if we must stop."""
        self.policy = policy
        self._seq = seq
        self._age = age_s
        self._listener = listener
        self._wait = wait

    def run(self, records: Sequence[R], invoke: Callable[[Sequence[R], int], Outcome]) -> bool:
        """``invoke(records, invocation_number)``; returns False if stopped before the end."""
        todo: deque[_Unit[R]] = deque([_Unit(list(records))])
        p = self.policy
        while todo:
            unit = todo.popleft()
            unit.invocations += 1
            outcome = invoke(unit.records, unit.invocations)
            failed = unit.records
            reason = f"{outcome.error_type}: {outcome.error_message}"
            if outcome.ok:
                if not p.report_batch_item_failures:
                    self._listener.succeeded(unit.records)
                    continue
                try:
                    ids = parse_batch_item_failures(outcome.response, {self._seq(r) for r in unit.records})
                except InvalidBatchItemFailures as e:
                    reason = f"invalid batchItemFailures: {e}"
                else:
                    if not ids:
                        self._listener.succeeded(unit.records)
                        continue
                    self._listener.partial(unit.records, ids)
                    first = min(range(len(unit.records)), key=lambda i: (self._seq(unit.records[i]) not in ids, i))
                    if first:
                        self._listener.succeeded(unit.records[:first])
                    failed = unit.records[first:]
                    reason = f"{len(ids)} item failure(s) reported, retrying from {self._seq(failed[0])}"
            if p.maximum_record_age_in_seconds >= 0 and max(map(self._age, failed)) > p.maximum_record_age_in_seconds:
                self._listener.gave_up(failed, "RecordAgeExceeded", unit.invocations, outcome)
                continue
            if p.bisect_batch_on_function_error and len(failed) > 1 and failed is unit.records:
                mid = (len(failed) + 1) // 2
                halves = (failed[:mid], failed[mid:])
                self._listener.split(failed, halves)
                todo.appendleft(_Unit(list(halves[1]), unit.retries))
                todo.appendleft(_Unit(list(halves[0]), unit.retries))
                continue
            if 0 <= p.maximum_retry_attempts <= unit.retries:
                self._listener.gave_up(failed, "RetryAttemptsExhausted", unit.invocations, outcome)
                continue
            retry = unit.retries + 1
            backoff = p.backoff(retry)
            self._listener.retrying(failed, retry, backoff, reason)
            if self._wait(backoff):
                return False
            todo.appendleft(_Unit(list(failed), retry, unit.invocations))
        return True
