"""The class-data archive's life, with a stand-in for the JVM: built once under its key, installed only
when whole and loadable, never the run's failure (tests/integration/backends/test_class_data.py has the JVM)."""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.backends.class_data import ClassDataArchive

OK = [sys.executable, "-c", "pass"]
FAILS = [sys.executable, "-c", "import sys; sys.exit('An error has occurred while processing the shared archive')"]


class FakeJvm:
    """Writes the archive named by -XX:ArchiveClassesAtExit when stopped, as the JVM does."""

    def __init__(self, options: Sequence[str], returncode: int = 143, writes: bool = True) -> None:
        self.options, self.returncode, self.writes, self.port = list(options), returncode, writes, 1
        self.stopped = False

    def stop(self, grace: float = 3.0) -> int:
        self.stopped = True
        target = next(o.split("=", 1)[1] for o in self.options if o.startswith("-XX:ArchiveClassesAtExit="))
        if self.writes:
            Path(target).write_bytes(b"archive")
        return self.returncode


def _archive(tmp_path: Path, warnings: list[str]) -> ClassDataArchive:
    return ClassDataArchive(tmp_path / "class-data", "k1", warnings.append)


def _ensure(archive: ClassDataArchive, check: list[str] = OK, **jvm: Any) -> list[FakeJvm]:
    started: list[FakeJvm] = []

    def start(options: Sequence[str]) -> FakeJvm:
        started.append(FakeJvm(options, **jvm))
        return started[-1]

    archive.ensure(start, lambda port: None, lambda options: check)  # type: ignore[arg-type]
    return started


def test_built_once_then_used(tmp_path: Path) -> None:
    warnings: list[str] = []
    archive = _archive(tmp_path, warnings)
    assert len(_ensure(archive)) == 1 and archive.path.read_bytes() == b"archive"
    assert _ensure(archive) == []  # the second start builds nothing
    assert archive.use_options()[0] == f"-XX:SharedArchiveFile={archive.path}"
    assert warnings == [] and sorted(p.name for p in archive.directory.iterdir()) == [".build.lock", "k1.jsa"]


def test_installing_removes_other_keys_archives(tmp_path: Path) -> None:
    (tmp_path / "class-data").mkdir()
    old = tmp_path / "class-data" / "k0.jsa"
    old.write_bytes(b"older JVM")
    _ensure(_archive(tmp_path, []))
    assert not old.exists()


def test_an_archive_that_does_not_load_is_not_installed_and_the_key_is_off(tmp_path: Path) -> None:
    warnings: list[str] = []
    archive = _archive(tmp_path, warnings)
    _ensure(archive, check=FAILS)
    assert not archive.path.exists() and not list(archive.directory.glob("*.tmp"))
    assert "does not load" in archive.off_marker.read_text()
    assert len(warnings) == 1 and "starts without one" in warnings[0] and str(archive.off_marker) in warnings[0]
    assert _ensure(archive) == []  # off: not tried again


def test_a_jvm_that_cannot_start_with_the_options_turns_the_key_off(tmp_path: Path) -> None:
    warnings: list[str] = []
    archive = _archive(tmp_path, warnings)

    def start(options: Sequence[str]) -> FakeJvm:
        raise RuntimeError("dynamodb-local exited with status 1 before it was ready:\n"
                           "Error: non-empty directory '/x'")

    archive.ensure(start, lambda port: None, lambda options: OK)  # type: ignore[arg-type]
    assert archive.off_marker.exists() and len(warnings) == 1 and "non-empty directory" in warnings[0]


def test_a_jvm_killed_while_writing_installs_nothing_and_is_tried_again(tmp_path: Path) -> None:
    warnings: list[str] = []
    archive = _archive(tmp_path, warnings)
    _ensure(archive, returncode=-9)
    assert not archive.path.exists() and not archive.off_marker.exists() and warnings == []
    assert len(_ensure(archive)) == 1 and archive.path.exists()


def test_a_failed_exercise_still_stops_the_jvm(tmp_path: Path) -> None:
    warnings: list[str] = []
    archive = _archive(tmp_path, warnings)
    started: list[FakeJvm] = []

    def start(options: Sequence[str]) -> FakeJvm:
        started.append(FakeJvm(options))
        return started[-1]

    def exercise(port: int) -> None:
        raise RuntimeError("DynamoDB Local answered CreateTable with 500")

    archive.ensure(start, exercise, lambda options: OK)  # type: ignore[arg-type]
    assert started[0].stopped and not archive.path.exists() and len(warnings) == 1


@pytest.mark.parametrize("log, mapped", [
    ("[0.1s][info][cds] Mapped dynamic region #0 at base 0x1\n", True),
    ("[0.1s][warning][cds,dynamic] Unable to use shared archive. The top archive failed to load: /x.jsa\n", False),
    ("", False),
])
def test_an_archive_the_jvm_did_not_map_is_removed_with_one_warning(tmp_path: Path, log: str, mapped: bool) -> None:
    warnings: list[str] = []
    archive = _archive(tmp_path, warnings)
    archive.directory.mkdir()
    archive.path.write_bytes(b"archive")
    (tmp_path / "class-data.log").write_text(log)
    assert archive.check_mapped(tmp_path) is mapped
    assert archive.path.exists() is mapped and len(warnings) == (0 if mapped else 1)
    if log and not mapped:
        assert "Unable to use shared archive" in warnings[0]


def test_the_key_follows_the_jvm_and_the_jars(tmp_path: Path) -> None:
    jar = tmp_path / "a.jar"
    jar.write_bytes(b"1")
    key = ClassDataArchive.for_jvm(tmp_path, sys.executable, "17.0.15", ["-XX:+UseSerialGC"], [jar], print).key
    assert key == ClassDataArchive.for_jvm(tmp_path, sys.executable, "17.0.15", ["-XX:+UseSerialGC"], [jar], print).key
    assert key != ClassDataArchive.for_jvm(tmp_path, sys.executable, "17.0.16", ["-XX:+UseSerialGC"], [jar], print).key
    assert key != ClassDataArchive.for_jvm(tmp_path, sys.executable, "17.0.15", ["-XX:+UseG1GC"], [jar], print).key
    jar.write_bytes(b"22")
    assert key != ClassDataArchive.for_jvm(tmp_path, sys.executable, "17.0.15", ["-XX:+UseSerialGC"], [jar], print).key
