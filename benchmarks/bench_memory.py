"""Peak memory of a long ESM engine run, per trace retention: is the harness's memory flat?

One mapping (filter on eventName, half the records pass, batch 100, payloads traced) reads a
generated in-memory stream: each record is built when the engine reads it, so what stays in memory
is the engine's and the trace's own. Each configuration runs in a fresh process and reports its
peak RSS (VmHWM), its throughput, and that the trace still holds every event.

    python benchmarks/bench_memory.py [--records 100000 1000000] [--retention default bounded all]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from typing import Any

RETENTIONS = {  # name -> Retention(...) keyword arguments
    "default": {},                   # Retention(): the last 20,000 events in memory, the rest spooled
    "bounded": {"in_memory": 1000},  # a tighter ring
    "all": {"in_memory": None},      # everything in memory (the trace before bounded retention)
}


class GeneratedStreams:
    """A DynamoDB Streams source (the calls the engine makes) whose records are built on read."""

    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/gen"
    shard_id = "shardId-00000000000000000000-00000000"

    def __init__(self, records: int) -> None:
        self.records = records

    @staticmethod
    def record(i: int) -> dict[str, Any]:
        key = {"pk": {"S": f"k{i % 5000}"}}
        return {"eventID": f"e{i + 1}", "eventName": "INSERT" if i % 2 == 0 else "MODIFY", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "dynamodb": {"ApproximateCreationDateTime": 1_700_000_000, "Keys": key,
                             "NewImage": {**key, "n": {"N": str(i)}}, "SequenceNumber": f"{i + 1:021d}",
                             "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"}}

    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": [
            {"ShardId": self.shard_id, "SequenceNumberRange": {"StartingSequenceNumber": "1"}}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str,
                           SequenceNumber: str | None = None) -> dict[str, Any]:
        pos = {"TRIM_HORIZON": 0, "LATEST": self.records}.get(ShardIteratorType)
        return {"ShardIterator": str(pos if pos is not None else int(str(SequenceNumber)))}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:
        pos = int(ShardIterator)
        end = min(pos + Limit, self.records)
        return {"Records": [self.record(i) for i in range(pos, end)], "NextShardIterator": str(end)}


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def run(records: int, retention: str) -> dict[str, Any]:
    """One engine run in this process (call it in a fresh one: peak RSS is per process)."""
    from harness.runtime.esm.engine import EngineOptions, MappingRuntime
    from harness.runtime.invoker import InvocationResult
    from harness.topology import EventSourceMapping
    from harness.trace import Retention, Trace

    streams = GeneratedStreams(records)
    trace = Trace(Retention(**RETENTIONS[retention]))
    spec = EventSourceMapping("fn", "t", batch_size=100, filter_criteria=['{"eventName": ["INSERT"]}'])
    cond = threading.Condition()

    def invoke(event, request_id):  # type: ignore[no-untyped-def]
        return InvocationResult(request_id, ok=True, response=None)

    m = MappingRuntime(spec, stream_arn=streams.stream_arn, streams=streams, invoke=invoke,
                       function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn", region="us-east-1",
                       trace=trace, options=EngineOptions(), cond=cond, on_activity=lambda: None, partition_key="pk")
    rss_before = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    m.start()
    with cond:
        cond.wait_for(lambda: m.stats.succeeded + m.stats.filtered >= records, timeout=3600)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    m.stop()
    rss_run = peak_rss_mb()
    counts = trace.counts()
    trace.flush()
    spool_mb = trace.spool_path.stat().st_size / 2**20 if trace.spool_path is not None else 0.0
    out = {"records": records, "retention": retention, "records_per_s": round(records / wall),
           "records_per_cpu_s": round(records / cpu), "peak_rss_mb_before": round(rss_before, 1),
           "peak_rss_mb": round(rss_run, 1), "events": len(trace), "in_memory": trace.in_memory,
           "record_events": counts["record"], "spool_mb": round(spool_mb, 1), "balanced": m.stats.balanced}
    trace.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--retention", nargs="+", choices=sorted(RETENTIONS), default=["default", "bounded"])
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run: print its JSON
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run(args.records[0], args.retention[0])))
        return
    for records in args.records:
        for retention in args.retention:
            child = subprocess.run([sys.executable, __file__, "--one", "--records", str(records),
                                    "--retention", retention], capture_output=True, text=True, check=True)
            r = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"{records:>9,} records, retention {retention:<7}: peak RSS {r['peak_rss_mb']:7.1f} MB "
                  f"(before the run {r['peak_rss_mb_before']:.1f}), {r['records_per_s']:,} records/s "
                  f"({r['records_per_cpu_s']:,} per CPU-second), {r['events']:,} events "
                  f"({r['in_memory']:,} in memory, {r['record_events']:,} record events read back), "
                  f"spool {r['spool_mb']:,} MB", flush=True)


if __name__ == "__main__":
    main()
