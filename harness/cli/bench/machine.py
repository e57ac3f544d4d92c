"""What the machine was doing: its CPUs, load average and how busy its CPUs were over a measurement.

A benchmark on a shared machine says how loaded it was, so a reader knows whether a figure is the
tool's ceiling or the machine's leftovers. Linux's /proc/stat gives CPU busy time; elsewhere None.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_fraction(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Fraction of all CPUs' time spent busy between two ``cpu_times()`` readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 3)


@contextmanager
def cpu_busy() -> Iterator[Callable[[], float | None]]:
    """``with cpu_busy() as busy: ...; busy()``: the machine's CPU busy fraction over the block."""
    before = cpu_times()
    end: list[tuple[int, int] | None] = []
    try:
        yield lambda: busy_fraction(before, end[0] if end else cpu_times())
    finally:
        end.append(cpu_times())


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _java_version() -> str | None:
    java = shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = (done.stderr or done.stdout).splitlines()
    return first[0].strip() if first else None


def describe() -> dict[str, Any]:
    """The machine, for bench.json and the README: CPUs, Python, Java, OS, load average now."""
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "java": _java_version(),
            "platform": platform.platform(), "load_average": load_average()}


__all__ = ["busy_fraction", "cpu_busy", "cpu_times", "describe", "load_average"]
