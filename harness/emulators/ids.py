"""Message, request, event and receipt ids: random version-4 UUIDs as text, from a seeded-once PRNG
and formatted directly (``os.urandom`` per id was a fifth of an SQS delivery; building a
``uuid.UUID`` cost a tenth more). They identify; they guard nothing."""
from __future__ import annotations

import random

_rng = random.Random()


def new_id() -> str:
    """``xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx`` with Y one of 8, 9, a, b (RFC 4122 version 4)."""
    h = f"{_rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


__all__ = ["new_id"]
