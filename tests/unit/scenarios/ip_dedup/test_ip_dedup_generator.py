"""The flood: deterministic, skewed like real traffic, and honest about its own ground truth."""
from __future__ import annotations

import ipaddress
import statistics
import time
from collections import Counter

import pytest

from streamharness.scenarios.ip_dedup.blocklist import Blocklist
from streamharness.scenarios.ip_dedup.generator import (EPOCH, SLOT_SECONDS, Flood, Packet, dangerous_count,
                                          generate_flood)


def _pkt(ip: str, slot: int) -> Packet:
    return Packet(ip, slot, EPOCH + slot, "10.20.0.1", 50000, 443, "TCP", 60, "A", 60)


def test_same_seed_same_flood_different_seed_different() -> None:
    a = generate_flood(3000, 300, 4, seed=11, bursts=2, burst_size=20)
    b = generate_flood(3000, 300, 4, seed=11, bursts=2, burst_size=20)
    c = generate_flood(3000, 300, 4, seed=12, bursts=2, burst_size=20)
    assert a == b
    assert a.blocklist.to_dict() == b.blocklist.to_dict()
    assert a != c
    assert a.population != c.population and a.blocklist != c.blocklist


def test_does_not_touch_global_random_state() -> None:
    import random
    random.seed(99)
    before = random.getstate()
    generate_flood(500, 50, 2, seed=1)
    assert random.getstate() == before


def test_shape_slots_and_timestamps() -> None:
    flood = generate_flood(10_001, 700, 7, seed=3)
    assert flood.packets == 10_001 and len(flood.slots) == 7
    sizes = [len(s) for s in flood.slots]
    assert max(sizes) - min(sizes) <= 1
    last = 0.0
    for s, slot in enumerate(flood.slots):
        for p in slot:
            assert p.slot == s
            assert EPOCH + s * SLOT_SECONDS <= p.ts <= EPOCH + (s + 1) * SLOT_SECONDS
            assert p.ts >= last
            last = p.ts
    assert len(flood.population) == len(set(flood.population)) == 700
    assert flood.distinct_ips <= set(flood.population)
    assert all(ipaddress.IPv4Address(ip).is_global for ip in flood.population)
    assert flood.slots[0][0].to_dict()["ip"] == flood.slots[0][0].ip


def test_zipf_skew() -> None:
    flood = generate_flood(50_000, 1000, 5, seed=5, zipf_s=1.1)
    counts = Counter(p.ip for p in flood.iter_packets())
    top_ip, top = counts.most_common(1)[0]
    assert top_ip == flood.population[0]  # population is in rank order
    assert top >= 20 * statistics.median(counts.values())
    # s=0 is uniform: nobody dominates.
    flat = Counter(p.ip for p in generate_flood(50_000, 100, 5, seed=5, zipf_s=0).iter_packets())
    assert max(flat.values()) < 2 * min(flat.values())


def test_dangerous_population_and_decoys() -> None:
    flood = generate_flood(20_000, 1000, 5, seed=8, dangerous_fraction=0.1)
    bl = flood.blocklist
    dangerous = [ip for ip in flood.population if bl.is_dangerous_ip(ip)]
    assert len(dangerous) == dangerous_count(1000, 0.1) == 100
    members = {ipaddress.IPv4Address(ip) for ip in flood.population}
    covering = [n for n in bl.networks if any(m in n for m in members)]
    decoy_nets = [n for n in bl.networks if not any(m in n for m in members)]
    listed = [a for a in bl.addresses if a in members]
    decoy_addrs = [a for a in bl.addresses if a not in members]
    assert covering and decoy_nets and listed and decoy_addrs
    in_ranges = [ip for ip in dangerous if any(ipaddress.IPv4Address(ip) in n for n in covering)]
    assert len(in_ranges) == 50 and len(listed) == 50
    assert all(n.num_addresses >= 16 for n in bl.networks)
    assert flood.dangerous_seen() | flood.clean_seen() == flood.distinct_ips
    assert not flood.dangerous_seen() & flood.clean_seen()
    assert flood.dangerous_seen() == {ip for ip in flood.distinct_ips if ip in set(dangerous)}


@pytest.mark.parametrize(("fraction", "expected"), [(0.0, 0), (1.0, 40), (0.001, 1), (0.5, 20), (0.0125, 1)])
def test_dangerous_fraction_extremes(fraction: float, expected: int) -> None:
    flood = generate_flood(400, 40, 2, seed=2, dangerous_fraction=fraction)
    assert sum(flood.blocklist.is_dangerous_ip(ip) for ip in flood.population) == expected
    assert len(flood.blocklist.networks) >= 1 and len(flood.blocklist.addresses) >= 1  # decoys always


