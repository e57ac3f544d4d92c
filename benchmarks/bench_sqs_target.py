"""PutEvents -> rule -> SQS target with 50,000 messages already queued, against PutEvents with no rule
matching, in one run (medians of --repeats; the ratio is the median of per-repeat ratios), and
LocalStack's figure when --localstack-endpoint is given. Goals: SQS target >= 5,000 entries/s,
ratio >= 0.5, >= 5x LocalStack. See harness/perf/sqs_target.py.

    .venv/bin/python benchmarks/bench_sqs_target.py [--entries 20000] [--queued 50000] [--clients 1]
        [--repeats 3] [--localstack-endpoint http://127.0.0.1:4566] [--json out.json]
"""
from __future__ import annotations

import argparse
import json

from harness.perf import measure_sqs_target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--queued", type=int, default=50_000)
    ap.add_argument("--clients", type=int, default=1, help="sender processes calling PutEvents")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--localstack-endpoint")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    f = measure_sqs_target(args.entries, args.queued, args.clients, args.repeats, args.localstack_endpoint,
                           progress=lambda line: print(line, flush=True))
    print(f"SQS target, {f.queued:,} queued: {f.sqs_entries_per_s:,.0f} entries/s; no target: "
          f"{f.no_target_entries_per_s:,.0f}/s; ratio {f.ratio:.2f} (goal >= 0.5)")
    print(f"CPU per entry: harness {f.harness_cpu_us_per_entry} us, each sender {f.client_cpu_us_per_entry} us")
    if f.localstack_entries_per_s is not None:
        print(f"LocalStack: {f.localstack_entries_per_s:,.0f} entries/s; harness / LocalStack {f.vs_localstack:.1f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(f.to_dict(), out, indent=2)


if __name__ == "__main__":
    main()
