"""The packet provider: reproducible under seed_instance, realistic enough to look like traffic."""
from __future__ import annotations

import ipaddress
from collections import Counter

import pytest
from faker import Faker

from streamharness.fixtures import NetworkPacketProvider
from streamharness.fixtures.providers import int_to_ipv4, ipv4_to_int, is_public_ipv4_int, range_is_public


def _fake(seed: int) -> Faker:
    fake = Faker()
    fake.add_provider(NetworkPacketProvider)
    fake.seed_instance(seed)
    return fake


def test_seeded_instances_reproduce_the_same_packets() -> None:
    a, b = _fake(3), _fake(3)
    assert [a.packet() for _ in range(50)] == [b.packet() for _ in range(50)]
    assert [_fake(4).packet() for _ in range(5)] != [_fake(3).packet() for _ in range(5)]


def test_packet_fields_are_consistent_with_protocol() -> None:
    fake = _fake(1)
    service = ipaddress.ip_network("10.20.0.0/16")
    packets = [fake.packet("198.51.99.7") for _ in range(3000)]
    for p in packets:
        assert set(p) == {"src_ip", "dst_ip", "src_port", "dst_port", "protocol", "size_bytes", "tcp_flags", "ttl"}
        assert p["src_ip"] == "198.51.99.7"
        assert ipaddress.ip_address(p["dst_ip"]) in service
        assert 1 <= p["ttl"] <= 254
        if p["protocol"] == "TCP":
            assert p["tcp_flags"] and 40 <= p["size_bytes"] <= 1500 and 49152 <= p["src_port"] <= 65535
        elif p["protocol"] == "UDP":
            assert p["tcp_flags"] is None and p["dst_port"] is not None and p["size_bytes"] <= 1472
        else:
            assert (p["src_port"], p["dst_port"], p["tcp_flags"]) == (None, None, None)
    protocols = Counter(p["protocol"] for p in packets)
    assert 0.75 < protocols["TCP"] / len(packets) < 0.85
    assert protocols["UDP"] > protocols["ICMP"] > 0
    tcp_ports = Counter(p["dst_port"] for p in packets if p["protocol"] == "TCP")
    assert tcp_ports.most_common(1)[0][0] == 443


def test_packet_without_ip_draws_a_public_source() -> None:
    src = ipaddress.ip_address(_fake(2).packet()["src_ip"])
    assert src.is_global and not src.is_multicast


def test_ipv4_population_is_distinct_and_public() -> None:
    population = _fake(5).ipv4_population(5000)
    assert len(population) == len(set(population)) == 5000
    for ip in population:
        addr = ipaddress.IPv4Address(ip)
        assert addr.is_global and not addr.is_multicast and not addr.is_reserved, ip
        assert ip.split(".")[-1] not in ("0", "255")
    assert _fake(5).ipv4_population(0) == []
    with pytest.raises(ValueError, match="n must be >= 0"):
        _fake(5).ipv4_population(-1)


def test_int_helpers() -> None:
    for ip in ("0.0.0.0", "1.2.3.4", "255.255.255.255", "203.0.113.9"):
        assert int_to_ipv4(ipv4_to_int(ip)) == ip
        assert ipv4_to_int(ip) == int(ipaddress.IPv4Address(ip))
    assert not is_public_ipv4_int(ipv4_to_int("192.168.1.1"))
    assert not is_public_ipv4_int(ipv4_to_int("100.127.255.255"))
    assert is_public_ipv4_int(ipv4_to_int("100.128.0.0"))
    assert range_is_public(ipv4_to_int("8.8.0.0"), ipv4_to_int("8.8.255.255"))
    assert not range_is_public(ipv4_to_int("192.0.0.0"), ipv4_to_int("192.0.255.255"))  # holds 192.0.2.0/24
