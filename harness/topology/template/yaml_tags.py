"""CloudFormation's short YAML tags (``!Ref``, ``!GetAtt A.B``, ``!Sub``...) read as their long forms."""
from __future__ import annotations

from typing import Any

import yaml


class TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A SafeLoader (libyaml's when PyYAML has it) that turns ``!Ref X`` into ``{"Ref": "X"}``, ``!Sub s``
    into ``{"Fn::Sub": s}``, etc."""


def _plain(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value = _plain(loader, node)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        logical, _, attribute = value.partition(".")
        value = [logical, attribute]
    return {f"Fn::{suffix}": value}


TemplateLoader.add_multi_constructor("!", _tag)


def parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a safe loader
