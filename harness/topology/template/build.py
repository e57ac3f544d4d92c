"""What the converters share: the specs built so far, the notes of what was left out, small readers."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.topology.events import EventBus, Rule, Subscription
from harness.topology.specs import EventSourceMapping, Function, Queue, Table
from harness.topology.template.intrinsics import NO_VALUE, Resolver, parse_ref

#: Token kinds a property naming a resource may hold -> the topology's ``kind:NAME`` reference.
ARN_KINDS = {"function": "function", "function-arn": "function", "queue-arn": "queue", "topic-arn": "topic",
             "stream-arn": "table", "bus": "bus", "bus-arn": "bus"}


@dataclass
class Build:
    """One template's conversion in progress."""

    resolver: Resolver
    template_dir: str
    tables: list[Table] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    mappings: list[EventSourceMapping] = field(default_factory=list)
    buses: list[EventBus] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    topics: dict[str, list[Subscription]] = field(default_factory=dict)
    handler_dirs: dict[str, str] = field(default_factory=dict)  # function name -> its code directory
    skipped_functions: set[str] = field(default_factory=set)
    #: (logical id or section, what was left out), in template order
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: logical id -> its properties that are neither run nor known to have no local effect
    unsupported: dict[str, list[str]] = field(default_factory=dict)
    function_ids: dict[str, str] = field(default_factory=dict)  # function name -> logical id

    def note(self, owner: str, message: str) -> None:
        self.notes.append((owner, message))

    def resolve(self, value: Any, where: str) -> Any:
        return self.resolver.resolve(value, where)

    def error(self, where: str, message: str) -> Exception:
        return self.resolver.error(where, message)

    def properties(self, logical: str, props: Mapping[str, Any], handled: Iterable[str], no_effect: Iterable[str],
                   prefix: str = "") -> None:
        """Note every property that is neither handled nor known to have no local effect."""
        known = set(handled) | set(no_effect)
        for key in props:
            if key not in known:
                self.unsupported.setdefault(logical, []).append(f"{prefix}{key}")

    def reference(self, logical: str, value: Any, where: str, kinds: Iterable[str], what: str) -> str | None:
        """A property naming a resource (an ARN in AWS) -> the topology's ``kind:NAME``, or None (noted)."""
        ref = parse_ref(value)
        kinds = tuple(kinds)
        if ref is not None and ARN_KINDS.get(ref[0]) in kinds:
            kind, name = ARN_KINDS[ref[0]], ref[1]
            if kind == "function" and name in self.skipped_functions:
                self.note(logical, f"{what}: function {name} is left out (see above)")
                return None
            return f"{kind}:{name}"
        shown = f"{ref[1]} ({ref[0]})" if ref else repr(value)
        self.note(logical, f"{what}: {shown} is not a {' or '.join(kinds)} of this template")
        return None


def get_int(b: Build, value: Any, where: str) -> int:
    """CloudFormation takes numbers as numbers or numeric strings."""
    if isinstance(value, bool):
        raise b.error(where, f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise b.error(where, f"expected an integer, got {value!r}") from None


def get_bool(b: Build, value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise b.error(where, f"expected true or false, got {value!r}")


def get_json(b: Build, value: Any, where: str) -> Any:
    """A Json-typed property: an object, or its text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as e:
            raise b.error(where, f"not valid JSON: {e}") from None
    return value


def present(props: Mapping[str, Any], key: str) -> bool:
    return key in props and props[key] is not NO_VALUE and props[key] is not None
