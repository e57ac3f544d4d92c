"""Blocklist lookups, including the CIDR edges an off-by-one would get wrong."""
from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamharness.scenarios.ip_dedup.blocklist import Blocklist, is_dangerous_ip


@pytest.fixture()
def blocklist() -> Blocklist:
    return Blocklist.of(networks=["203.0.113.0/24", "198.51.100.64/26", "192.0.2.7/32", "2001:db8::/32"],
                        addresses=["8.8.4.4", "2001:db8:ffff::1", "45.33.32.156"])


@pytest.mark.parametrize(("ip", "dangerous"), [
    ("203.0.113.0", True),        # network address
    ("203.0.113.255", True),      # broadcast address
    ("203.0.112.255", False),     # one below
    ("203.0.114.0", False),       # one above
    ("198.51.100.64", True),
    ("198.51.100.127", True),
    ("198.51.100.63", False),
    ("198.51.100.128", False),
    ("192.0.2.7", True),          # /32 network
    ("192.0.2.6", False),
    ("192.0.2.8", False),
    ("8.8.4.4", True),            # single address
    ("8.8.4.5", False),
    ("8.8.8.8", False),
    ("45.33.32.156", True),
    ("2001:db8::", True),
    ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", True),
    ("2001:db9::", False),
    ("2001:db8:ffff::1", True),
    ("::ffff:8.8.4.4", True),     # IPv4-mapped form of a listed address
    ("::ffff:203.0.113.200", True),
    ("::ffff:8.8.8.8", False),
])
def test_lookup_edges(blocklist: Blocklist, ip: str, dangerous: bool) -> None:
    assert blocklist.is_dangerous_ip(ip) is dangerous
    assert is_dangerous_ip(ip, blocklist) is dangerous


def test_prefix_zero_matches_everything_of_its_family() -> None:
    everything = Blocklist.of(networks=["0.0.0.0/0"])
    assert everything.is_dangerous_ip("1.1.1.1") and everything.is_dangerous_ip("255.255.255.255")
    assert not everything.is_dangerous_ip("::1")


def test_empty_blocklist_flags_nothing() -> None:
    assert not Blocklist().is_dangerous_ip("1.2.3.4")
    assert len(Blocklist()) == 0


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError):
        Blocklist.of(networks=["10.0.0.1/8"])  # host bits set: a typo, not a /8
    with pytest.raises(ValueError):
        Blocklist.of(addresses=["not-an-ip"])
    with pytest.raises(ValueError):
        Blocklist().is_dangerous_ip("999.1.1.1")


def test_canonical_form_makes_order_irrelevant() -> None:
    a = Blocklist.of(networks=["10.0.0.0/8", "1.0.0.0/24"], addresses=["9.9.9.9", "1.1.1.1", "1.1.1.1"])
    b = Blocklist.of(networks=["1.0.0.0/24", "10.0.0.0/8"], addresses=["1.1.1.1", "9.9.9.9"])
    assert a == b and hash(a) == hash(b) and len(a) == 4
    assert a.to_dict() == {"networks": ["1.0.0.0/24", "10.0.0.0/8"], "addresses": ["1.1.1.1", "9.9.9.9"]}


def test_dict_and_json_round_trip(blocklist: Blocklist) -> None:
    data = json.loads(json.dumps(blocklist.to_dict()))
    assert Blocklist.from_dict(data) == blocklist
    assert Blocklist.from_json(blocklist.to_json()) == blocklist
    assert Blocklist.from_dict(data).is_dangerous_ip("203.0.113.255")


@pytest.mark.parametrize(("data", "match"), [
    ({"networks": [], "extra": []}, "unknown keys"),
    ({"networks": "10.0.0.0/8"}, "'networks' must be a list of strings"),
    ({"addresses": [1]}, "'addresses' must be a list of strings"),
])
def test_from_dict_rejects_malformed(data: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Blocklist.from_dict(data)


def test_from_json_rejects_non_object() -> None:
    with pytest.raises(ValueError, match="must be an object"):
        Blocklist.from_json("[]")


_v4 = st.integers(0, 2**32 - 1).map(lambda v: str(ipaddress.IPv4Address(v)))


@settings(max_examples=60, deadline=None)
@given(nets=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)), max_size=8),
       singles=st.lists(_v4, max_size=5), probes=st.lists(_v4, min_size=1, max_size=30))
def test_agrees_with_brute_force(nets: list[tuple[int, int]], singles: list[str], probes: list[str]) -> None:
    networks = [ipaddress.ip_network((v, p), strict=False) for v, p in nets]
    bl = Blocklist.of(networks=networks, addresses=singles)
    # Probe the edges too: that is where shift/mask mistakes show.
    probes += [str(n.network_address) for n in networks] + [str(n.broadcast_address) for n in networks]
    for ip in probes:
        addr = ipaddress.ip_address(ip)
        expected = ip in singles or any(addr in n for n in networks)
        assert bl.is_dangerous_ip(ip) is expected, ip
