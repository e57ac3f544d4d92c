"""Ids the runtime makes (request ids, batch ids, event ids): seeded, they repeat run after run."""
from __future__ import annotations

import random
import threading
import uuid


class IdSource:
    """``IdSource(seed)`` gives the same sequence of ids each time; ``IdSource()`` is random.

    The order in which threads draw ids is not deterministic, so with several lanes a seeded run
    repeats the set of ids, and one lane's sequence, not which record got which id.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._lock = threading.Lock()

    def _bits(self, n: int) -> int:
        with self._lock:
            return self._rng.getrandbits(n)

    def uuid(self) -> str:
        """A version-4 UUID string (AWS's request ids and event ids look like this)."""
        return str(uuid.UUID(int=self._bits(128), version=4))

    request_id = uuid
    event_id = uuid

    def batch_id(self) -> str:
        """A short id naming one batch in the trace."""
        return f"{self._bits(48):012x}"

    def random(self) -> random.Random:
        """A Random for jitter and the like, seeded from this source."""
        return random.Random(self._bits(64))
