"""Message, request and receipt ids: random version-4 UUIDs from a seeded-once PRNG, not from
``os.urandom`` per id (a system call that cost a fifth of an SQS delivery). They identify; they
guard nothing."""
from __future__ import annotations

import random
import uuid

_rng = random.Random()


def new_id() -> str:
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


__all__ = ["new_id"]
