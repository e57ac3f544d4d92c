"""A topology from a SAM / CloudFormation template (YAML or JSON, ``cdk synth`` output included).

Names: a table, queue, function, bus, rule or topic is named by its literal ``TableName``,
``QueueName``, ``FunctionName``, ``Name`` or ``TopicName`` (a plain string in the template), else by
its logical id (a FIFO queue's logical id gets ``.fifo``). Whatever the harness does not run is
returned as one line per resource, and :meth:`Topology.from_template` emits them as one
:class:`TemplateWarning`; a reference to nothing or a bad ``Fn::GetAtt`` raises ``ValidationException``
naming the file and the path in it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.topology.errors import ValidationException
from harness.topology.events import Topic
from harness.topology.template import functions, resources
from harness.topology.template.build import Build
from harness.topology.template.intrinsics import SUB_VAR, PSEUDO_DEFAULTS, REFERENCES, Resolver
from harness.topology.template.yaml_tags import parse_yaml
from harness.topology.topology import Topology


class TemplateWarning(UserWarning):
    """What a template declares that the harness does not run (one warning per template)."""


Converter = Callable[[Build, str, str, Mapping[str, Any], str], None]
#: Converters, in the order they run: functions first, so mappings and targets know which were left out.
_CONVERTERS: dict[str, Converter] = {
    "AWS::DynamoDB::Table": resources.table,
    "AWS::SQS::Queue": resources.queue,
    "AWS::SNS::Topic": resources.topic,
    "AWS::Events::EventBus": resources.event_bus,
    "AWS::Serverless::Function": functions.sam_function,
    "AWS::Lambda::Function": lambda b, logical, name, props, where: functions.lambda_function(
        b, logical, name, props, where, b.resolver.resources[logical].get("Metadata") or {}),
    "AWS::Lambda::EventSourceMapping": functions.esm,
    "AWS::Lambda::EventInvokeConfig": functions.lambda_event_invoke_config,
    "AWS::Events::Rule": resources.rule,
    "AWS::SNS::Subscription": resources.subscription,
}
_ORDER = {kind: i for i, kind in enumerate(_CONVERTERS)}
#: Resource types with no effect on a local run (permissions, logs, CDK's bookkeeping): not warned about.
NO_LOCAL_EFFECT = frozenset({
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::Lambda::Permission",
    "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::Events::EventBusPolicy", "AWS::Logs::LogGroup",
    "AWS::CDK::Metadata"})
_NAME_PROPERTY = {"AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName",
                  "AWS::Events::EventBus": "Name", "AWS::Events::Rule": "Name",
                  "AWS::Lambda::Function": "FunctionName", "AWS::Serverless::Function": "FunctionName"}
_TRANSFORMS = {"AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"}


def load_template(path: str | Path, parameters: Mapping[str, Any] | None = None) -> tuple[Topology, list[str]]:
    """The topology a template describes, and one line per resource for what is left out.

    ``parameters`` gives template parameters by name (else their Default) and may override the pseudo
    parameters (``AWS::Region`` us-east-1, ``AWS::AccountId`` 123456789012, ``AWS::StackName`` the
    file's stem, ``AWS::Partition`` aws).
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise ValidationException(f"cannot read template {p}: {e.strerror}") from None
    try:
        data = json.loads(text) if p.suffix == ".json" else parse_yaml(text)
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        raise ValidationException(f"{p}: not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {e}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("Resources"), Mapping):
        raise ValidationException(f"{p}: not a CloudFormation template (no Resources section)")
    resolver = _resolver(p, data, dict(parameters or {}))
    _check_references(resolver, {k: data.get(k) for k in ("Resources", "Outputs", "Conditions")})
    b = Build(resolver, os.path.dirname(os.path.abspath(p)))
    _preamble(b, data)
    active = {}
    for logical, res in data["Resources"].items():
        if "Condition" in res and not resolver.condition(res["Condition"], f"Resources.{logical}.Condition"):
            resolver.inactive.add(logical)
        else:
            active[logical] = res
    resolver.names.update({logical: _name(resolver, logical, res) for logical, res in active.items()})
    sam_defaults = ((data.get("Globals") or {}).get("Function") or {})
    for logical, res in sorted(active.items(), key=lambda kv: _ORDER.get(kv[1].get("Type"), len(_ORDER))):
        kind = res.get("Type")
        convert = _CONVERTERS.get(kind)
        if convert is None:
            if kind not in NO_LOCAL_EFFECT:
                b.note(logical, "resource type not supported")
            continue
        props = res.get("Properties") or {}
        if kind == "AWS::Serverless::Function":
            props = functions.merge_globals(sam_defaults, props)
        try:
            convert(b, logical, resolver.names[logical], props, f"Resources.{logical}.Properties")
        except ValidationException as e:
            if str(e).startswith(str(p)):
                raise
            raise ValidationException(f"{p}: Resources.{logical} ({kind}): {e}", parameter=e.parameter) from None
        except KeyError as e:
            raise ValidationException(f"{p}: Resources.{logical} ({kind}): required property {e} is missing") from None
        except (TypeError, AttributeError) as e:  # a list where a mapping belongs, and the like
            raise ValidationException(f"{p}: Resources.{logical} ({kind}): malformed properties: {e}") from None
    _check_modules(b)
    try:
        topology = Topology(
            name=p.stem, description=str(data.get("Description") or ""), tables=b.tables, functions=b.functions,
            event_source_mappings=b.mappings, queues=b.queues, event_buses=b.buses, rules=b.rules,
            topics=[Topic(name, tuple(subs)) for name, subs in b.topics.items()],
            handlers_path=tuple(dict.fromkeys(b.handler_dirs.values())))
    except ValidationException as e:
        raise ValidationException(f"{p}: {e}", parameter=e.parameter) from None
    return topology, _lines(b, data["Resources"])


def format_warning(path: str | Path, lines: list[str]) -> str:
    return f"{path}: left out, the harness does not run it:\n" + "\n".join(f"  - {line}" for line in lines)


def _resolver(p: Path, data: Mapping[str, Any], given: dict[str, Any]) -> Resolver:
    pseudo = {**PSEUDO_DEFAULTS, "AWS::StackName": p.stem}
    pseudo.update({k: v for k, v in given.items() if k.startswith("AWS::")})
    pseudo["AWS::StackId"] = (f"arn:{pseudo['AWS::Partition']}:cloudformation:{pseudo['AWS::Region']}:"
                              f"{pseudo['AWS::AccountId']}:stack/{pseudo['AWS::StackName']}/local")
    declared = data.get("Parameters") or {}
    unknown = sorted(k for k in given if not k.startswith("AWS::") and k not in declared)
    if unknown:
        raise ValidationException(f"{p}: parameters {unknown} are not declared in the template "
                                  f"(declared: {sorted(declared)})")
    values = {}
    for name, spec in declared.items():
        if name not in given and "Default" not in spec:
            raise ValidationException(f"{p}: Parameters.{name} has no Default; give its value "
                                      f"(parameters={{{name!r}: ...}})")
        value = given.get(name, spec.get("Default"))
        allowed = spec.get("AllowedValues")
        if allowed and str(value) not in {str(a) for a in allowed}:
            raise ValidationException(f"{p}: Parameters.{name}: {value!r} is not one of AllowedValues {allowed}")
        kind = str(spec.get("Type", "String"))
        if kind == "Number":
            value = float(value) if "." in str(value) else int(value)
        elif kind == "CommaDelimitedList" or kind.startswith("List<"):
            value = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
        values[name] = value
    return Resolver(str(p), data["Resources"], values, pseudo, conditions=data.get("Conditions") or {},
                    mappings=data.get("Mappings") or {})


def _check_references(resolver: Resolver, node: Any, where: str = "") -> None:
    """Every Ref, Fn::GetAtt and Fn::Sub variable names something, wherever it is (as CloudFormation checks)."""
    if isinstance(node, list):
        for i, v in enumerate(node):
            _check_references(resolver, v, f"{where}[{i}]")
    elif isinstance(node, Mapping):
        if len(node) == 1 and "Ref" in node and isinstance(node["Ref"], str):
            resolver.ref(node["Ref"], where)
        elif len(node) == 1 and "Fn::GetAtt" in node:
            arg = node["Fn::GetAtt"]
            logical, _, attr = arg.partition(".") if isinstance(arg, str) else (arg[0], None, arg[1])
            if isinstance(attr, str):
                resolver.get_att(logical, attr, where)
        elif len(node) == 1 and "Fn::Sub" in node:
            _check_sub(resolver, node["Fn::Sub"], where)
        for k, v in node.items():
            _check_references(resolver, v, f"{where}.{k}" if where else str(k))


def _check_sub(resolver: Resolver, arg: Any, where: str) -> None:
    template, variables = (arg + [{}])[:2] if isinstance(arg, list) else (arg, {})
    for name in SUB_VAR.findall(template if isinstance(template, str) else ""):
        if name.startswith("!") or name in (variables or {}):
            continue
        if "." in name and name.split(".", 1)[0] in resolver.resources:
            resolver.get_att(*name.split(".", 1), where)
        else:
            resolver.ref(name, where)


def _preamble(b: Build, data: Mapping[str, Any]) -> None:
    transforms = data.get("Transform") or []
    for t in [transforms] if isinstance(transforms, str) else transforms:
        if t not in _TRANSFORMS:
            b.note("Transform", f"{t}: not supported")
    for section in data.get("Globals") or {}:
        if section != "Function":
            b.note("Globals", f"{section}: only Globals.Function is applied")


def _name(resolver: Resolver, logical: str, res: Mapping[str, Any]) -> str:
    kind = res.get("Type", "")
    literal = (res.get("Properties") or {}).get(_NAME_PROPERTY.get(kind, ""))
    if isinstance(literal, str):
        return literal
    if kind == "AWS::SQS::Queue" and resources.queue_is_fifo(
            resolver, res.get("Properties") or {}, f"Resources.{logical}.Properties"):
        return f"{logical}.fifo"
    return logical


def _check_modules(b: Build) -> None:
    """Handlers import by module name: two code directories with the same module would run one of them."""
    seen: dict[str, tuple[str, str]] = {}
    for f in b.functions:
        module = f.handler.partition(":")[0]
        directory = b.handler_dirs.get(f.name)
        first = seen.setdefault(module, (f.name, directory or ""))
        if directory and first[1] and first[1] != directory:
            b.note(b.function_ids[f.name], f"Handler: module {module!r} is also the handler module of {first[0]} "
                                           f"in another code directory; one module per name is imported, so "
                                           f"both run {first[0]}'s")


def _lines(b: Build, declared: Mapping[str, Any]) -> list[str]:
    for where, message in b.resolver.notes:  # Resources.X.Properties.Y -> X: Y: message
        section, owner, *rest = where.split(".", 2) + [""]
        if section == "Resources":
            b.note(owner, f"{rest[0].removeprefix('Properties.')}: {message}")
        else:
            b.note(section, f"{where}: {message}")
    owners = list(dict.fromkeys([o for o, _ in b.notes] + list(b.unsupported)))
    lines = []
    for owner in sorted(owners, key=lambda o: (o not in ("Transform", "Globals"), list(declared).index(o)
                                               if o in declared else -1)):
        kind = (declared.get(owner) or {}).get("Type")
        parts = [f"properties not supported: {', '.join(b.unsupported[owner])}"] if owner in b.unsupported else []
        parts += [m for o, m in b.notes if o == owner]
        lines.append(f"{owner}{f' ({kind})' if kind else ''}: {'; '.join(parts)}")
    return lines


__all__ = ["NO_LOCAL_EFFECT", "REFERENCES", "TemplateWarning", "format_warning", "load_template"]
