"""The pytest plugin (entry point ``pytest11``): one backend per test process, a started Harness per
call of the ``harness`` fixture under a fresh prefix, and a failed test's report carrying its trace's
summary. Works under pytest-xdist: each worker has its own backend, every prefix names its worker."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.backends import BACKENDS, Backend, create_backend
from harness.testing.factory import HarnessFactory

MARKER = "harness_topology"
#: a test that leaves a pipeline unbalanced on purpose (e.g. it kills a runtime thread) says so with this
UNBALANCED = "harness_unbalanced"
SECTION = "streamharness trace summary"
_FACTORY = pytest.StashKey[HarnessFactory]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("streamharness", "streamharness: event-driven pipelines under test")
    group.addoption("--harness-backend", choices=sorted(BACKENDS), default="embedded",
                    help="where the AWS APIs come from for the harness fixtures (default: embedded)")
    group.addoption("--harness-keep", action="store_true", default=False,
                    help="leave each test's deployed resources in place instead of tearing them down")
    group.addoption("--harness-trace-dir", metavar="DIR", default=None,
                    help="write each test's trace there as JSON lines, named by the test's node id")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(topology, **harness_kwargs): the topology (a Topology or a file path) that the "
                   "`harness` fixture starts when called without one; keyword arguments go to every Harness")
    config.addinivalue_line(
        "markers", f"{UNBALANCED}: the test leaves a pipeline whose accounting does not hold on purpose; without "
                   "it, a test whose harness ends with seen != handled + filtered + given up + dropped (or a rule "
                   "target's accepted != delivered + dead-lettered) fails at teardown")


def worker_id(config: pytest.Config) -> str:
    """pytest-xdist's worker name (gw0, gw1, ...), or "main" without workers."""
    return str(getattr(config, "workerinput", {}).get("workerid", "main"))


def trace_file_name(nodeid: str, index: int = 0) -> str:
    """A file name for a test's trace: its node id with anything unsafe replaced, then -2, -3 ... for
    a test's second and later harnesses; a long id is cut and made unique with a hash."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid).strip("_.") or "test"
    if len(name) > 120:
        name = name[:111] + "-" + hashlib.sha1(nodeid.encode()).hexdigest()[:8]
    return name + (f"-{index + 1}" if index else "") + ".jsonl"


@pytest.fixture(scope="session")
def harness_backend_options() -> dict[str, Any]:
    """Keyword arguments for the backend (e.g. ``{"dynamodb": "local"}`` for the embedded one); override
    this fixture in a conftest.py to change them."""
    return {}


@pytest.fixture(scope="session")
def harness_backend(pytestconfig: pytest.Config, harness_backend_options: dict[str, Any]) -> Iterator[Backend]:
    """The backend of this test process (of this xdist worker), started by the first test that needs it
    and stopped when the session ends."""
    backend = create_backend(pytestconfig.getoption("harness_backend"), **harness_backend_options)
    try:
        backend.start()
        yield backend
    finally:
        backend.stop()


@pytest.fixture
def harness(request: pytest.FixtureRequest, harness_backend: Backend) -> Iterator[HarnessFactory]:
    """``h = harness(topology_or_path, **Harness kwargs)``: a started Harness on the session's backend,
    prefixed ``{worker}-{random}-``, stopped after the test. Without a topology, the test's
    ``@pytest.mark.harness_topology(...)`` names it. Relative paths are taken from the test file's folder,
    where (and next to the topology file) handler modules are imported from."""
    config = request.config
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and len(marker.args) != 1:
        raise TypeError(f"@pytest.mark.{MARKER} takes one topology (a Topology or a path), got {len(marker.args)}")
    trace_dir = config.getoption("harness_trace_dir")
    trace_path: Callable[[int], Path] | None = None
    if trace_dir is not None:
        root = config.invocation_params.dir / trace_dir

        def trace_path(index: int) -> Path:
            return root / trace_file_name(request.node.nodeid, index)

    factory = HarnessFactory(harness_backend, f"{worker_id(config)}-", base_dir=request.path.parent,
                             default_topology=marker.args[0] if marker else None, trace_path=trace_path,
                             **(marker.kwargs if marker else {}))
    if config.getoption("harness_keep"):
        factory.defaults["keep"] = True
    request.node.stash[_FACTORY] = factory
    try:
        yield factory
        check_accounting(factory, request.node)
    finally:
        factory.close()


def check_accounting(factory: HarnessFactory, node: pytest.Item) -> None:
    """After a test: every harness it started balanced, unless the test is marked ``harness_unbalanced``."""
    if node.get_closest_marker(UNBALANCED) is None and (wrong := factory.unbalanced()):
        pytest.fail("the accounting identity does not hold after the test:\n  " + "\n  ".join(wrong),
                    pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that started a harness gets a report section: what was read, invoked and failed,
    with the handler's own traceback, and where the trace is written."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    factory = item.stash.get(_FACTORY, None)
    if factory is not None and factory.started and report.failed and report.when in ("setup", "call"):
        try:
            report.sections.append((SECTION, factory.summary()))
        except Exception as e:  # the report must still be made
            report.sections.append((SECTION, f"(no summary: {type(e).__name__}: {e})"))


__all__ = ["check_accounting", "harness", "harness_backend", "harness_backend_options", "trace_file_name", "worker_id"]
