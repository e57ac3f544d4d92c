"""The ESM engine's own throughput: records/s through filter -> batch -> invoke, no backend.

An in-memory stream (InMemoryStreams) feeds one mapping with FilterCriteria on eventName (half the
records pass); the handler does nothing. Everything else is the real engine: trace events for
every record, filtering, lanes, batching, payload building, invocation, checkpoints.

    python benchmarks/bench_engine.py [--records 200000] [--batch-size 100] [--parallelization 1]
"""
from __future__ import annotations

import argparse
import contextlib
import threading
import time
from typing import Any

from harness.runtime.esm.engine import EngineOptions, MappingConfig, MappingPorts, MappingRuntime
from harness.runtime.functions import FunctionService
from harness.runtime.invoker import InvocationResult
from harness.runtime.streams.memory import InMemoryStreams
from harness.topology import EventSourceMapping
from harness.trace import Trace


class NullInvoker:
    """A handler that does nothing, without the invoker around it: the engine's cost alone."""

    def invoke(self, event: Any, request_id: str) -> InvocationResult:
        return InvocationResult(request_id, ok=True, response=None)

    def hold_environment(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def stop(self) -> None:
        pass


def run(records: int, batch_size: int, parallelization: int, trace_payloads: bool) -> float:
    streams = InMemoryStreams()
    for i in range(records):
        key = {"pk": {"S": f"k{i % 5000}"}}
        streams.append("INSERT" if i % 2 == 0 else "MODIFY", key, new_image={**key, "n": {"N": str(i)}})
    spec = EventSourceMapping("fn", "t", batch_size=batch_size, parallelization_factor=parallelization,
                              filter_criteria=['{"eventName": ["INSERT"]}'])
    cond = threading.Condition()

    def changed() -> None:
        with cond:
            cond.notify_all()

    trace = Trace()
    functions = FunctionService({"fn": NullInvoker()}, trace, trace_payloads=trace_payloads)
    config = MappingConfig(spec, stream_arn=streams.stream_arn,
                           function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn", region="us-east-1",
                           partition_key="pk", options=EngineOptions(trace_payloads=trace_payloads))
    m = MappingRuntime(config, MappingPorts(streams=streams, invoke=functions.invoke, trace=trace, on_change=changed))
    t0 = time.perf_counter()
    m.start()
    with cond:
        cond.wait_for(lambda: m.stats.succeeded + m.stats.filtered >= records, timeout=600)
    elapsed = time.perf_counter() - t0
    m.stop()
    if not m.stats.balanced:
        raise RuntimeError(f"the engine lost records: {m.stats}")
    return records / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--parallelization", type=int, default=1)
    args = ap.parse_args()
    for payloads in (True, False):
        rate = run(args.records, args.batch_size, args.parallelization, payloads)
        print(f"engine throughput, filtering on (50% pass), batch {args.batch_size}, "
              f"parallelization {args.parallelization}, payloads in trace {payloads}: {rate:,.0f} records/s")


if __name__ == "__main__":
    main()
