"""Options come from the config's fields, with their help and bounds; bad values name the flag."""
from __future__ import annotations

import pytest
from toy_scenario import Toy, ToyConfig

from harness.scenario import Option, options_of


def test_options_are_the_config_fields_marked_as_options_in_order() -> None:
    assert [o.name for o in Toy().options] == ["numbers", "factor", "label", "loud"]
    numbers = Toy().options[0]
    assert numbers == Option("numbers", int, 3, "How many numbers.", 1, 100)
    assert numbers.flag == "--numbers"
    assert {"seed", "backend"} <= {o.name for o in options_of(ToyConfig, generic=True)}


def test_the_first_variant_is_the_default_and_others_are_rejected() -> None:
    assert ToyConfig().variant == "right"
    assert ToyConfig(variant="wrong").variant == "wrong"
    with pytest.raises(ValueError, match=r"--variant must be one of right, wrong, got 'other'"):
        ToyConfig(variant="other")


@pytest.mark.parametrize("values, message", [
    ({"numbers": 0}, r"--numbers must be >= 1 and <= 100, got 0"),
    ({"numbers": 101}, r"--numbers must be >= 1 and <= 100, got 101"),
    ({"numbers": 2.5}, r"--numbers must be int, got 2.5"),
    ({"numbers": True}, r"--numbers must be int, got True"),
    ({"factor": float("nan")}, r"--factor must be a finite number"),
    ({"factor": -1}, r"--factor must be >= 0, got -1"),
    ({"label": "c"}, r"--label must be one of a, b, got 'c'"),
    ({"loud": "yes"}, r"--loud must be bool"),
    ({"seed": "7"}, r"--seed must be int"),
])
def test_bad_values_raise_naming_the_flag(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ToyConfig(**values)


def test_a_config_survives_its_dict_form_and_unknown_fields_are_named() -> None:
    config = ToyConfig(numbers=5, factor=1.5, variant="wrong", seed=3)
    assert ToyConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="ToyConfig has no field 'colour'"):
        ToyConfig.from_dict({**config.to_dict(), "colour": "red"})
