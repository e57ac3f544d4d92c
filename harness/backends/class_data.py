"""A class-data-sharing archive of DynamoDB Local: its JVM maps ~5,000 classes ready-made (parsed, verified)
instead of loading them from 116 jars at every start, which takes about 40% of its start-up CPU.

Built once per key (the JVM, its version and options, and the size and time of every jar on the class
path) into the cache next to DynamoDB Local: a JVM started with ``-XX:ArchiveClassesAtExit`` answers a few
typical requests and is stopped; the archive it writes as it exits is checked with ``-Xshare:on`` and
installed under its key atomically (other keys' archives are removed). Later starts pass
``-XX:SharedArchiveFile``. A failure costs speed, never the run: an archive the JVM did not map is removed
with a one-line warning and built again by the next start; a start that fails with the archive is made
again without it; a key whose archive cannot be built or checked is marked off (``KEY.off`` says why)
and not tried again.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from harness.backends.processes import ManagedProcess

#: the JVM logs what it did with the archive here (relative: the server's private working directory)
USE_LOG = "class-data.log"
MAPPED = "Mapped dynamic region"
BUILD_TIMEOUT_S = 300.0
#: a build leaves a ``*.tmp`` only when killed; one this old is no other process's work in progress
STALE_S = 3600.0


class ClassDataArchive:
    """The archive for one key in ``directory``; ``warn`` reports one-line problems."""

    def __init__(self, directory: Path, key: str, warn: Callable[[str], None]) -> None:
        self.directory = directory
        self.key = key
        self.path = directory / f"{key}.jsa"
        self.off_marker = directory / f"{key}.off"
        self._warn = warn

    @classmethod
    def for_jvm(cls, directory: Path, java: str, java_version: str, options: Sequence[str],
                classpath: Sequence[Path], warn: Callable[[str], None]) -> ClassDataArchive:
        """The key: a JVM maps an archive only under the JVM, options and class path (jar sizes and times)
        it was made with."""
        h = hashlib.sha256("\0".join([os.path.realpath(java), java_version, *options]).encode())
        for jar in classpath:
            st = jar.stat()
            h.update(f"\0{jar}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        return cls(directory, h.hexdigest()[:16], warn)

    @property
    def usable(self) -> bool:
        return self.path.is_file() and not self.off_marker.exists()

    def use_options(self) -> list[str]:
        """The JVM options that map the archive and log whether it did (see :meth:`check_mapped`)."""
        return [f"-XX:SharedArchiveFile={self.path}", "-Xlog:cds*=off", f"-Xlog:cds*=info:file={USE_LOG}"]

    def ensure(self, start: Callable[[Sequence[str]], ManagedProcess], exercise: Callable[[int], None],
               check_command: Callable[[Sequence[str]], list[str]]) -> None:
        """Build the archive unless it exists or its key is off: ``start(options)`` starts a server with the
        extra JVM options and returns it ready, ``exercise(port)`` makes typical requests, ``check_command(options)``
        is a ``java ... -version`` command line with these options (and the server's class path)."""
        if self.usable or self.off_marker.exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers: one builds, the others wait and use it
            if self.usable or self.off_marker.exists():
                return
            self._remove_stale()
            tmp = self.directory / f"{self.key}.{uuid.uuid4().hex[:8]}.tmp"
            log = tmp.with_suffix(".log")
            try:
                self._build(tmp, log, start, exercise, check_command)
            except Exception as e:  # noqa: BLE001 - never the run's failure: DynamoDB Local starts without it
                self._turn_off(str(e))
            finally:
                tmp.unlink(missing_ok=True)
                log.unlink(missing_ok=True)

    def _build(self, tmp: Path, log: Path, start: Callable[[Sequence[str]], ManagedProcess],
               exercise: Callable[[int], None], check_command: Callable[[Sequence[str]], list[str]]) -> None:
        print("streamharness: building a class-data archive of DynamoDB Local, for faster starts (once) ...",
              file=sys.stderr, flush=True)
        server = start([f"-XX:ArchiveClassesAtExit={tmp}", "-Xlog:cds*=off", f"-Xlog:cds*=warning:file={log}"])
        try:
            exercise(server.port)
        finally:
            returncode = server.stop(grace=BUILD_TIMEOUT_S)  # the JVM writes the archive as it exits
        if returncode == -9:
            return  # killed while writing: the next start tries again
        if not tmp.is_file():
            errors = [line for line in _read(log).splitlines() if "[error" in line]
            raise RuntimeError(f"the JVM wrote no archive (exit status {returncode}): "
                               f"{errors[0] if errors else 'no error logged'}")
        check = subprocess.run(check_command([f"-XX:SharedArchiveFile={tmp}", "-Xshare:on", "-Xlog:cds*=off"]),
                               capture_output=True, text=True, timeout=120)
        if check.returncode != 0:
            raise RuntimeError(f"the archive the JVM wrote does not load: {check.stderr or check.stdout}")
        os.replace(tmp, self.path)
        for other in self.directory.glob("*.jsa"):  # archives of older JVMs or jars are never used again
            if other != self.path:
                other.unlink(missing_ok=True)

    def check_mapped(self, workdir: Path) -> bool:
        """After a start with :meth:`use_options`: did the JVM map the archive? If not, remove it (the next
        start builds it again) and say so in one line."""
        text = _read(workdir / USE_LOG)
        if MAPPED in text:
            return True
        why = next((line.split("]", 3)[-1].strip() for line in text.splitlines()
                    if "Unable" in line or "mismatch" in line or "error" in line), "no reason logged")
        self.discard(f"DynamoDB Local's JVM did not map it ({why})")
        return False

    def discard(self, why: str) -> None:
        """Remove the archive (one-line warning): the next start builds it again."""
        self.path.unlink(missing_ok=True)
        self._warn(f"class-data archive {self.path} removed, {_first_line(why)}; the next start builds it again")

    def _turn_off(self, why: str) -> None:
        self.off_marker.write_text(why.strip() + "\n")
        self._warn(f"no class-data archive for DynamoDB Local ({_first_line(why)}); it starts without one "
                   f"(why in full: {self.off_marker}; delete it to try again)")

    def _remove_stale(self) -> None:
        for tmp in [*self.directory.glob("*.tmp"), *self.directory.glob("*.log")]:
            with contextlib.suppress(OSError):
                if time.time() - tmp.stat().st_mtime > STALE_S:
                    tmp.unlink()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _first_line(error: object) -> str:
    """The line that says what went wrong (the first naming an error), else the first."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return next((line for line in lines if "error" in line.lower()), lines[0] if lines else "no message")
