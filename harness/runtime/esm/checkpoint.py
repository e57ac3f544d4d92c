"""Where a shard can resume: after the highest sequence number below which everything is resolved.

With ParallelizationFactor > 1, records of one shard resolve out of order (different keys run in
different batches at once), so the checkpoint is the end of the resolved prefix, not the last
batch that succeeded.
"""
from __future__ import annotations

from collections import OrderedDict


class CheckpointTracker:
    def __init__(self) -> None:
        self._pending: OrderedDict[str, bool] = OrderedDict()  # read order -> resolved?
        self.checkpoint: str | None = None

    def read(self, seq: str) -> None:
        self._pending[seq] = False

    def resolve(self, *seqs: str) -> str | None:
        """Mark records handled, filtered or given up; returns the new checkpoint if it moved."""
        pending = self._pending
        for seq in seqs:
            if seq in pending:
                pending[seq] = True
        moved = None
        while self._pending:
            first, done = next(iter(self._pending.items()))
            if not done:
                break
            self._pending.popitem(last=False)
            moved = self.checkpoint = first
        return moved

    @property
    def outstanding(self) -> int:
        return len(self._pending)
