"""A deterministic packet flood plus the blocklist it is judged against.

The flood carries its own ground truth (which IPs appear in which slot, which are dangerous), so
oracles can state exact expectations without re-deriving them from the pipeline's output.
Popularity is Zipf-like because real traffic is: a few sources dominate, and that skew is what
makes dedup matter. All randomness flows from ``random.Random(seed)``; Faker is seeded from it.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cached_property
from itertools import accumulate
from random import Random
from typing import Any

from faker import Faker

from streamharness.fixtures.providers import NetworkPacketProvider, int_to_ipv4, ipv4_to_int, range_is_public
from streamharness.scenarios.ip_dedup.blocklist import Blocklist

EPOCH = 1_700_000_000.0  # fixed start so timestamps are reproducible, not wall-clock
SLOT_SECONDS = 1.0
_RANGE_IPS_PER_NETWORK = 4  # dangerous IPs that share one covering CIDR
_PREFIXES = (20, 22, 24, 25, 26, 27, 28)  # /28 still has 14 hosts > _RANGE_IPS_PER_NETWORK


@dataclass(frozen=True, slots=True)
class Packet:
    ip: str  # source address: the table key
    slot: int
    ts: float  # epoch seconds; non-decreasing across the flood
    dst_ip: str
    src_port: int | None  # None for ICMP
    dst_port: int | None
    protocol: str
    size_bytes: int
    tcp_flags: str | None  # None unless TCP
    ttl: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Burst:
    """Where a burst landed, so tests and reports can point at it."""

    ip: str
    slot: int
    start: int  # index of its first packet within the slot
    size: int


@dataclass(frozen=True)
class Flood:
    seed: int
    slots: tuple[tuple[Packet, ...], ...]
    blocklist: Blocklist
    population: tuple[str, ...]  # in popularity order: population[0] is Zipf rank 1
    bursts: tuple[Burst, ...] = ()

    @cached_property
    def _slot_ips(self) -> tuple[frozenset[str], ...]:
        return tuple(frozenset(p.ip for p in slot) for slot in self.slots)

    @property
    def packets(self) -> int:
        return sum(len(slot) for slot in self.slots)

    @property
    def distinct_ips(self) -> frozenset[str]:
        """IPs that actually sent a packet (Zipf tails often never do)."""
        return frozenset().union(*self._slot_ips)

    def iter_packets(self) -> Iterator[Packet]:
        for slot in self.slots:
            yield from slot

    def distinct_per_slot(self) -> list[int]:
        return [len(ips) for ips in self._slot_ips]

    def expected_checks(self) -> int:
        """One INSERT, hence one check, per IP per slot: the harness drains between slots."""
        return sum(self.distinct_per_slot())

    def expected_checks_per_ip(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ips in self._slot_ips:
            for ip in ips:
                counts[ip] = counts.get(ip, 0) + 1
        return counts

    def dangerous_seen(self) -> frozenset[str]:
        return frozenset(ip for ip in self.distinct_ips if self.blocklist.is_dangerous_ip(ip))

    def clean_seen(self) -> frozenset[str]:
        return self.distinct_ips - self.dangerous_seen()


def dangerous_count(ips: int, dangerous_fraction: float) -> int:
    """Half-up rounding, but at least one when the fraction is non-zero so tiny floods still test alerts."""
    if dangerous_fraction == 0:
        return 0
    return min(ips, max(1, math.floor(dangerous_fraction * ips + 0.5)))


def _require_int(name: str, value: object, lo: int, hi: int | None = None, why: str = "") -> None:
    bounds = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo and (hi is None or value <= hi)
    if not ok:
        raise ValueError(f"{name} must be an integer {bounds}{why}, got {value!r}")


def _require_float(name: str, value: object, lo: float, hi: float | None = None) -> None:
    bounds = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and value >= lo and (hi is None or value <= hi)
    if not ok:
        raise ValueError(f"{name} must be a finite number {bounds}, got {value!r}")


def _validate(packets: int, ips: int, slots: int, seed: int, dangerous_fraction: float, zipf_s: float,
              bursts: int, burst_size: int) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    _require_int("packets", packets, 1)
    _require_int("ips", ips, 1, packets, " (ips cannot exceed packets)")
    _require_float("dangerous_fraction", dangerous_fraction, 0.0, 1.0)
    _require_float("zipf_s", zipf_s, 0.0)
    _require_int("bursts", bursts, 0)
    _require_int("burst_size", burst_size, 1 if bursts else 0, None, " when bursts > 0" if bursts else "")
    base = packets - bursts * burst_size
    if base < 1:
        raise ValueError(f"bursts * burst_size ({bursts * burst_size}) must be less than packets ({packets}): "
                         "bursts are part of the packet total and at least one packet must be non-burst")
    _require_int("slots", slots, 1, base, " (the number of non-burst packets, packets - bursts * burst_size)")


def _pick_blocks16(rng: Random, n: int) -> list[int]:
    """Distinct, wholly public /16s; every blocklist network lives alone in one, so none overlap."""
    chosen: list[int] = []
    seen: set[int] = set()
    while len(chosen) < n:
        block = rng.getrandbits(16)
        if block not in seen and range_is_public(block << 16, (block << 16) | 0xFFFF):
            seen.add(block)
            chosen.append(block)
    return chosen


def _carve(rng: Random, block: int) -> tuple[int, int]:
    prefix = rng.choice(_PREFIXES)
    return (block << 16) | (rng.randrange(1 << (prefix - 16)) << (32 - prefix)), prefix


def _draw_free(fake: Faker, reserved: set[int], taken: set[int]) -> int:
    """A public address outside every blocklist /16 and not yet used; records it as used."""
    while True:
        value = fake.public_ipv4_int()
        if value >> 16 not in reserved and value not in taken:
            taken.add(value)
            return value


def _build_population(rng: Random, fake: Faker, ips: int, dangerous_fraction: float) -> tuple[list[str], Blocklist]:
    n_danger = dangerous_count(ips, dangerous_fraction)
    n_range = (n_danger + 1) // 2
    n_single = n_danger - n_range
    n_bad = math.ceil(n_range / _RANGE_IPS_PER_NETWORK)
    blocks = _pick_blocks16(rng, n_bad + max(1, n_bad))  # the extra ones are decoys covering no flood IP
    reserved = set(blocks)
    networks = [_carve(rng, b) for b in blocks]

    range_ips: list[str] = []
    for i, (base, prefix) in enumerate(networks[:n_bad]):
        count = len(range(i, n_range, n_bad))  # round-robin share, <= _RANGE_IPS_PER_NETWORK
        range_ips += [int_to_ipv4(base + h) for h in rng.sample(range(1, (1 << (32 - prefix)) - 1), count)]

    drawn = [ipv4_to_int(ip) for ip in fake.ipv4_population(ips - n_range)]
    taken = set(drawn)
    for i, value in enumerate(drawn):
        if value >> 16 in reserved:  # would fall inside a blocklist network: redraw
            drawn[i] = _draw_free(fake, reserved, taken)
    others = [int_to_ipv4(v) for v in drawn]

    decoys = [int_to_ipv4(_draw_free(fake, reserved, taken)) for _ in range(max(1, n_single))]

    singles = rng.sample(others, n_single)
    population = range_ips + others
    rng.shuffle(population)  # popularity rank is independent of dangerousness
    blocklist = Blocklist.of(networks=[f"{int_to_ipv4(b)}/{p}" for b, p in networks], addresses=singles + decoys)
    return population, blocklist


def _place_bursts(rng: Random, base_slots: list[list[str]], population: list[str], bursts: int,
                  burst_size: int) -> tuple[list[list[str]], list[Burst]]:
    """Bursts go between base packets, never inside another burst, so each stays contiguous."""
    per_slot: dict[int, list[tuple[int, int, str]]] = {}
    for order in range(bursts):
        ip = population[rng.randrange(len(population))]
        slot = rng.randrange(len(base_slots))
        per_slot.setdefault(slot, []).append((rng.randint(0, len(base_slots[slot])), order, ip))
    out: list[list[str]] = []
    placed: list[Burst] = []
    for s, base in enumerate(base_slots):
        merged: list[str] = []
        cursor = 0
        for pos, _, ip in sorted(per_slot.get(s, [])):
            merged += base[cursor:pos]
            cursor = pos
            placed.append(Burst(ip=ip, slot=s, start=len(merged), size=burst_size))
            merged += [ip] * burst_size
        merged += base[cursor:]
        out.append(merged)
    return out, placed


def generate_flood(packets: int, ips: int, slots: int, seed: int, dangerous_fraction: float = 0.05,
                   zipf_s: float = 1.1, bursts: int = 0, burst_size: int = 0) -> Flood:
    """``packets`` is the total, bursts included; the non-burst packets are split into ``slots`` nearly
    equal consecutive slots, then each burst lands whole in one random slot."""
    _validate(packets, ips, slots, seed, dangerous_fraction, zipf_s, bursts, burst_size)
    rng = Random(seed)
    fake = Faker()
    fake.add_provider(NetworkPacketProvider)
    fake.seed_instance(rng.getrandbits(64))  # own stream: sharing ``seed`` would correlate the two

    population, blocklist = _build_population(rng, fake, ips, dangerous_fraction)
    n_base = packets - bursts * burst_size
    cum = list(accumulate(math.exp(-zipf_s * math.log(rank)) for rank in range(1, ips + 1)))
    stream = rng.choices(population, cum_weights=cum, k=n_base)
    size, extra = divmod(n_base, slots)
    base_slots: list[list[str]] = []
    start = 0
    for s in range(slots):
        end = start + size + (1 if s < extra else 0)
        base_slots.append(stream[start:end])
        start = end
    slot_ips, placed = _place_bursts(rng, base_slots, population, bursts, burst_size)

    packet = fake.packet
    rand = rng.random
    built: list[tuple[Packet, ...]] = []
    for s, ips_in_slot in enumerate(slot_ips):
        n = len(ips_in_slot) or 1
        t0 = EPOCH + s * SLOT_SECONDS
        row: list[Packet] = []
        for j, ip in enumerate(ips_in_slot):
            d = packet(ip)
            row.append(Packet(ip, s, round(t0 + (j + rand()) / n * SLOT_SECONDS, 6), d["dst_ip"], d["src_port"],
                              d["dst_port"], d["protocol"], d["size_bytes"], d["tcp_flags"], d["ttl"]))
        built.append(tuple(row))
    return Flood(seed=seed, slots=tuple(built), blocklist=blocklist, population=tuple(population),
                 bursts=tuple(placed))
