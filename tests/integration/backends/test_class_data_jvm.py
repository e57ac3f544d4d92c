"""DynamoDB Local's class-data archive with the real JVM: built once into the cache and mapped afterwards;
a corrupt archive costs one warning, never the run; no JVM (the building one included) outlives its use."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends import EmbeddedBackend, dynamodb_local

pytestmark = pytest.mark.skipif(shutil.which("javac") is None, reason="the archive needs the loopback launcher (a JDK)")


def _ours(cache: Path) -> list[int]:
    """Processes whose command line names this test's cache: its JVMs, building or serving."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and str(cache).encode() in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive built once for this module (each test copies it into a cache of its own)."""
    jar_dir = dynamodb_local.install_dir()
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STREAMHARNESS_DYNAMODB_LOCAL_DIR", str(jar_dir))
        mp.setenv("XDG_CACHE_HOME", str(cache))
        backend = EmbeddedBackend(dynamodb="local")
        backend.start()
        backend.stop()
    return cache / "streamharness" / "dynamodb-local" / "class-data"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("STREAMHARNESS_DYNAMODB_LOCAL_DIR", str(dynamodb_local.install_dir()))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    yield tmp_path / "streamharness" / "dynamodb-local" / "class-data"
    assert _ours(tmp_path) == [], "a JVM outlived the test"


def _start(capsys: pytest.CaptureFixture[str]) -> tuple[EmbeddedBackend, str]:
    backend = EmbeddedBackend(dynamodb="local")
    backend.start()
    assert dynamodb_local.request(backend.processes[0].port, "DynamoDB_20120810.ListTables", {})[0] == 200
    return backend, capsys.readouterr().err


def test_the_archive_is_built_once_then_mapped(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, err = _start(capsys)
    first.stop()
    assert err.count("building a class-data archive") == 1 and first.warnings == []
    [archive] = cache.glob("*.jsa")
    built_at = archive.stat().st_mtime_ns
    second, err = _start(capsys)
    try:
        assert "building" not in err and second.warnings == []  # mapped (else check_mapped would have warned)
        assert f"-XX:SharedArchiveFile={archive}" in second.processes[0].argv
        assert "Mapped dynamic region" in (second.processes[0].workdir / "class-data.log").read_text()
    finally:
        second.stop()
    assert archive.stat().st_mtime_ns == built_at


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_archive_costs_one_warning_and_is_built_again(
        built: Path, cache: Path, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    shutil.copytree(built, cache)
    [archive] = cache.glob("*.jsa")
    size = archive.stat().st_size
    with open(archive, "r+b") as f:  # garbage: the JVM ignores it; truncated: the JVM dies at start
        f.write(os.urandom(4096)) if damage == "garbage" else f.truncate(size // 100)
    backend, err = _start(capsys)
    backend.stop()
    assert len(backend.warnings) == 1 and "removed" in backend.warnings[0] and str(archive) in backend.warnings[0]
    assert err.count("warning") == 1 and "\n" not in backend.warnings[0]
    assert not archive.exists()
    again, err = _start(capsys)
    again.stop()
    assert "building a class-data archive" in err and again.warnings == [] and archive.stat().st_size > size // 2
