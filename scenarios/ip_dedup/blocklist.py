"""The detector's notion of "dangerous": CIDR ranges plus single addresses.

The lookup index is built once, because the detector calls ``is_dangerous_ip`` on every INSERT;
a lookup costs one parse plus one set probe per distinct prefix length, however long the list.
The dict form is plain JSON so the same list can reach the Lambda through an env var or a file.
"""
from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

# version -> ((shift, frozenset of network ints >> shift), ...), longest prefixes first.
_Index = dict[int, tuple[tuple[int, frozenset[int]], ...]]
_BITS = {4: 32, 6: 128}


def _as_network(value: str | IPNetwork) -> IPNetwork:
    # strict: "10.0.0.1/8" is almost always a typo'd list entry; widening it silently would hide that.
    return value if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)) \
        else ipaddress.ip_network(value, strict=True)


def _as_address(value: str | IPAddress) -> IPAddress:
    return value if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)) \
        else ipaddress.ip_address(value)


@dataclass(frozen=True)
class Blocklist:
    """Immutable, canonical (sorted, de-duplicated) list; equal lists compare and hash equal."""

    networks: tuple[IPNetwork, ...] = ()
    addresses: tuple[IPAddress, ...] = ()
    _index: _Index = field(init=False, repr=False, compare=False)
    _singles: dict[int, frozenset[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        nets = sorted({_as_network(n) for n in self.networks}, key=lambda n: (n.version, n.network_address, n.prefixlen))
        addrs = sorted({_as_address(a) for a in self.addresses}, key=lambda a: (a.version, int(a)))
        object.__setattr__(self, "networks", tuple(nets))
        object.__setattr__(self, "addresses", tuple(addrs))
        by_prefix: dict[int, dict[int, set[int]]] = {4: {}, 6: {}}
        for net in nets:
            shift = _BITS[net.version] - net.prefixlen
            by_prefix[net.version].setdefault(shift, set()).add(int(net.network_address) >> shift)
        index: _Index = {v: tuple((s, frozenset(p)) for s, p in sorted(d.items())) for v, d in by_prefix.items()}
        singles = {v: frozenset(int(a) for a in addrs if a.version == v) for v in (4, 6)}
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_singles", singles)

    @classmethod
    def of(cls, networks: Iterable[str | IPNetwork] = (), addresses: Iterable[str | IPAddress] = ()) -> Blocklist:
        return cls(networks=tuple(networks), addresses=tuple(addresses))  # type: ignore[arg-type]

    def is_dangerous_ip(self, ip: str) -> bool:
        """Raises ValueError for a string that is not an IP address (a bad key is a bug, not "clean")."""
        addr = ipaddress.ip_address(ip)
        if self._contains_int(addr.version, int(addr)):
            return True
        # "::ffff:a.b.c.d" is how dual-stack sockets report IPv4 peers; it is the same host.
        mapped = getattr(addr, "ipv4_mapped", None)
        return mapped is not None and self._contains_int(4, int(mapped))

    def _contains_int(self, version: int, value: int) -> bool:
        if value in self._singles[version]:
            return True
        return any((value >> shift) in nets for shift, nets in self._index[version])

    def __len__(self) -> int:
        return len(self.networks) + len(self.addresses)

    def to_dict(self) -> dict[str, list[str]]:
        return {"networks": [str(n) for n in self.networks], "addresses": [str(a) for a in self.addresses]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Blocklist:
        unknown = set(data) - {"networks", "addresses"}
        if unknown:
            raise ValueError(f"blocklist dict has unknown keys {sorted(unknown)}; allowed: ['addresses', 'networks']")
        for key in ("networks", "addresses"):
            values = data.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"blocklist {key!r} must be a list of strings")
        return cls.of(data.get("networks", []), data.get("addresses", []))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Blocklist:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("blocklist JSON must be an object")
        return cls.from_dict(data)


def is_dangerous_ip(ip: str, blocklist: Blocklist) -> bool:
    return blocklist.is_dangerous_ip(ip)