def test_bursts_are_contiguous_runs_in_one_slot() -> None:
    flood = generate_flood(5000, 500, 5, seed=9, bursts=4, burst_size=150)
    assert flood.packets == 5000 and len(flood.bursts) == 4
    for burst in flood.bursts:
        run = flood.slots[burst.slot][burst.start:burst.start + burst.size]
        assert len(run) == 150 and {p.ip for p in run} == {burst.ip}
        assert burst.ip in flood.population
    # Base packets were split evenly before the bursts went in.
    burst_packets = Counter(b.slot for b in flood.bursts)
    base = [len(s) - 150 * burst_packets[i] for i, s in enumerate(flood.slots)]
    assert sum(base) == 5000 - 600 and max(base) - min(base) <= 1


def test_bursts_in_the_same_slot_do_not_nest() -> None:
    flood = generate_flood(60, 5, 1, seed=4, bursts=5, burst_size=10)
    spans = sorted((b.start, b.start + b.size) for b in flood.bursts)
    assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:]))


def test_derived_counts_on_a_hand_built_flood() -> None:
    slots = ((_pkt("1.1.1.1", 0), _pkt("1.1.1.1", 0), _pkt("2.2.2.2", 0)),
             (_pkt("1.1.1.1", 1),),
             (_pkt("3.3.3.3", 2), _pkt("2.2.2.2", 2)))
    flood = Flood(seed=0, slots=slots, blocklist=Blocklist.of(addresses=["2.2.2.2", "9.9.9.9"]),
                  population=("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"))
    assert flood.packets == 6
    assert flood.distinct_ips == {"1.1.1.1", "2.2.2.2", "3.3.3.3"}
    assert flood.distinct_per_slot() == [2, 1, 2]
    assert flood.expected_checks() == 5
    assert flood.expected_checks_per_ip() == {"1.1.1.1": 2, "2.2.2.2": 2, "3.3.3.3": 1}
    assert flood.dangerous_seen() == {"2.2.2.2"}
    assert flood.clean_seen() == {"1.1.1.1", "3.3.3.3"}


def test_minimal_flood() -> None:
    flood = generate_flood(1, 1, 1, seed=0)
    assert flood.packets == 1 and flood.expected_checks() == 1


def test_hundred_thousand_packets_is_fast() -> None:
    start = time.perf_counter()
    flood = generate_flood(100_000, 5000, 10, seed=1)
    assert time.perf_counter() - start < 2.0
    assert flood.packets == 100_000


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"packets": 0}, r"packets must be an integer >= 1, got 0"),
    ({"packets": 2.5}, r"packets must be an integer"),
    ({"ips": 0}, r"ips must be an integer between 1 and 100"),
    ({"ips": 101}, r"ips must be an integer between 1 and 100 \(ips cannot exceed packets\), got 101"),
    ({"slots": 0}, r"slots must be an integer between 1 and 100"),
    ({"slots": 101}, r"slots must be an integer between 1 and 100"),
    ({"slots": 60, "bursts": 1, "burst_size": 50}, r"slots must be an integer between 1 and 50 \(the number of non-burst"),
    ({"seed": "x"}, r"seed must be an integer"),
    ({"seed": True}, r"seed must be an integer"),
    ({"dangerous_fraction": -0.1}, r"dangerous_fraction must be a finite number between 0.0 and 1.0"),
    ({"dangerous_fraction": 1.5}, r"dangerous_fraction must be a finite number between 0.0 and 1.0"),
    ({"dangerous_fraction": float("nan")}, r"dangerous_fraction must be a finite number"),
    ({"zipf_s": -1}, r"zipf_s must be a finite number >= 0.0"),
    ({"zipf_s": float("inf")}, r"zipf_s must be a finite number"),
    ({"bursts": -1}, r"bursts must be an integer >= 0"),
    ({"bursts": 2, "burst_size": 0}, r"burst_size must be an integer >= 1 when bursts > 0"),
    ({"burst_size": -3}, r"burst_size must be an integer >= 0"),
    ({"bursts": 2, "burst_size": 50}, r"bursts \* burst_size \(100\) must be less than packets \(100\)"),
])
def test_argument_validation(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"packets": 100, "ips": 10, "slots": 2, "seed": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        generate_flood(**args)  # type: ignore[arg-type]
