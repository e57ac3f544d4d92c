"""The default backend: DynamoDB Local, and the harness's own EventBridge, SQS and SNS endpoints, on loopback,
no Docker; a moto server only where asked for (or when Java is missing)."""
from __future__ import annotations

import http.client
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from harness.backends import dynamodb_local
from harness.backends.base import AWS_STREAM_FIDELITY, Backend, Capabilities, EventBridgeRouting
from harness.backends.class_data import ClassDataArchive
from harness.backends.processes import BackendDied, Listener, ManagedProcess, ServerExited, free_port
from harness.emulators.eventbridge import EventBridgeServer

MOTO_SERVER = str(Path(__file__).with_name("moto_server.py"))
MOTO_DYNAMODB_LOSS = (
    "moto serves DynamoDB, so stream records lose AWS semantics: writes that change nothing still emit "
    "MODIFY records, UpdateItem on a new key emits two INSERTs, and every table has one shard")


def _http_ok(port: int, method: str, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request(method, path)
        return conn.getresponse().status == 200
    finally:
        conn.close()


def _dynamodb_healthy(port: int) -> bool:
    return dynamodb_local.request(port, "DynamoDB_20120810.ListTables", {})[0] == 200


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
        self._routing = EventBridgeRouting.HARNESS if eventbridge == "harness" else EventBridgeRouting.EXTERNAL
        self._stream_fidelity = AWS_STREAM_FIDELITY
        self._dynamodb_choice = dynamodb
        self._ready_timeout = ready_timeout
        self.processes: list[ManagedProcess] = []
        #: DynamoDB Local's class-data archive (None: moto serves DynamoDB, or no launcher to archive)
        self._class_data: ClassDataArchive | None = None

    @property
    def capabilities(self) -> Capabilities:
        """Its servers are ours, in memory, and die with it: nothing to tear down. DynamoDB Local keeps no tags."""
        return Capabilities(owns_resources=True, tagged_services=frozenset({"sqs", "sns", "events"}),
                            stream_fidelity=self._stream_fidelity, eventbridge_routing=self._routing)

    def start(self) -> None:
        t0 = time.perf_counter()
        new_dynamodb_local = self._dynamodb_local_factory()  # may fetch the jar on first use: not part of start time
        t0 = time.perf_counter() if new_dynamodb_local else t0
        moto = ddb = None
        try:
            if new_dynamodb_local:  # first: the JVM boots while the rest starts
                ddb = self._spawn(new_dynamodb_local())
            if not new_dynamodb_local or "moto" in (self._eventbridge_choice, self._sqs_choice) or self._iam_sts:
                listener = Listener()  # -P: nothing from the current directory is importable in the server
                moto = self._spawn(ManagedProcess("moto", [sys.executable, "-P", MOTO_SERVER, str(listener.fd)],
                                                  _moto_healthy, listener=listener))
            self._start_own_servers()
            if moto is not None:
                moto.wait_ready(self._ready_timeout)
            if ddb is not None:
                ddb = self._ready_dynamodb_local(ddb, new_dynamodb_local)  # type: ignore[arg-type]
                self.timings["dynamodb_ready_s"] = time.perf_counter() - t0
        except BaseException:
            self.stop()
            raise
        ddb_url = ddb.url if ddb else moto.url  # type: ignore[union-attr]
        self.endpoints.update({"dynamodb": ddb_url, "dynamodbstreams": ddb_url})
        if moto is not None:
            for service in ("sqs", "sns", "iam", "sts"):
                self.endpoints.setdefault(service, moto.url)
            if self._eventbridge_choice == "moto":  # external mode: moto routes, the harness audits (issue 4)
                self.endpoints["events"] = moto.url
        self.startup_s = time.perf_counter() - t0

    def _spawn(self, process: ManagedProcess) -> ManagedProcess:
        self.processes.append(process)
        return process.start()

    def _start_own_servers(self) -> None:
        """SQS and SNS (moto's slow down as queues fill) and EventBridge (moto's is too slow and too loose),
        served by the harness itself, in this process."""
        if self._sqs_choice == "harness":
            from harness.emulators.server import MessagingServer

            self.messaging = MessagingServer(self.region, self.account_id).start()
            self.endpoints["sqs"] = self.endpoints["sns"] = self.messaging.url
        if self._eventbridge_choice == "harness":
            self.eventbridge = EventBridgeServer(self.region, self.account_id).start()
            self.endpoints["events"] = self.eventbridge.url

    def _ready_dynamodb_local(self, ddb: ManagedProcess, new: Callable[[], ManagedProcess]) -> ManagedProcess:
        """Wait for DynamoDB Local; one that died at start with the class-data archive starts again without it."""
        archive = self._class_data
        with_archive = archive is not None and archive.use_options()[0] in ddb.argv
        try:
            ddb.wait_ready(self._ready_timeout)
        except ServerExited as e:
            if archive is None or not with_archive:
                raise
            ddb.stop()
            shutil.rmtree(ddb.workdir, ignore_errors=True)
            self.processes.remove(ddb)
            archive.discard(f"DynamoDB Local did not start with it: {e}")
            ddb = self._spawn(new())
            ddb.wait_ready(self._ready_timeout)
        else:
            if archive is not None and with_archive:
                archive.check_mapped(ddb.workdir)
        return ddb

    def _dynamodb_local_factory(self) -> Callable[[], ManagedProcess] | None:
        if self._dynamodb_choice == "moto":
            self._stream_fidelity = MOTO_DYNAMODB_LOSS
            return None
        try:
            java = dynamodb_local.find_java()
            jar_dir = dynamodb_local.install_dir()
        except dynamodb_local.DynamoDBLocalUnavailable as e:
            if self._dynamodb_choice == "local":
                raise
            self._stream_fidelity = MOTO_DYNAMODB_LOSS
            self._warn(f"DynamoDB Local unavailable ({e}); {MOTO_DYNAMODB_LOSS}.")
            return None
        launcher = dynamodb_local.loopback_launcher(java, jar_dir)
        if launcher is None:
            self._warn("no javac to build the loopback launcher: DynamoDB Local listens on every interface")

            def plain() -> ManagedProcess:  # binds a port of its own choosing: the jar cannot inherit a socket
                port = free_port()
                return ManagedProcess("dynamodb-local", dynamodb_local.command(java, jar_dir, port, None),
                                      _dynamodb_healthy, port=port)
            return plain

        def loopback(java_options: Sequence[str] = ()) -> ManagedProcess:  # serves on the socket we bound (its stdin)
            listener = Listener()
            return ManagedProcess("dynamodb-local", dynamodb_local.command(
                java, jar_dir, listener.port, launcher, java_options), _dynamodb_healthy, listener=listener,
                listener_on_stdin=True)

        def ready(java_options: Sequence[str]) -> ManagedProcess:
            server = loopback(java_options).start()
            try:
                server.wait_ready(self._ready_timeout)
            except BaseException:
                server.stop()
                raise
            return server

        archive = self._class_data = ClassDataArchive.for_jvm(
            dynamodb_local.cache_root() / "dynamodb-local" / "class-data", java, dynamodb_local.java_runtime_version(java) or "?",
            dynamodb_local.JAVA_OPTS, dynamodb_local.classpath(jar_dir, launcher), self._warn)
        archive.ensure(ready, dynamodb_local.exercise,
                       lambda options: dynamodb_local.check_command(java, jar_dir, launcher, options))
        return lambda: loopback(archive.use_options() if archive.usable else ())

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"streamharness: warning: {message}", file=sys.stderr, flush=True)

    def failure(self) -> BackendDied | None:
        """The first of our servers that died while in use, else None (cheap: poll it while waiting)."""
        return next((p.failure for p in self.processes if p.failure is not None), None)

    def on_failure(self, callback: Callable[[BackendDied], None]) -> None:
        """``callback(error)`` on a watcher thread when one of our servers dies while in use."""
        for p in self.processes:
            p.on_exit(callback)

    def stop(self) -> None:
        if self.messaging is not None:
            self.messaging.stop()
            self.messaging = None
        if self.eventbridge is not None:
            self.eventbridge.stop()
            self.eventbridge = None
        while self.processes:
            self.processes.pop().stop()
