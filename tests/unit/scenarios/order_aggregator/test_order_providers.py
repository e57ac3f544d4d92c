"""The order provider: reproducible under seed_instance, money in exact cents, realistic baskets."""
from __future__ import annotations

import random
import re
from collections import Counter
from decimal import Decimal

import pytest
from faker import Faker

from streamharness.fixtures import OrderProvider
from streamharness.fixtures.orders import format_cents, parse_cents


def _fake(seed: int) -> Faker:
    fake = Faker()
    fake.add_provider(OrderProvider)
    fake.seed_instance(seed)
    return fake


def _draws(fake: Faker) -> list[object]:
    catalog = fake.catalog(8)
    return [fake.order_id(), fake.customer(), catalog, fake.order_lines(catalog), fake.price(), fake.quantity()]


def test_seeded_instances_reproduce_everything() -> None:
    assert _draws(_fake(3)) == _draws(_fake(3))
    assert _draws(_fake(3)) != _draws(_fake(4))


def test_does_not_touch_global_random_state() -> None:
    random.seed(5)
    before = random.getstate()
    _draws(_fake(1))
    assert random.getstate() == before


def test_ids_have_their_shapes() -> None:
    fake = _fake(1)
    assert all(re.fullmatch(r"ORD-[A-Z0-9]{10}", fake.order_id()) for _ in range(200))
    assert all(re.fullmatch(r"SKU-[A-Z0-9]{4}-\d{3}", fake.sku()) for _ in range(200))
    customer = fake.customer()
    assert set(customer) == {"customer_id", "name", "email"}
    assert re.fullmatch(r"CUST-[A-Z0-9]{8}", customer["customer_id"])
    assert re.fullmatch(r"[a-z.]+@example\.(com|org|net)", customer["email"]), customer
    assert len(customer["name"].split()) >= 2


def test_prices_are_whole_cents_in_range_and_look_retail() -> None:
    fake = _fake(2)
    prices = [fake.price_cents() for _ in range(3000)]
    assert all(isinstance(p, int) and 199 <= p <= 49_999 for p in prices)
    endings = Counter(p % 100 for p in prices)
    assert endings[99] > len(prices) / 4  # most prices end in .99
    assert sorted(prices)[len(prices) // 2] < 5_000  # log-uniform: the median item is cheap
    assert all(100 <= fake.price_cents(100, 150) <= 150 for _ in range(200))  # narrow ranges still work
    assert fake.price_cents(777, 777) == 777
    text = fake.price()
    assert re.fullmatch(r"\d+\.\d{2}", text) and parse_cents(text) == Decimal(text) * 100


@pytest.mark.parametrize(("low", "high"), [(0, 10), (10, 5), (-1, 5), (1.5, 10)])
def test_price_bounds_are_validated(low: object, high: object) -> None:
    with pytest.raises(ValueError, match="0 < low <= high"):
        _fake(1).price_cents(low, high)  # type: ignore[arg-type]


def test_quantities_are_skewed_to_one() -> None:
    fake = _fake(3)
    qs = Counter(fake.quantity() for _ in range(5000))
    assert set(qs) <= {1, 2, 3, 4, 5, 6, 8, 10, 12}
    assert qs[1] > 0.45 * 5000 and qs[1] > qs[2] > qs[3]
    assert {fake.quantity(maximum=1) for _ in range(50)} == {1}
    assert max(fake.quantity(maximum=3) for _ in range(500)) == 3
    with pytest.raises(ValueError, match="maximum must be an integer >= 1"):
        fake.quantity(0)


def test_catalog_and_order_lines() -> None:
    fake = _fake(4)
    catalog = fake.catalog(30)
    assert len({p["sku"] for p in catalog}) == 30
    assert fake.catalog(0) == []
    for _ in range(300):
        lines = fake.order_lines(catalog, max_lines=3)
        assert 1 <= len(lines) <= 3 and len({line["sku"] for line in lines}) == len(lines)
        for line in lines:
            assert line["line_total_cents"] == line["quantity"] * line["unit_price_cents"]
    assert len(fake.order_lines(catalog[:1], max_lines=4)) == 1
    with pytest.raises(ValueError, match="catalog must not be empty"):
        fake.order_lines([])
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        fake.catalog(-1)


@pytest.mark.parametrize(("cents", "text"), [(0, "0.00"), (5, "0.05"), (99, "0.99"), (100, "1.00"),
                                             (123456, "1234.56"), (-5, "-0.05"), (-1250, "-12.50")])
def test_format_and_parse_cents_round_trip(cents: int, text: str) -> None:
    assert format_cents(cents) == text
    assert parse_cents(text) == cents
    assert parse_cents(Decimal(text)) == cents
    assert Decimal(text) == Decimal(cents) / 100  # exact, no float in between


def test_money_helpers_refuse_inexact_input() -> None:
    with pytest.raises(TypeError):
        format_cents(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_cents(True)
    for bad in ("1.5", "1.234", "12", "abc", "1e3"):
        with pytest.raises(ValueError):
            parse_cents(bad)
    with pytest.raises(ValueError, match="not a whole number of cents"):
        parse_cents(Decimal("0.001"))
    with pytest.raises(TypeError):
        parse_cents(1.25)  # type: ignore[arg-type]
