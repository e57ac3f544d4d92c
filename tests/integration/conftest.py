"""Integration fixtures, on the streamharness pytest plugin: one backend per test process (per xdist
worker), a fresh prefix per harness, the trace's summary in a failed test's report."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import EngineOptions, Harness
from harness.backends import Backend
from harness.testing import HarnessFactory
from harness.backends import LocalStackBackend
from harness.testing.plugin import check_accounting

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # esm_handlers.py is found like a user's handler module

FAST = EngineOptions(retry_backoff_base_s=0.005, retry_backoff_max_s=0.05)


@pytest.fixture(scope="session")
def harness_backend_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """The suite checks AWS's stream semantics: the embedded backend must run DynamoDB Local, not fall back to moto."""
    return {"dynamodb": "local"} if pytestconfig.getoption("harness_backend") == "embedded" else {}


@pytest.fixture(scope="session")
def backend(harness_backend: Backend) -> Backend:
    return harness_backend


def harness_factory(backend: Backend, prefix: str = "t", node: pytest.Item | None = None) -> Iterator[HarnessFactory]:
    """Start Harnesses for topologies on a backend of a test's own (a fresh prefix each, FAST retries);
    stopped and torn down when the generator is closed; given the test's ``node``, their accounting is
    checked first (see harness.testing.plugin.check_accounting)."""
    factory = HarnessFactory(backend, prefix, options=FAST)
    try:
        yield factory
        if node is not None:
            check_accounting(factory, node)
    finally:
        factory.close()


@pytest.fixture(scope="session")
def localstack() -> Iterator[LocalStackBackend]:
    """One LocalStack the harness starts for this test process (installed into the harness cache on first use)."""
    b = LocalStackBackend(start="always")  # our own, whatever else runs on this machine
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def harness_for(harness: HarnessFactory) -> HarnessFactory:
    """The plugin's ``harness`` factory with FAST retries: a started Harness per call, stopped after the test."""
    harness.defaults.setdefault("options", FAST)
    return harness


def module_state(h: Harness, function: str) -> dict[str, Any]:
    """The globals of a function's handler module as this harness run imported it."""
    return h.runtime.invokers[function].handler.__globals__  # type: ignore[attr-defined,no-any-return]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration needs a backend: mark it, so ``-m "not integration"`` skips it."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
