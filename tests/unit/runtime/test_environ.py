"""os.environ layers: overlapping and nested owners each restore exactly what they set."""
from __future__ import annotations

import os

import pytest

from harness.runtime.environ import EnvironmentLayers

KEYS = ("SH_T_ENDPOINT", "SH_T_REGION", "SH_T_ONLY_B")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in KEYS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("SH_T_REGION", "eu-north-1")


def _env() -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in KEYS}


def test_overlapping_owners_keep_each_others_variables() -> None:
    layers = EnvironmentLayers()
    a = layers.push("a", {"SH_T_ENDPOINT": "http://a", "SH_T_REGION": "us-east-1"})
    b = layers.push("b", {"SH_T_ENDPOINT": "http://b", "SH_T_REGION": "us-west-2", "SH_T_ONLY_B": "1"})
    layers.pop(a)  # the first one out, while the second is still up
    assert _env() == {"SH_T_ENDPOINT": "http://b", "SH_T_REGION": "us-west-2", "SH_T_ONLY_B": "1"}
    layers.pop(b)
    assert _env() == {"SH_T_ENDPOINT": None, "SH_T_REGION": "eu-north-1", "SH_T_ONLY_B": None}


def test_popping_a_newer_owner_brings_back_the_older_ones_values() -> None:
    layers = EnvironmentLayers()
    a = layers.push("a", {"SH_T_ENDPOINT": "http://a", "SH_T_REGION": "us-east-1"})
    b = layers.push("b", {"SH_T_ENDPOINT": "http://b", "SH_T_ONLY_B": "1"})
    layers.pop(b)
    assert _env() == {"SH_T_ENDPOINT": "http://a", "SH_T_REGION": "us-east-1", "SH_T_ONLY_B": None}
    assert layers.owners == ["a"]
    layers.pop(a)
    assert _env() == {"SH_T_ENDPOINT": None, "SH_T_REGION": "eu-north-1", "SH_T_ONLY_B": None}


def test_a_layer_popped_twice_is_an_error() -> None:
    layers = EnvironmentLayers()
    a = layers.push("a", {"SH_T_ENDPOINT": "x"})
    layers.pop(a)
    with pytest.raises(ValueError, match="not applied"):
        layers.pop(a)
