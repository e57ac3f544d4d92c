"""SQS servers compared with the same boto3 code: SendMessage/s as a queue fills, SendMessageBatch,
ReceiveMessage + DeleteMessage.

Each candidate runs in its own process on 127.0.0.1 (the client never shares its interpreter):

    harness   the harness's own SQS endpoint (harness/emulators/sqs), as the embedded backend serves it
    model     the same SQS model called in this process, no HTTP and no boto3 (what EventBridge's
              dispatcher does for a queue of the embedded backend): the server's own cost
    moto      ``python -m moto.server`` of this virtualenv (``--moto-python`` for another one)
    fauxqs    the npm package, installed with ``npm install fauxqs`` into ``--npm-dir``/fauxqs (2.x needs
              Node >= 22.5 for node:sqlite; on Node 20 install fauxqs@1.9.2)
    sqslite   the npm package, likewise (it speaks only SQS's query protocol)

Per candidate: SendMessage/s with 0, 3,000 and 50,000 messages already queued (the queue is filled
with SendMessageBatch, whose rate is printed too), then ReceiveMessage (10 at a time) + one
DeleteMessage per message. A measurement stops after ``--budget`` seconds, so a slow server gives
the rate it reached instead of stalling the run; a fill that cannot reach its level in the budget
is reported as such.

    .venv/bin/python benchmarks/bench_sqs.py [--candidates harness,moto,fauxqs,sqslite] [--npm-dir DIR]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from harness.backends.processes import free_port

LEVELS = (0, 3_000, 50_000)
BODY = '{"order_id": "o-1", "customer": "c-1", "total": 42.5, "items": [{"sku": "a", "qty": 1}]}'


def _serve_harness(port: int) -> None:
    from harness.emulators.server import MessagingServer

    MessagingServer(port=port).start()
    while True:
        time.sleep(3600)


def start(name: str, args: argparse.Namespace) -> tuple[Any, str]:
    port = free_port()
    env = dict(os.environ)
    if name == "model":
        return None, ""
    if name == "harness":
        proc: Any = mp.get_context("spawn").Process(target=_serve_harness, args=(port,), daemon=True)
        proc.start()
    elif name == "moto":
        proc = subprocess.Popen([args.moto_python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif name == "fauxqs":
        env.update(FAUXQS_PORT=str(port), FAUXQS_HOST="127.0.0.1", FAUXQS_LOGGER="false")
        proc = subprocess.Popen(["node", str(Path(args.npm_dir) / "fauxqs/node_modules/fauxqs/dist/cli.js")],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif name == "sqslite":
        proc = subprocess.Popen(["node", str(Path(args.npm_dir) / "sqslite/node_modules/sqslite/bin/cli.js"),
                                 "--host", "127.0.0.1", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        raise SystemExit(f"unknown candidate {name!r}")
    return proc, f"http://127.0.0.1:{port}"


def stop(proc: Any) -> None:
    if proc is None:
        return
    if isinstance(proc, subprocess.Popen):
        proc.terminate()
        proc.wait(10)
    else:
        proc.terminate()
        proc.join(10)


def client(url: str) -> Any:
    return boto3.session.Session().client(
        "sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}, read_timeout=120))


def wait_ready(sqs: Any, timeout: float = 60) -> float:
    t0 = time.perf_counter()
    last: Exception | None = None
    while time.perf_counter() - t0 < timeout:
        try:
            sqs.list_queues()
            return time.perf_counter() - t0
        except EndpointConnectionError as e:  # not listening yet
            last = e
            time.sleep(0.05)
    raise RuntimeError(f"not ready after {timeout}s: {last}")


def timed(op: Callable[[], int], total: int, budget: float) -> tuple[int, float]:
    """Run ``op`` (which returns how many messages it handled) until ``total`` or the budget."""
    done, t0 = 0, time.perf_counter()
    while done < total and time.perf_counter() - t0 < budget:
        n = op()
        if n == 0:
            break
        done += n
    return done, time.perf_counter() - t0


class ModelClient:
    """The four calls the measurement makes, on the SqsModel directly, shaped like boto3's answers."""

    def __init__(self) -> None:
        from harness.emulators.sqs.models import SqsModel

        self.model = SqsModel()

    def list_queues(self) -> list[str]:
        return self.model.list_queues()

    def create_queue(self, QueueName: str) -> dict[str, str]:  # noqa: N803 - boto3's names
        return {"QueueUrl": self.model.create_queue(QueueName)}

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, Any]:  # noqa: N803
        return self.model.send_message(QueueUrl, MessageBody)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        return self.model.send_message_batch(QueueUrl, Entries)

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int) -> dict[str, Any]:  # noqa: N803
        return {"Messages": self.model.receive_message(QueueUrl, MaxNumberOfMessages, wait_seconds=0)}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:  # noqa: N803
        self.model.delete_message(QueueUrl, ReceiptHandle)


