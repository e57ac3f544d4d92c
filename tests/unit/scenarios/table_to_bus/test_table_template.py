"""The article's own template (templates/article.yaml) loads through the template loader and declares what
the scenario's topology and contract build: the table, BatchSize 100, and the article's rule."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from harness.topology import Topology
from streamharness.scenarios.table_to_bus import contract

TEMPLATE = Path(contract.__file__).parent / "templates" / "article.yaml"

pytestmark = pytest.mark.skipif(not hasattr(Topology, "from_template"), reason="no template loader in this tree")


def test_the_articles_template_loads_as_the_scenarios_pipeline() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing of the template left out
        t = Topology.from_template(TEMPLATE)
    (table,) = t.tables
    assert (table.hash_key.name, table.range_key.name) == ("pk", "sk")
    assert table.stream_view_type.value == "NEW_AND_OLD_IMAGES"
    assert [(g.name, g.hash_key.name, g.range_key.name) for g in table.global_secondary_indexes] == \
        [("GSI1", "gsi1_pk", "gsi1_sk")]
    (mapping,) = t.event_source_mappings
    assert mapping.batch_size == 100  # the default the published processor's docstring does not expect
    (rule,) = t.rules
    assert json.loads(rule.event_pattern) == contract.pattern(json.loads(rule.event_pattern)["resources"][0],
                                                              contract.HISTORY_EVENTS)
    assert rule.event_pattern.count("MyTable") == 1 and rule.targets[0].input_path == "$.detail"
