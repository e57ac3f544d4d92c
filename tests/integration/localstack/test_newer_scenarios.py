"""table-to-bus, eventlake and outbox-to-queue give the same verdicts on LocalStack as on the embedded
backend: every variant the scenario declares, at small sizes, check by check; the fixed variant passes
and each planted variant fails the check its bug-table row names (under the row's faults, for a bug only
an injected fault shows).

The variants come from each scenario's config and the named checks from its bug table, so a renamed or
added variant is covered without editing this file. Check values are not compared: how the stream is
cut into batches, and so how many receives or retries a run makes, follows timing on either backend."""
from __future__ import annotations

import importlib
import uuid
from typing import Any

import pytest

from harness.backends import EmbeddedBackend
from harness.backends.localstack import LocalStackBackend
from harness.scenario import Report, Scenario, ScenarioConfig, run
from streamharness.scenarios.eventlake.scenario import EventLake, EventLakeConfig
from streamharness.scenarios.outbox.scenario import OutboxConfig, OutboxToQueue
from streamharness.scenarios.table_to_bus.scenario import TableToBus, TableToBusConfig

pytestmark = pytest.mark.localstack

#: scenario name -> (the scenario, its config class, the small sizes its embedded integration tests use)
SMALL: dict[str, tuple[Scenario[Any, Any], type[ScenarioConfig], dict[str, Any]]] = {
    s.name: (s, c, small) for s, c, small in (
        (TableToBus(), TableToBusConfig, {"customers": 5, "orders": 10, "updates": 12, "deletes": 4, "seed": 5}),
        (EventLake(), EventLakeConfig, {"events": 60, "entities": 8, "seed": 5, "duplicate_rate": 0.3,
                                        "ttl_past_rate": 0.2, "invalid": 4}),
        (OutboxToQueue(), OutboxConfig, {"orders": 8, "seed": 11}))}
CASES = [pytest.param(name, variant, id=f"{name}-{variant}") for name, (_, config, _) in SMALL.items()
         for variant in config.variants]


def named_bugs(scenario: Scenario[Any, Any], variant: str) -> tuple[set[str], Any]:
    """The checks the bug table says catch ``variant``, and the faults the run needs to show them (None:
    a plain run): from ``Scenario.bugs`` where the scenario has it, else from its package's ``bugs``
    module. Rows a plain run shows come first; a variant whose only rows need faults runs under the
    first one's."""
    rows = getattr(scenario, "bugs", None)
    if rows is None:
        rows = importlib.import_module(type(scenario).__module__.rpartition(".")[0] + ".bugs").BUGS
    rows = [b for b in rows if b.variant == variant and b.check]
    plain = [b for b in rows if getattr(b, "faults", None) is None]
    chosen = plain or rows[:1]
    return {b.check for b in chosen}, (None if plain or not rows else rows[0].faults)


def verdicts(report: Report) -> dict[str, bool]:
    return {c.name: c.passed for c in report.checks}


def _run(name: str, backend: Any, faults: Any = None, **options: Any) -> Report:
    scenario, config, small = SMALL[name]
    return run(scenario, config(**{**small, **options}), backend=backend, prefix=f"s{uuid.uuid4().hex[:8]}-",
               faults=faults)


@pytest.mark.parametrize(("name", "variant"), CASES)
def test_each_variant_gets_the_embedded_verdicts_on_localstack(backend: EmbeddedBackend,
                                                               localstack: LocalStackBackend,
                                                               name: str, variant: str) -> None:
    named, faults = named_bugs(SMALL[name][0], variant)
    on_localstack = _run(name, localstack, faults, variant=variant)
    embedded = _run(name, backend, faults, variant=variant)
    assert on_localstack.backend == "localstack"
    assert verdicts(on_localstack) == verdicts(embedded)
    if variant == "fixed":
        assert on_localstack.passed, [(c.name, c.detail) for c in on_localstack.failed]
    else:
        assert named and named <= {c.name for c in on_localstack.failed}, (named, verdicts(on_localstack))


def test_the_outbox_fanout_through_sns_filter_policies_passes_on_localstack(localstack: LocalStackBackend) -> None:
    """The SNS topic, its two filtered subscriptions (raw delivery) and their redrive DLQs are LocalStack's."""
    report = _run(OutboxToQueue.name, localstack, fanout=True)
    assert report.passed, [(c.name, c.detail) for c in report.failed]
    assert report.to_dict()["dead_lettered"] > 0
