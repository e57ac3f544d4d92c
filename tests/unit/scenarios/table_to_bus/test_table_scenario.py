"""The table-to-bus scenario as the seam sees it (no backend)."""
from __future__ import annotations

import json

import pytest

from harness.scenario import TraceNotJudgeable, registry
from harness.trace import Trace
from streamharness.scenarios.table_to_bus.scenario import TableToBus, TableToBusConfig
from streamharness.scenarios.table_to_bus.topology import MAPPING


def test_registered_with_fixed_as_the_default_variant() -> None:
    assert isinstance(registry.get("table-to-bus"), TableToBus)
    assert TableToBusConfig().variant == "fixed"
    assert set(TableToBus().variants) == {"fixed", "as_published", "decimal", "ignores-failed-entries"}


def test_the_plan_is_generated_again_from_the_config_alone() -> None:
    config = TableToBusConfig(customers=3, orders=4, updates=5, deletes=2, seed=9)
    again = TableToBusConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert TableToBus().generate(again) == TableToBus().generate(config)


def test_the_topology_is_the_articles_table_with_batch_size_100(tmp_path) -> None:
    config = TableToBusConfig()
    t = TableToBus().topology(config, TableToBus().generate(config), tmp_path)
    items = t.table("items")
    assert items.stream_view_type == "NEW_AND_OLD_IMAGES" and items.global_secondary_indexes[0].name == "GSI1"
    mapping = next(m for m in t.event_source_mappings if m.name == MAPPING)
    assert mapping.batch_size == 100


def test_evaluate_reads_its_inputs_from_the_trace() -> None:
    config = TableToBusConfig(customers=2, orders=1, updates=1, deletes=0)
    with pytest.raises(TraceNotJudgeable, match="'rules' observations"):
        TableToBus().evaluate(Trace(), config, TableToBus().generate(config))
