"""The flood's writes, from writer processes of their own.

A boto3 call costs about a millisecond of client CPU; made from threads of the harness's process,
the writers would share its interpreter lock with the shard readers and the detector and slow them
down. Each writer is a ``python -m`` child (not a fork of the harness's threads, and without
re-importing the parent's main module) that makes its client once, then upserts the rows it reads
from stdin, one JSON list per line, and reports its progress on stdout; the backend's endpoints come
from the environment the harness sets while it runs. This module imports boto3 only, so a writer
starts quickly.
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.scenario.base import Progress

UPSERT = ("SET last_seen = :ts, protocol = :proto, written_at = if_not_exists(written_at, :now) "
          "ADD packets :one")
_PROGRESS_EVERY = 50
_START_TIMEOUT_S = 120.0

Row = tuple[str, float, str]  # a packet's ip, timestamp and protocol: what its UpdateItem writes


def upsert(ddb: Any, table: str, ip: str, ts: float, protocol: str) -> None:
    """Upsert a packet's source IP; ``written_at`` keeps the first write's time (the INSERT's)."""
    ddb.update_item(TableName=table, Key={"ip": {"S": ip}}, UpdateExpression=UPSERT,
                    ExpressionAttributeValues={":ts": {"N": repr(ts)}, ":proto": {"S": protocol},
                                               ":now": {"N": repr(time.time())}, ":one": {"N": "1"}})


def serve(table: str, jobs: IO[str], out: IO[str]) -> None:
    """A writer process: one client, then each line of rows it reads, until end of input."""
    import boto3
    ddb = boto3.client("dynamodb")
    out.write("ready 0\n")
    out.flush()
    for line in jobs:
        rows = json.loads(line)
        for i, (ip, ts, protocol) in enumerate(rows, 1):
            upsert(ddb, table, ip, ts, protocol)
            if i % _PROGRESS_EVERY == 0:
                out.write(f"progress {_PROGRESS_EVERY}\n")
                out.flush()
        out.write(f"done {len(rows) % _PROGRESS_EVERY}\n")
        out.flush()


class PacketWriters:
    """``processes`` writer processes for ``table``; ``write(packets)`` splits the packets among them.

    Packets are dealt round-robin, so each writer keeps the flood's order within its share (as
    threads would); the order across writers is up to the scheduler, which the oracles allow for.
    """

    def __init__(self, table: str, processes: int) -> None:
        self.table = table
        self.processes = processes
        self._procs: list[subprocess.Popen[str]] = []
        self._events: queue.Queue[tuple[int, str, int]] = queue.Queue()

    def __enter__(self) -> PacketWriters:
        for i in range(self.processes):
            p = subprocess.Popen([sys.executable, "-m", __name__, self.table], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
            self._procs.append(p)
            threading.Thread(target=self._listen, args=(i, p), name=f"producer-{i}", daemon=True).start()
        try:
            self._collect("ready", None, _START_TIMEOUT_S)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for p in self._procs:
            if p.stdin and not p.stdin.closed:
                try:
                    p.stdin.close()
                except OSError:
                    pass
        for p in self._procs:
            try:
                p.wait(10.0)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def _listen(self, i: int, p: subprocess.Popen[str]) -> None:
        assert p.stdout is not None
        for line in p.stdout:
            what, _, n = line.partition(" ")
            self._events.put((i, what, int(n or 0)))
        self._events.put((i, "exited", p.wait()))

    def write(self, packets: Sequence[Any], progress: Progress | None = None) -> tuple[float, float]:
        """Write every packet; returns (started, finished), epoch seconds."""
        rows: list[Row] = [(p.ip, p.ts, p.protocol) for p in packets]
        n = len(self._procs)
        started = time.time()
        for i, p in enumerate(self._procs):
            assert p.stdin is not None
            p.stdin.write(json.dumps(rows[i::n]) + "\n")
            p.stdin.flush()
        self._collect("done", progress, None)
        return started, time.time()

    def _collect(self, kind: str, progress: Progress | None, timeout_s: float | None) -> None:
        """Wait for a ``kind`` line from every writer, passing progress on; a writer that exits fails it."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        count = len(self._procs)
        while count:
            try:
                i, what, n = self._events.get(timeout=1.0)
            except queue.Empty:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"writer processes not {kind} after {timeout_s:.0f} s") from None
                continue
            if what == "exited":
                raise RuntimeError(f"writer process {i} (pid {self._procs[i].pid}) exited with status {n} "
                                   f"while {'starting' if kind == 'ready' else 'writing'}; its error is above")
            if progress is not None and n:
                progress.advance(n)
            if what == kind:
                count -= 1


__all__ = ["PacketWriters", "UPSERT", "serve", "upsert"]

if __name__ == "__main__":
    serve(sys.argv[1], sys.stdin, sys.stdout)
