"""The two bundled scenarios as the seam sees them: variants, options and plans (no backend)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from harness.scenario import Scenario, ScenarioConfig, TraceNotJudgeable
from harness.trace import Trace
from streamharness.scenarios.ip_dedup.scenario import IpDedup, IpDedupConfig
from streamharness.scenarios.ip_dedup.topology import VARIANTS as IP_VARIANTS
from streamharness.scenarios.order_aggregator.contract import VARIANTS as ORDER_VARIANTS
from streamharness.scenarios.order_aggregator.scenario import OrderAggregator, OrderAggregatorConfig


def test_variants_are_the_topologies_and_the_correct_one_is_the_default() -> None:
    assert set(IpDedup().variants) == set(IP_VARIANTS) and IpDedupConfig().variant == "fixed"
    assert set(OrderAggregator().variants) == set(ORDER_VARIANTS) and OrderAggregatorConfig().variant == "fixed"


def test_options_keep_the_command_lines_flags() -> None:
    assert [o.flag for o in IpDedup().options] == [
        "--packets", "--ips", "--slots", "--batch-size", "--window", "--dangerous-fraction", "--bursts",
        "--burst-size", "--producers", "--live"]
    assert [o.flag for o in OrderAggregator().options] == ["--orders", "--batch-size", "--window"]
    with pytest.raises(ValueError, match="--batch-size must be >= 2"):
        OrderAggregatorConfig(batch_size=1)


@pytest.mark.parametrize("scenario, config", [(IpDedup(), IpDedupConfig(packets=50, ips=10, slots=2, seed=3)),
                                              (OrderAggregator(), OrderAggregatorConfig(orders=5, seed=3))])
def test_the_plan_is_generated_again_from_the_config_alone(scenario: Scenario[Any, Any],
                                                          config: ScenarioConfig) -> None:
    again = type(config).from_dict(json.loads(json.dumps(config.to_dict())))  # as the trace header stores it
    assert scenario.generate(again) == scenario.generate(config)


def test_evaluate_reads_its_inputs_from_the_trace_not_the_backend() -> None:
    config = IpDedupConfig(packets=50, ips=10, slots=2, seed=3)
    with pytest.raises(TraceNotJudgeable, match="'alerts_received' observations"):
        IpDedup().evaluate(Trace(), config, IpDedup().generate(config))
