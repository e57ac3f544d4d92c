"""A scenario's configuration: a frozen dataclass whose fields marked with :func:`option` are its options.

One declaration serves three readers: Python code builds the config directly, the command line turns
each option into a ``--flag`` with its help and bounds, and the trace header stores the config as JSON so
``harness judge`` can build it again. Values are validated on construction, so a bad one fails before
anything starts, naming the flag.
"""
from __future__ import annotations

import math
import typing
from dataclasses import MISSING, Field, asdict, dataclass, field, fields
from functools import cache
from typing import Any, ClassVar, TypeVar

from harness.backends import BACKENDS

_OPTION = "streamharness.option"
_TYPES = (int, float, str, bool)
C = TypeVar("C", bound="ScenarioConfig")


@dataclass(frozen=True)
class Option:
    """One option of a scenario: its Python name, type, default, help and bounds."""

    name: str
    type: type
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """The value if it fits; else ValueError naming the flag, the rule and the value."""
        if self.type is bool:
            ok = isinstance(value, bool)
        elif self.type is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif self.type is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ValueError(f"{self.flag} must be {'a finite number' if self.type is float else self.type.__name__}, "
                             f"got {value!r}")
        if self.choices and value not in self.choices:
            raise ValueError(f"{self.flag} must be one of {', '.join(self.choices)}, got {value!r}")
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            bounds = " and ".join(b for b in (f">= {self.min:g}" if self.min is not None else "",
                                              f"<= {self.max:g}" if self.max is not None else "") if b)
            raise ValueError(f"{self.flag} must be {bounds}, got {value!r}")
        return value


def option(default: Any, help: str, *, min: float | None = None, max: float | None = None,
           choices: tuple[str, ...] = ()) -> Any:
    """Declare a config field as an option (``packets: int = option(5000, "Packets in the flood.", min=1)``)."""
    return field(default=default, metadata={_OPTION: (help, min, max, tuple(choices))})


@dataclass(frozen=True, kw_only=True)
class ScenarioConfig:
    """Fields every scenario has; a scenario's config subclasses it and adds its options.

    ``variants`` (a class attribute) names the scenario's variants, the first being the default;
    ``variant=""`` means that default.
    """

    variants: ClassVar[tuple[str, ...]] = ()

    variant: str = ""
    seed: int = option(7, "Seed: the same seed gives the same plan.")
    backend: str = option("embedded", "Backend the pipeline runs on.", choices=tuple(sorted(BACKENDS)))
    drain_timeout: float = 120.0

    def __post_init__(self) -> None:
        if not self.variants:
            raise TypeError(f"{type(self).__name__}.variants names no variant")
        if self.variant == "":
            object.__setattr__(self, "variant", self.variants[0])
        if self.variant not in self.variants:
            raise ValueError(f"--variant must be one of {', '.join(self.variants)}, got {self.variant!r}")
        for opt in options_of(type(self), generic=True):
            opt.check(getattr(self, opt.name))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls: type[C], values: dict[str, Any]) -> C:
        """A config from its ``to_dict`` form (a trace header); unknown keys are an error naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field {', '.join(map(repr, unknown))}")
        return cls(**values)


GENERIC = frozenset(f.name for f in fields(ScenarioConfig))


@cache
def options_of(config_type: type[ScenarioConfig], *, generic: bool = False) -> tuple[Option, ...]:
    """The options a config declares, in declaration order; the generic ones (seed, backend) only if asked."""
    hints = typing.get_type_hints(config_type)
    out = []
    for f in fields(config_type):
        if _OPTION not in f.metadata or (f.name in GENERIC and not generic):
            continue
        out.append(_to_option(f, hints[f.name]))
    return tuple(out)


def _to_option(f: Field[Any], hint: Any) -> Option:
    if hint not in _TYPES:
        raise TypeError(f"option {f.name!r} has type {hint!r}; options are int, float, str or bool")
    if f.default is MISSING:
        raise TypeError(f"option {f.name!r} has no default")
    help_, lo, hi, choices = f.metadata[_OPTION]
    return Option(f.name, hint, f.default, help_, lo, hi, choices)


__all__ = ["GENERIC", "Option", "ScenarioConfig", "option", "options_of"]
