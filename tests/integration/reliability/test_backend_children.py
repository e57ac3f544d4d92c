"""Issue 8, items 3, 4 and 7: the embedded backend's servers are watched, survive the thread that
started them, and run isolated from the user's directory, /tmp names and port races."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends import EmbeddedBackend


def _dead(pid: int) -> bool:
    """Gone, or a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


@pytest.fixture
def fresh_backend() -> Iterator[EmbeddedBackend]:
    """A backend of its own: these tests kill or starve its servers."""
    b = EmbeddedBackend(dynamodb="local")
    yield b
    b.stop()


def test_item3_a_killed_server_is_reported_with_name_status_and_log(fresh_backend: EmbeddedBackend) -> None:
    fresh_backend.start()
    died = threading.Event()
    errors: list[Exception] = []
    fresh_backend.on_failure(lambda e: (errors.append(e), died.set()))
    assert fresh_backend.failure() is None
    ddb = next(p for p in fresh_backend.processes if p.name == "dynamodb-local")
    os.kill(ddb.pid, signal.SIGKILL)  # type: ignore[arg-type]
    assert died.wait(30), "the death of DynamoDB Local went unnoticed"
    failure = fresh_backend.failure()
    assert failure is errors[0]
    text = str(failure)
    assert "dynamodb-local" in text and f"pid {ddb.pid}" in text and "SIGKILL" in text
    assert "DynamoDB Local" in text  # the tail of its log: its start banner
    assert failure.log_path.exists()  # type: ignore[attr-defined] - kept for the message
    fresh_backend.stop()
    shutil.rmtree(failure.log_path.parent)  # type: ignore[attr-defined]


def test_item4_servers_outlive_the_thread_that_started_them(fresh_backend: EmbeddedBackend) -> None:
    tids: list[int] = []

    def starter() -> None:
        tids.append(threading.get_native_id())
        fresh_backend.start()

    t = threading.Thread(target=starter)
    t.start()
    t.join()
    deadline = time.monotonic() + 10
    while Path(f"/proc/self/task/{tids[0]}").exists():  # the kernel has sent PDEATHSIG once the task is gone
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pids = [p.pid for p in fresh_backend.processes]
    # A signalled child dies within milliseconds; watch for 3 s that none does.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert not [pid for pid in pids if _dead(pid)], "a server died with the thread that started it"
        time.sleep(0.05)
    assert fresh_backend.client("dynamodb").list_tables()["TableNames"] is not None
    assert "QueueUrls" not in fresh_backend.client("sqs").list_queues()


def test_item7_code_in_the_current_directory_never_runs_in_a_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "executed"
    for shadow in ("moto/__init__.py", "faker.py", "werkzeug.py"):
        (tmp_path / shadow).parent.mkdir(exist_ok=True)
        (tmp_path / shadow).write_text(f"open({str(marker)!r}, 'a').write({shadow!r} + '\\n')\n")
    monkeypatch.chdir(tmp_path)
    b = EmbeddedBackend(dynamodb="moto")
    try:
        b.start()
        b.client("sqs").create_queue(QueueName="isolated")
    finally:
        b.stop()
    assert not marker.exists(), f"the server imported from the current directory: {marker.read_text()}"


def test_item7_server_logs_live_in_private_directories_removed_at_stop() -> None:
    predictable = str(Path(tempfile.gettempdir()) / f"streamharness-*-{os.getpid()}-*.log")
    b = EmbeddedBackend(dynamodb="local")
    try:
        b.start()
        assert not list(Path("/").glob(predictable.lstrip("/"))), "a server log at a predictable path in /tmp"
        dirs = [p.log_path.parent for p in b.processes]
        for d in dirs:
            assert stat.S_IMODE(d.stat().st_mode) == 0o700 and d != Path(tempfile.gettempdir())
    finally:
        b.stop()
    assert not [d for d in dirs if d.exists()]


def test_item7_a_port_taken_between_choice_and_bind_does_not_break_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program binds the port a free-port probe returned before the server does (simulated by
    handing out a port that is already taken): the servers must not depend on such a probe."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        import harness.backends.embedded as embedded
        import harness.backends.processes as processes
        monkeypatch.setattr(processes, "free_port", lambda: port)
        monkeypatch.setattr(embedded, "free_port", lambda: port, raising=False)
        b = EmbeddedBackend(dynamodb="local")
        try:
            b.start()
            assert port not in {p.port for p in b.processes}
            assert b.client("dynamodb").list_tables()["TableNames"] is not None
            assert "QueueUrls" not in b.client("sqs").list_queues()
        finally:
            b.stop()
