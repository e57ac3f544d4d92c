"""What a rule's target receives: the event, ``InputPath``, constant ``Input`` or ``InputTransformer``.

Pure functions, no AWS calls. The result is always the *text* EventBridge would send (a Lambda
target gets it parsed as JSON; an SQS body or SNS message gets the text itself).

Paths (InputPath and the values of InputPathsMap) are the JSONPath subset EventBridge documents:
``$``, dot notation (``$.detail.instance-id``: names with letters, digits, dashes, underscores,
slashes...), array indices ``[0]`` and the wildcard ``*`` / ``[*]`` (which collects every match
into a list). Bracket notation for names (``$['detail']``) is refused: AWS requires dot notation.

InputTemplate, as AWS documents it (eb-transform-target-input):

* A template whose text starts with ``{`` or ``[`` is JSON. Inside it, an *unquoted*
  placeholder is replaced by the value as JSON (a string gets its quotes: ``"instance":
  <instance>`` gives ``"instance": "i-0123"``; objects and arrays are inserted as JSON); a
  placeholder *inside a JSON string* is replaced by the bare value, not escaped ("EventBridge
  doesn't escape values extracted by Input Path"). The filled template is minified when it parses
  as JSON ("the JSON that is passed to the target is minified"), else passed on as it is.
* Any other template is text: every placeholder is replaced by the bare value, and the text is
  passed on as it is (a template written as ``"instance <instance> is in <state>"`` keeps its
  quotes, as in AWS's table of examples).
* A variable whose path matches nothing "isn't created": inside a string (or a text template) the
  placeholder becomes empty, unquoted in a JSON template it becomes ``null`` (decision: the docs
  only say it "won't appear in the output"; ``null`` keeps the JSON valid).
* A placeholder naming no variable is left as it is (``<b>`` in a text template stays ``<b>``).
* Predefined: ``<aws.events.rule-arn>``, ``<aws.events.rule-name>``,
  ``<aws.events.event.ingestion-time>`` (strings), ``<aws.events.event>`` (the event without its
  ``detail``, as the current docs say) and ``<aws.events.event.json>`` (the whole event); the two
  event variables are inserted as JSON ("can only be used as a value for a JSON field").
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

_NAME_STEP = re.compile(r"\.([^.\[\]\s]+)")
_INDEX_STEP = re.compile(r"\[(\d+|\*)\]")
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
INGESTION_TIME = "aws.events.event.ingestion-time"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"
PREDEFINED = (RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON)

MAX_VARIABLES = 100
MAX_TEMPLATE_LENGTH = 8192
MAX_PATH_LENGTH = 256

_WILDCARD = object()


class InvalidPathError(ValueError):
    """A JSONPath EventBridge would not accept."""


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=1024)
def parse_path(path: str) -> tuple[Any, ...]:
    """``"$.detail.items[0].id"`` -> ("detail", "items", 0, "id"); ``*`` steps are wildcards."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise InvalidPathError(f"{path!r} is not valid: a path starts with '$' (e.g. $.detail.id)")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidPathError(f"{path[:40]!r}... is longer than {MAX_PATH_LENGTH} characters")
    steps: list[Any] = []
    i = 1
    while i < len(path):
        m = _NAME_STEP.match(path, i) or _INDEX_STEP.match(path, i)
        if m is None:
            if path.startswith("['", i) or path.startswith('["', i):
                raise InvalidPathError(f"{path!r} is not valid: use dot notation, not bracket notation")
            raise InvalidPathError(f"{path!r} is not valid at position {i} ({path[i:]!r})")
        token = m.group(1)
        if token == "*":
            steps.append(_WILDCARD)
        elif m.re is _INDEX_STEP:
            steps.append(int(token))
        else:
            steps.append(token)
        i = m.end()
    return tuple(steps)


def select(document: Any, path: str) -> tuple[bool, Any]:
    """``(found, value)`` for ``path`` in ``document``; wildcards collect their matches into a list."""
    steps = parse_path(path)
    if _WILDCARD not in steps:
        node = document
        for step in steps:
            if isinstance(step, int):
                if not isinstance(node, list) or step >= len(node):
                    return False, None
                node = node[step]
            else:
                if not isinstance(node, dict) or step not in node:
                    return False, None
                node = node[step]
        return True, node
    nodes = [document]
    for step in steps:
        nxt: list[Any] = []
        for node in nodes:
            if step is _WILDCARD:
                if isinstance(node, list):
                    nxt.extend(node)
                elif isinstance(node, dict):
                    nxt.extend(node.values())
            elif isinstance(step, int):
                if isinstance(node, list) and step < len(node):
                    nxt.append(node[step])
            elif isinstance(node, dict) and step in node:
                nxt.append(node[step])
        nodes = nxt
    return True, nodes


def is_json_template(template: str) -> bool:
    return template.lstrip()[:1] in ("{", "[")


