"""Property: for any valid flood, the ideal detector passes every oracle (no false alarms)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamharness.scenarios.ip_dedup.generator import Flood, generate_flood
from streamharness.scenarios.ip_dedup.oracles import evaluate
from streamharness.scenarios.ip_dedup.reference import simulate


@st.composite
def floods(draw: st.DrawFn) -> Flood:
    packets = draw(st.integers(1, 400))
    bursts = draw(st.integers(0, min(3, packets - 1)))  # bursts need at least one non-burst packet
    burst_size = draw(st.integers(1, (packets - 1) // bursts)) if bursts else 0
    base = packets - bursts * burst_size
    return generate_flood(
        packets=packets,
        ips=draw(st.integers(1, packets)),
        slots=draw(st.integers(1, min(base, 12))),
        seed=draw(st.integers(0, 2**32)),
        dangerous_fraction=draw(st.floats(0, 1)),
        zipf_s=draw(st.floats(0, 3)),
        bursts=bursts,
        burst_size=burst_size,
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floods())
def test_ideal_detector_passes_every_oracle(flood: Flood) -> None:
    checks = evaluate(flood, **simulate(flood).as_kwargs())
    assert all(c.passed for c in checks), [c.to_dict() for c in checks if not c.passed]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floods())
def test_forgotten_delete_is_caught_whenever_it_matters(flood: Flood) -> None:
    verdicts = {c.name: c.passed for c in evaluate(flood, **simulate(flood, delete=False).as_kwargs())}
    revisited = any(n > 1 for n in flood.expected_checks_per_ip().values())
    assert verdicts["dedup_count"] is not revisited
    assert verdicts["per_ip_alternation"] is not revisited
    assert verdicts["table_empty"] is False  # something was always inserted and never removed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floods())
def test_flood_invariants(flood: Flood) -> None:
    assert sum(flood.distinct_per_slot()) == flood.expected_checks() <= flood.packets
    assert flood.distinct_ips <= set(flood.population)
    assert len(set(flood.population)) == len(flood.population)
    assert flood.dangerous_seen() | flood.clean_seen() == flood.distinct_ips
    assert all(p.slot == s for s, slot in enumerate(flood.slots) for p in slot)
    assert all(slot for slot in flood.slots)  # no empty slot: slots <= non-burst packets
