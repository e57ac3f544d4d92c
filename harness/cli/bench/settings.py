"""How big each measurement is: the full run, and ``--quick`` (small sizes, for a smoke test)."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class BenchSettings:
    #: the scenario whose pipeline, writes and locustfile are measured (it needs a load profile)
    scenario: str = "ip-dedup"
    seed: int = 7
    #: Locust users, in all, for the ceiling and the end-to-end runs (sections 1-3)
    users: int = 20
    spawn_rate: float = 20.0
    run_time_s: int = 20
    #: Locust worker processes of the ceiling and end-to-end runs (the same number of client processes)
    workers: int = 2
    scaling: tuple[int, ...] = (1, 2, 4)
    startup_runs: int = 5
    #: PutEvents entries per measurement, and the messages already in the target queue
    sqs_entries: int = 20_000
    sqs_queued: int = 50_000
    #: processes calling PutEvents (10 entries per call)
    senders: int = 1
    quick: bool = False

    def quickly(self) -> BenchSettings:
        return replace(self, users=4, spawn_rate=4.0, run_time_s=8, scaling=(1, 2), startup_runs=2,
                       sqs_entries=1_000, sqs_queued=2_000, quick=True)

    def to_dict(self) -> dict[str, object]:
        from dataclasses import asdict

        return asdict(self)


__all__ = ["BenchSettings"]
