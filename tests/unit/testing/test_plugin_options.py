"""The plugin's options, marker and backend lifecycle, in pytest runs of their own with a stand-in
backend (no server): the real pipeline runs are in tests/integration/testing."""
from __future__ import annotations

from typing import Any

import pytest

from harness.testing import plugin

pytest_plugins = ["pytester"]


class CountingBackend:
    name = "counting"
    created: list[CountingBackend] = []

    def __init__(self, **options: Any) -> None:
        self.options, self.starts, self.stops = options, 0, 0
        CountingBackend.created.append(self)

    def start(self) -> None:
        self.starts += 1

    def stop(self) -> None:
        self.stops += 1


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingBackend]:
    CountingBackend.created = []
    monkeypatch.setattr(plugin, "create_backend", lambda name, **options: CountingBackend(backend=name, **options))
    return CountingBackend


def test_one_backend_per_session_started_by_the_first_test_that_needs_it(
        pytester: pytest.Pytester, counting: type[CountingBackend]) -> None:
    pytester.makepyfile(test_user="""
        def test_plain():
            pass

        def test_a(harness):
            assert harness.prefix == "main-" and harness.defaults == {"keep": True}

        def test_b(harness, harness_backend):
            assert harness.backend is harness_backend and harness_backend.starts == 1
    """)
    pytester.runpytest("--harness-keep", "-p", "no:xdist").assert_outcomes(passed=3)
    [backend] = counting.created
    assert (backend.starts, backend.stops, backend.options) == (1, 1, {"backend": "embedded"})


def test_a_session_without_a_harness_starts_nothing(pytester: pytest.Pytester,
                                                    counting: type[CountingBackend]) -> None:
    pytester.makepyfile(test_user="def test_plain():\n    pass\n")
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)
    assert counting.created == []


def test_backend_options_come_from_an_overridable_fixture(pytester: pytest.Pytester,
                                                          counting: type[CountingBackend]) -> None:
    pytester.makeconftest("""
        import pytest

        @pytest.fixture(scope="session")
        def harness_backend_options():
            return {"dynamodb": "local"}
    """)
    pytester.makepyfile(test_user="def test_a(harness_backend):\n    pass\n")
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)
    assert counting.created[0].options == {"backend": "embedded", "dynamodb": "local"}


def test_the_marker_is_registered_and_takes_one_topology(pytester: pytest.Pytester,
                                                         counting: type[CountingBackend]) -> None:
    pytester.makepyfile(test_user="""
        import pytest

        @pytest.mark.harness_topology("pipeline.yaml", handlers_path=["src"])
        def test_marked(harness):
            assert harness.default_topology == "pipeline.yaml" and harness.defaults == {"handlers_path": ["src"]}

        @pytest.mark.harness_topology("a.yaml", "b.yaml")
        def test_two(harness):
            pass
    """)
    result = pytester.runpytest("--strict-markers", "-p", "no:xdist")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*TypeError: @pytest.mark.harness_topology takes one topology*got 2"])


def test_options_are_grouped_and_a_backend_must_be_registered(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest("--help").stdout.str()
    group = help_text[help_text.index("streamharness:"):]
    assert all(opt in group.split("\n\n")[0] for opt in ("--harness-backend", "--harness-keep", "--harness-trace-dir"))
    result = pytester.runpytest("--harness-backend", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--harness-backend: invalid choice: 'nope' (choose from *'embedded'*"])