def validate_input_transformer(paths_map: Mapping[str, Any], template: Any) -> str | None:
    """The problem AWS's PutTargets would report for this InputTransformer, or None."""
    if not isinstance(template, str) or not 1 <= len(template) <= MAX_TEMPLATE_LENGTH:
        return (f"1 validation error detected: Value at 'targets.member.inputTransformer.inputTemplate' failed to "
                f"satisfy constraint: Member must have length greater than or equal to 1 and less than or equal "
                f"to {MAX_TEMPLATE_LENGTH}")
    if not isinstance(paths_map, Mapping):
        return "InputPathsMap must be a map of variable names to JSON paths"
    if len(paths_map) > MAX_VARIABLES:
        return (f"1 validation error detected: Value at 'targets.member.inputTransformer.inputPathsMap' failed to "
                f"satisfy constraint: Member must have length less than or equal to {MAX_VARIABLES}")
    for key, path in paths_map.items():
        if not isinstance(key, str) or not _VARIABLE_NAME.match(key):
            return (f"InputPathsMap key {key!r} is not valid: Member must satisfy regular expression pattern: "
                    f"[A-Za-z0-9\\_\\-]+ (the names aws.events.* are reserved)")
        try:
            parse_path(path)
        except InvalidPathError as e:
            return f"InputPathsMap value for {key!r}: {e}"
    if is_json_template(template):
        probe = render_template(template, dict.fromkeys([*paths_map, *PREDEFINED], _PROBE))

        def no_placeholder_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            if any(_PROBE in k for k, _ in pairs):
                raise _PlaceholderKey
            return dict(pairs)

        try:
            json.loads(probe, object_pairs_hook=no_placeholder_keys)
        except _PlaceholderKey:
            return "InputTemplate is not valid: a placeholder cannot be used as an object key"
        except ValueError as e:
            return f"InputTemplate is not valid JSON once its placeholders are filled: {e}"
    return None


_PROBE = "__streamharness_placeholder__"


class _PlaceholderKey(Exception):
    pass


def render_template(template: str, variables: Mapping[str, Any], defined: frozenset[str] | None = None) -> str:
    """Fill ``<name>`` placeholders. ``variables`` holds the variables that exist; ``defined``
    (default: the keys of ``variables``) the names declared, so a declared variable whose path
    matched nothing renders empty/``null`` while an undeclared ``<name>`` is left as text."""
    declared = defined if defined is not None else frozenset(variables)
    if not is_json_template(template):
        def text_sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in variables:
                value = variables[name]
                return value if isinstance(value, str) else _compact(value)
            return "" if name in declared else m.group(0)
        return PLACEHOLDER.sub(text_sub, template)

    out: list[str] = []
    in_string = False
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c == '"':
            backslashes = 0
            j = i - 1
            while j >= 0 and template[j] == "\\":
                backslashes += 1
                j -= 1
            if backslashes % 2 == 0:
                in_string = not in_string
            out.append(c)
            i += 1
            continue
        if c == "<":
            m = PLACEHOLDER.match(template, i)
            if m is not None:
                name = m.group(1)
                if name in variables:
                    value = variables[name]
                    if in_string:
                        out.append(value if isinstance(value, str) else _compact(value))
                    else:
                        out.append(_compact(value))
                elif name in declared:
                    out.append("" if in_string else "null")
                else:
                    out.append(m.group(0))
                i = m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def iso_millis(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class TargetInput:
    """What to send: ``text`` exactly as EventBridge would send it."""

    text: str

    def as_lambda_payload(self) -> Any:
        """A Lambda target's event: the text parsed as JSON (a text template stays a string)."""
        try:
            return json.loads(self.text)
        except ValueError:
            return self.text


def transform_input(event: Mapping[str, Any], *, input: str | None = None, input_path: str | None = None,
                    input_paths_map: Mapping[str, str] | None = None, input_template: str | None = None,
                    rule_arn: str = "", rule_name: str = "", ingestion_time: float = 0.0,
                    event_text: str | None = None) -> TargetInput:
    """Apply a target's input settings to a (delivered-envelope) event. ``event_text``, when given,
    is the event already serialised compactly (saves a dump per target)."""
    if input is not None:
        return TargetInput(input)
    if input_path is not None:
        found, value = select(event, input_path)
        return TargetInput(_compact(value) if found else "null")
    if input_template is not None:
        variables: dict[str, Any] = {}
        paths = dict(input_paths_map or {})
        for name, path in paths.items():
            found, value = select(event, path)
            if found:
                variables[name] = value
        variables[RULE_ARN] = rule_arn
        variables[RULE_NAME] = rule_name
        variables[INGESTION_TIME] = iso_millis(ingestion_time)
        if "<aws.events.event" in input_template:
            variables[EVENT] = {k: v for k, v in event.items() if k != "detail"}
            variables[EVENT_JSON] = dict(event)
        text = render_template(input_template, variables, frozenset(paths) | frozenset(PREDEFINED))
        if is_json_template(input_template):
            try:
                text = _compact(json.loads(text))
            except ValueError:
                pass
        return TargetInput(text)
    return TargetInput(event_text if event_text is not None else _compact(event))


__all__ = ["InvalidPathError", "PREDEFINED", "TargetInput", "is_json_template", "parse_path", "render_template",
           "select", "transform_input", "validate_input_transformer"]
