"""A scenario's Topology object, written as a file for `harness up`, reads back as the same topology."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.topology_file import write_topology
from harness.scenario import registry
from harness.topology import Topology


@pytest.mark.parametrize("name", registry.names())
def test_every_scenarios_topology_survives_the_file(name: str, tmp_path: Path) -> None:
    scenario = registry.get(name)
    config = scenario.config()
    topology = scenario.topology(config, scenario.generate(config), tmp_path)
    assert Topology.from_file(write_topology(topology, tmp_path / "t.json")) == topology


def test_a_field_set_to_none_against_its_default_is_written(tmp_path: Path) -> None:
    """A table without a stream (stream_view_type None) must not come back with the default stream."""
    topology = Topology.from_dict({"name": "p", "tables": [{"name": "things", "hash_key": "id", "stream_view_type": None}]})
    assert Topology.from_file(write_topology(topology, tmp_path / "t.json")).tables[0].stream_view_type is None
