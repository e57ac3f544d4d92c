"""The ``thresholds:`` block of a topology file: parsed, validated, written back, and turned into checks."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.topology_file import write_topology
from harness.scenario.load import thresholds
from harness.topology import Thresholds, Topology, ValidationException
from harness.topology.loader import load_dict, load_file

TOPOLOGY = """
name: orders
tables:
  - {name: events, hash_key: id, stream_view_type: NEW_IMAGE}
thresholds:
  min_events_per_s: 100
  max_p99_ms: 2000      # write -> handler
  max_error_ratio: 0.01
"""


def test_the_block_is_read_from_a_file_and_survives_being_written_back(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TOPOLOGY)
    topology = load_file(path)
    assert topology.thresholds == Thresholds(min_events_per_s=100, max_p99_ms=2000, max_error_ratio=0.01)
    assert Topology.from_dict({"name": "x"}).thresholds is None
    again = load_file(write_topology(topology, tmp_path / "t.json"))
    assert again == topology


def test_aws_style_spellings_and_a_partial_block() -> None:
    topology = load_dict({"name": "x", "thresholds": {"MaxErrorRatio": 0}})
    assert topology.thresholds == Thresholds(max_error_ratio=0)
    assert topology.thresholds.items() == [("max_error_ratio", 0)]


def test_unknown_keys_and_bad_values_are_refused_with_where_and_what() -> None:
    with pytest.raises(ValidationException, match=r"thresholds: unknown key 'max_p99'; did you mean 'max_p99_ms'\?"):
        load_dict({"name": "x", "thresholds": {"max_p99": 5}})
    with pytest.raises(ValidationException, match=r"thresholds: max_error_ratio must be a number between 0 and 1"):
        load_dict({"name": "x", "thresholds": {"max_error_ratio": 2}})
    with pytest.raises(ValidationException, match=r"min_events_per_s must be a number >= 0, got 'fast'"):
        load_dict({"name": "x", "thresholds": {"min_events_per_s": "fast"}})
    with pytest.raises(ValidationException, match=r"thresholds: expected a mapping"):
        load_dict({"name": "x", "thresholds": [100]})
    with pytest.raises(ValidationException, match=r"topology: unknown key 'threshold'; did you mean 'thresholds'\?"):
        load_dict({"name": "x", "threshold": {}})


def test_options_override_the_file_one_by_one_and_each_set_threshold_is_one_check() -> None:
    limits = Thresholds(min_events_per_s=100, max_p99_ms=2000).override(max_p99_ms=500, min_events_per_s=None,
                                                                        max_error_ratio=0.0)
    assert limits == Thresholds(min_events_per_s=100, max_p99_ms=500, max_error_ratio=0.0)
    checks = {t.name: t for t in thresholds(limits)}
    assert checks["events_per_s"].check(99.5).passed is False and checks["events_per_s"].check(100).passed
    assert checks["write_to_handler_p99_ms"].check(501).passed is False
    assert checks["error_ratio"].check(0.0).passed and not checks["error_ratio"].check(None).passed
    assert thresholds(Thresholds()) == []
