"""Integration fixtures: one embedded backend per test process, a fresh prefix per test."""
from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import EngineOptions, Harness, Topology
from harness.backends import EmbeddedBackend, LocalStackBackend

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # esm_handlers.py is found like a user's handler module

FAST = EngineOptions(retry_backoff_base_s=0.005, retry_backoff_max_s=0.05)


@pytest.fixture(scope="session")
def backend() -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(dynamodb="local")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture(scope="session")
def localstack() -> Iterator[LocalStackBackend]:
    """One LocalStack the harness starts for this test process (installed into the harness cache on first use)."""
    b = LocalStackBackend(start="always")  # our own, whatever else runs on this machine
    b.start()
    try:
        yield b
    finally:
        b.stop()


def harness_factory(backend: EmbeddedBackend, prefix: str = "t") -> Iterator[Callable[..., Harness]]:
    """Start Harnesses for topologies on a shared backend (a fresh prefix each); stopped and torn
    down when the generator is closed."""
    started: list[Harness] = []

    def start(topology: Topology, **kwargs: Any) -> Harness:
        kwargs.setdefault("options", FAST)
        h = Harness(topology, backend=backend, prefix=f"{prefix}{uuid.uuid4().hex[:8]}-", **kwargs)
        h.start()
        started.append(h)
        return h

    yield start
    for h in started:
        h.stop()


@pytest.fixture
def harness_for(backend: EmbeddedBackend) -> Iterator[Callable[..., Harness]]:
    """Start a Harness for a topology on the shared backend; stopped (and torn down) after the test."""
    yield from harness_factory(backend)


def module_state(h: Harness, function: str) -> dict[str, Any]:
    """The globals of a function's handler module as this harness run imported it."""
    return h.runtime.invokers[function].handler.__globals__  # type: ignore[attr-defined,no-any-return]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration needs a backend: mark it, so ``-m "not integration"`` skips it."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
