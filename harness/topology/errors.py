"""The error AWS raises for a bad parameter, raised by us at spec time."""
from __future__ import annotations


class ValidationException(ValueError):
    """Mirrors AWS's ValidationException: the message names the parameter and what is allowed."""

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


def check_range(parameter: str, value: int | float, low: int | float, high: int | float,
                *, also: tuple[int | float, ...] = ()) -> None:
    """Raise AWS-style when ``value`` is outside ``[low, high]`` (``also`` lists extra allowed values)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationException(
            f"1 validation error detected: Value '{value!r}' at '{_camel(parameter)}' failed to satisfy "
            f"constraint: Member must be an integer", parameter=parameter)
    if value in also or low <= value <= high:
        return
    extra = "".join(f" or equal to {a}" for a in also)
    raise ValidationException(
        f"1 validation error detected: Value '{value}' at '{_camel(parameter)}' failed to satisfy "
        f"constraint: Member must have value greater than or equal to {low} and less than or equal "
        f"to {high}{extra}", parameter=parameter)


def _camel(name: str) -> str:
    """AWS's error texts name parameters in lowerCamelCase (batchSize, maximumRetryAttempts)."""
    if "_" not in name:
        return name[:1].lower() + name[1:]
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)
