"""Ids are formatted by hand (no uuid.UUID per id): they must still be RFC 4122 version-4 UUIDs."""
from __future__ import annotations

import uuid

from harness.emulators.ids import new_id


def test_ids_are_distinct_version_4_uuids_in_canonical_text() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        u = uuid.UUID(text)
        assert (u.version, u.variant, str(u)) == (4, uuid.RFC_4122, text)
