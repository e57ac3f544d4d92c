"""The event-lake scenario as the seam sees it: variants, options, topology and plan (no backend)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.scenario import registry
from streamharness.scenarios.eventlake.scenario import EventLake, EventLakeConfig


def test_fixed_is_the_default_and_every_planted_variant_is_offered() -> None:
    assert EventLakeConfig().variant == "fixed"
    assert EventLake().variants == ("fixed", "unconditional-put", "server-timestamp", "handles-remove")
    with pytest.raises(ValueError, match="--ttl-past-rate must be >= 0 and <= 1"):
        EventLakeConfig(ttl_past_rate=2.0)


def test_it_is_registered_under_its_name() -> None:
    assert "eventlake" in registry.names() and isinstance(registry.get("eventlake"), EventLake)


def test_the_plan_is_generated_again_from_the_config_alone() -> None:
    config = EventLakeConfig(events=50, entities=5, seed=3)
    again = EventLakeConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert EventLake().generate(again) == EventLake().generate(config)


@pytest.mark.parametrize("variant, totals", [("fixed", "entity_totals"), ("handles-remove", "entity_totals_handles_remove")])
def test_the_topology_has_ttl_and_unfiltered_consumers(tmp_path: Path, variant: str, totals: str) -> None:
    config = EventLakeConfig(events=5, entities=2, variant=variant)
    topology = EventLake().topology(config, EventLake().generate(config), tmp_path)
    events = next(t for t in topology.tables if t.name == "events")
    assert events.ttl_attribute == "expires_at"
    assert all(not m.filter_criteria for m in topology.event_source_mappings)
    assert next(f for f in topology.functions if f.name == "entity-totals").handler.endswith(f":{totals}")
