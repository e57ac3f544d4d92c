"""The default backend: DynamoDB Local, and the harness's own EventBridge, SQS and SNS endpoints, on loopback,
no Docker; a moto server only where asked for (or when Java is missing)."""
from __future__ import annotations

import http.client
import sys
import time

from harness.backends import dynamodb_local
from harness.backends.base import Backend
from harness.backends.processes import ManagedProcess, free_port

MOTO_DYNAMODB_LOSS = (
    "moto serves DynamoDB, so stream records lose AWS semantics: writes that change nothing still emit "
    "MODIFY records, UpdateItem on a new key emits two INSERTs, and every table has one shard")


def _http_ok(port: int, method: str, path: str, headers: dict[str, str] | None = None, body: str = "") -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return conn.getresponse().status == 200
    finally:
        conn.close()


def _dynamodb_healthy(port: int) -> bool:
    return _http_ok(port, "POST", "/", {
        "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20200101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"}, "{}")


def _moto_healthy(port: int) -> bool:
    return _http_ok(port, "GET", "/moto-api/")


class EmbeddedBackend(Backend):
    name = "embedded"

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012",
                 dynamodb: str = "auto", ready_timeout: float = 60.0, eventbridge: str = "harness",
                 sqs: str | None = None, iam_sts: bool = False) -> None:
        """``dynamodb``: "auto" (DynamoDB Local, else moto with a warning), "local" (required) or "moto".
        ``eventbridge``: "harness" (our endpoint, our matcher routes) or "moto" (the moto server's EventBridge,
        an external EventBridge whose routing we do not control: the harness runs in external mode).
        ``sqs``: "harness" (SQS and SNS from the harness's own endpoint) or "moto"; by default "moto" when
        ``eventbridge="moto"`` (moto's rules deliver only to moto's queues), else "harness".
        ``iam_sts``: also serve IAM and STS (from a moto server); the harness itself needs neither."""
        super().__init__(region, account_id)
        sqs = sqs or ("moto" if eventbridge == "moto" else "harness")
        if sqs not in ("harness", "moto"):
            raise ValueError(f"sqs must be 'harness' or 'moto', not {sqs!r}")
        self._sqs_choice = sqs
        self._iam_sts = iam_sts
        if dynamodb not in ("auto", "local", "moto"):
            raise ValueError(f"dynamodb must be 'auto', 'local' or 'moto', not {dynamodb!r}")
        if eventbridge not in ("harness", "moto"):
            raise ValueError(f"eventbridge must be 'harness' or 'moto', not {eventbridge!r}")
        self._eventbridge_choice = eventbridge
        self.eventbridge_routing = "harness" if eventbridge == "harness" else "external"
        self._dynamodb_choice = dynamodb
        self._ready_timeout = ready_timeout
        self.processes: list[ManagedProcess] = []

    def start(self) -> None:
        t0 = time.perf_counter()
        ddb_argv = self._dynamodb_local_argv()  # may fetch the jar on first use: not part of start time
        t0 = time.perf_counter() if ddb_argv else t0
        moto = None
        try:
            if not ddb_argv or "moto" in (self._eventbridge_choice, self._sqs_choice) or self._iam_sts:
                moto_port = free_port()
                moto = ManagedProcess("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                               str(moto_port)], moto_port, lambda: _moto_healthy(moto_port))
                self.processes.append(moto.start())
            ddb = None
            if ddb_argv:
                port, argv = ddb_argv
                ddb = ManagedProcess("dynamodb-local", argv(port), port, lambda: _dynamodb_healthy(port))
                self.processes.append(ddb.start())
            for p in self.processes:
                p.wait_ready(self._ready_timeout)
        except BaseException:
            self.stop()
            raise
        ddb_url = ddb.url if ddb else moto.url  # type: ignore[union-attr]
        self.endpoints = {"dynamodb": ddb_url, "dynamodbstreams": ddb_url}
        if moto is not None:
            for service in ("sqs", "sns", "iam", "sts"):
                self.endpoints[service] = moto.url
        if self._sqs_choice == "harness":  # SQS and SNS served by the harness itself (moto's slow down as queues fill)
            from harness.emulators.server import MessagingServer

            self.messaging = MessagingServer(self.region, self.account_id).start()
            self.endpoints["sqs"] = self.endpoints["sns"] = self.messaging.url
        if self._eventbridge_choice == "moto":  # external mode: moto routes, the harness audits (issue 4)
            self.endpoints["events"] = moto.url
            self.startup_s = time.perf_counter() - t0
            return
        # EventBridge is served by the harness itself (moto's is too slow and too loose, see issue 4)
        from harness.runtime.eventbridge.server import EventBridgeServer

        self.eventbridge = EventBridgeServer(self.region, self.account_id, backend=self).start()
        self.endpoints["events"] = self.eventbridge.url
        self.startup_s = time.perf_counter() - t0

    def _dynamodb_local_argv(self):  # type: ignore[no-untyped-def]
        if self._dynamodb_choice == "moto":
            self.stream_fidelity = MOTO_DYNAMODB_LOSS
            return None
        try:
            java = dynamodb_local.find_java()
            jar_dir = dynamodb_local.install_dir()
        except dynamodb_local.DynamoDBLocalUnavailable as e:
            if self._dynamodb_choice == "local":
                raise
            self.stream_fidelity = MOTO_DYNAMODB_LOSS
            self._warn(f"DynamoDB Local unavailable ({e}); {MOTO_DYNAMODB_LOSS}.")
            return None
        launcher = dynamodb_local.loopback_launcher(java, jar_dir)
        if launcher is None:
            self._warn("no javac to build the loopback launcher: DynamoDB Local listens on every interface")
        return free_port(), lambda port: dynamodb_local.command(java, jar_dir, port, launcher)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"streamharness: warning: {message}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self.messaging is not None:
            self.messaging.stop()
            self.messaging = None
        if self.eventbridge is not None:
            self.eventbridge.stop()
            self.eventbridge = None
        while self.processes:
            self.processes.pop().stop()