def measure(name: str, url: str, args: argparse.Namespace) -> dict[str, str]:
    sqs = ModelClient() if name == "model" else client(url)
    out = {"ready_s": f"{wait_ready(sqs):.2f}"}
    q = sqs.create_queue(QueueName=f"bench-{name}")["QueueUrl"]
    batch = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]
    queued = 0
    for level in LEVELS:
        if level > queued:
            n, s = timed(lambda: len(sqs.send_message_batch(QueueUrl=q, Entries=batch)["Successful"]),
                         level - queued, args.fill_budget)
            queued += n
            out[f"batch_{level}"] = f"{n / s:,.0f}"
            if queued < level:
                out[f"send_{level}"] = f"fill reached {queued:,} in {s:.0f}s"
                break
        n, s = timed(lambda: 1 if sqs.send_message(QueueUrl=q, MessageBody=BODY) else 0, args.sends, args.budget)
        queued += n
        out[f"send_{level}"] = f"{n / s:,.0f}"

    def receive_delete() -> int:
        got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
        return len(got)

    n, s = timed(receive_delete, args.receives, args.budget)
    out["receive_delete"] = f"{n / s:,.0f}" if n else "0"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", default="model,harness,moto,fauxqs,sqslite")
    ap.add_argument("--npm-dir", default=os.environ.get("BENCH_SQS_NPM_DIR", "/tmp/queues-npm"),
                    help="holds fauxqs/ and sqslite/, each an `npm install NAME` directory")
    ap.add_argument("--moto-python", default=sys.executable)
    ap.add_argument("--sends", type=int, default=2_000, help="SendMessage calls per level")
    ap.add_argument("--receives", type=int, default=2_000, help="messages received and deleted")
    ap.add_argument("--budget", type=float, default=15.0, help="seconds per measurement, at most")
    ap.add_argument("--fill-budget", type=float, default=120.0, help="seconds to fill to a level, at most")
    args = ap.parse_args()
    cols = ["ready_s"] + [f"{k}_{lv}" for lv in LEVELS for k in ("batch", "send") if (k, lv) != ("batch", 0)]
    cols.append("receive_delete")
    rows = []
    for name in args.candidates.split(","):
        if name in ("fauxqs", "sqslite") and (shutil.which("node") is None
                                              or not (Path(args.npm_dir) / name / "node_modules").is_dir()):
            rows.append((name, {"ready_s": f"not installed under {args.npm_dir}/{name}"}))
            continue
        proc, url = start(name, args)
        try:
            result = measure(name, url, args)
        except Exception as e:  # a candidate that cannot serve boto3's requests: say why
            result = {"ready_s": f"failed: {type(e).__name__}: {str(e)[:160]}"}
        finally:
            stop(proc)
        rows.append((name, result))
        print(name, result, flush=True)
    print("\nmessages/s (send_N: SendMessage with N already queued; batch_N: SendMessageBatch filling to N)")
    print(" | ".join(["candidate"] + cols))
    for name, r in rows:
        print(" | ".join([name] + [r.get(c, "-") for c in cols]))


if __name__ == "__main__":
    main()
