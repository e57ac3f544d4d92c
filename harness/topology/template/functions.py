"""Lambda and SAM functions, event source mappings and SAM's function events -> the topology's specs.

A Python handler ``app.handler`` becomes ``app:handler``; its code directory (SAM's ``CodeUri``, or
the ``aws:asset:path`` metadata ``cdk synth`` writes) is relative to the template and returned
with the function, for the harness to put on ``sys.path``.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from harness.topology.specs import DESTINATION_KINDS, EventInvokeConfig, EventSourceMapping, FilterCriteria, Function, Queue
from harness.topology.template.build import Build, get_bool, get_int, present
from harness.topology.template.intrinsics import TOKEN, TOPOLOGY_KINDS, parse_ref
from harness.topology.template.resources import add_rule, rule_target

_NO_EFFECT = (
    "Role", "Policies", "Architectures", "Description", "Tracing", "TracingConfig", "Tags", "PermissionsBoundary",
    "AssumeRolePolicyDocument", "VpcConfig", "KmsKeyArn", "LoggingConfig", "EphemeralStorage", "AutoPublishAlias",
    "AutoPublishCodeSha256", "AutoPublishAliasAllProperties", "DeploymentPreference", "RolePath", "PropagateTags",
    "FunctionUrlConfig", "CodeSigningConfigArn", "RuntimeManagementConfig", "SnapStart", "VersionDescription",
    "ProvisionedConcurrencyConfig")
_COMMON = ("FunctionName", "Handler", "Runtime", "Environment", "Timeout", "MemorySize", "PackageType")
_MAPPING = {
    "BatchSize": "batch_size", "MaximumBatchingWindowInSeconds": "maximum_batching_window_in_seconds",
    "ParallelizationFactor": "parallelization_factor", "MaximumRetryAttempts": "maximum_retry_attempts",
    "MaximumRecordAgeInSeconds": "maximum_record_age_in_seconds",
    "TumblingWindowInSeconds": "tumbling_window_in_seconds",
}


def lambda_function(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str,
                    metadata: Mapping[str, Any]) -> None:
    b.properties(logical, props, (*_COMMON, "Code", "DeadLetterConfig"), _NO_EFFECT)
    code = b.resolve(props.get("Code") or {}, f"{where}.Code")
    if "ZipFile" in code or "ImageUri" in code:
        kind = "ZipFile" if "ZipFile" in code else "ImageUri"
        b.note(logical, f"Code.{kind}: only code in a directory is run; function left out")
        b.skipped_functions.add(name)
        return
    asset = metadata.get("aws:asset:path")
    if not isinstance(asset, str):
        b.note(logical, "Code: no local directory (no aws:asset:path metadata); the handler is imported from "
                        "--handlers or the current directory")
    _function(b, logical, name, props, where, os.path.join(b.template_dir, asset) if isinstance(asset, str) else None)


def sam_function(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    b.properties(logical, props, (*_COMMON, "CodeUri", "Events", "InlineCode", "DeadLetterQueue", "EventInvokeConfig"),
                 _NO_EFFECT)
    if present(props, "InlineCode") or isinstance(props.get("CodeUri"), Mapping):
        what = "InlineCode" if present(props, "InlineCode") else "CodeUri (an S3 location)"
        b.note(logical, f"{what}: only code in a local directory is run; function left out")
        b.skipped_functions.add(name)
        return
    code_uri = b.resolve(props.get("CodeUri", "."), f"{where}.CodeUri")
    if not _function(b, logical, name, props, where, os.path.join(b.template_dir, str(code_uri))):
        return
    for event_id, event in (props.get("Events") or {}).items():
        at = f"{where}.Events.{event_id}"
        kind = event.get("Type")
        p = event.get("Properties") or {}
        if kind == "DynamoDB":
            mapping(b, logical, name, p.get("Stream"), p, at, f"{logical}{event_id}", f"Events.{event_id}.")
        elif kind == "EventBridgeRule":
            _eventbridge_event(b, logical, name, event_id, p, at)
        elif kind == "SQS":
            b.note(logical, f"Events.{event_id} (SQS): the runtime has no SQS event source; event left out")
        else:
            b.note(logical, f"Events.{event_id} ({kind}): event type not supported; event left out")


def _function(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str, code_dir: str | None) -> bool:
    p = b.resolve({k: props[k] for k in _COMMON if k in props}, where)
    runtime = str(p.get("Runtime", "python"))
    if p.get("PackageType", "Zip") != "Zip" or not runtime.startswith("python"):
        what = f"PackageType {p['PackageType']}" if p.get("PackageType", "Zip") != "Zip" else f"Runtime {runtime}"
        b.note(logical, f"{what}: only Python functions are run; function left out")
        b.skipped_functions.add(name)
        return False
    handler = str(p.get("Handler", ""))
    module, _, attr = handler.replace("/", ".").rpartition(".")
    if not module:
        raise b.error(f"{where}.Handler", f"handler {handler!r} must be 'module.function'")
    env = {}
    for key, value in ((p.get("Environment") or {}).get("Variables") or {}).items():
        text = _env_value(b, logical, key, b.resolver.text(value, f"{where}.Environment.Variables.{key}"))
        if text is not None:
            env[key] = text
    kwargs = {k: get_int(b, p[key], f"{where}.{key}")
              for key, k in (("Timeout", "timeout"), ("MemorySize", "memory_size")) if present(p, key)}
    dead_letter = next((key for key in ("DeadLetterConfig", "DeadLetterQueue") if present(props, key)), None)
    if dead_letter is not None:  # Lambda's DeadLetterConfig / SAM's DeadLetterQueue: {TargetArn}
        target = b.resolve(props[dead_letter], f"{where}.{dead_letter}").get("TargetArn")
        kwargs["dead_letter_queue"] = b.reference(logical, target, where, ("queue", "topic"),
                                                  f"{dead_letter}.TargetArn")
    if present(props, "EventInvokeConfig"):  # SAM's
        kwargs["event_invoke_config"] = event_invoke_config(b, logical, props["EventInvokeConfig"],
                                                            f"{where}.EventInvokeConfig", "EventInvokeConfig.")
    b.functions.append(Function(name, f"{module}:{attr}", env, **kwargs))
    b.function_ids[name] = logical
    if code_dir is not None:
        b.handler_dirs[name] = os.path.normpath(os.path.abspath(code_dir))
    return True


def event_invoke_config(b: Build, logical: str, props: Any, where: str, label: str) -> EventInvokeConfig:
    """Retries, event age and destinations (SAM's EventInvokeConfig, AWS::Lambda::EventInvokeConfig);
    a destination names a queue, topic, function or bus of this template."""
    p = b.resolve(props, where)
    kwargs: dict[str, Any] = {attr: get_int(b, p[key], f"{where}.{key}") for key, attr in (
        ("MaximumRetryAttempts", "maximum_retry_attempts"),
        ("MaximumEventAgeInSeconds", "maximum_event_age_in_seconds")) if present(p, key)}
    for outcome, attr in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
        destination = (p.get("DestinationConfig") or {}).get(outcome) or {}
        if not destination:
            continue
        if not present(destination, "Destination"):  # SAM creates the queue or topic for a bare Type
            b.note(logical, f"{label}DestinationConfig.{outcome}: no Destination (a resource SAM would create); "
                            f"left out")
            continue
        kwargs[attr] = b.reference(logical, destination["Destination"], where, DESTINATION_KINDS,
                                   f"{label}DestinationConfig.{outcome}.Destination")
    return EventInvokeConfig(**kwargs)


def lambda_event_invoke_config(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    """An AWS::Lambda::EventInvokeConfig resource: set on its function (declared anywhere in the template)."""
    b.properties(logical, props, ("FunctionName", "Qualifier", "MaximumRetryAttempts", "MaximumEventAgeInSeconds",
                                  "DestinationConfig"), ())
    value = b.resolve(props.get("FunctionName"), f"{where}.FunctionName")
    if isinstance(value, str) and value in {f.name for f in b.functions}:
        value = f"${{function:{value}}}"  # a literal name of a function of this template
    ref = b.reference(logical, value, where, ("function",), "FunctionName")
    if ref is None:
        return
    function = ref.partition(":")[2]
    config = event_invoke_config(b, logical, {k: v for k, v in props.items() if k not in ("FunctionName", "Qualifier")},
                                 where, "")
    b.functions = [dataclasses.replace(f, event_invoke_config=config) if f.name == function else f
                   for f in b.functions]


def _env_value(b: Build, logical: str, key: str, value: str) -> str | None:
    """Placeholders the topology knows stay; a function's name or ARN is written out; others are noted."""
    pseudo = b.resolver.pseudo

    def one(m: Any) -> str:
        kind, ref = m.group(1), m.group(2)
        if kind == "function-arn":
            return (f"arn:{pseudo['AWS::Partition']}:lambda:{pseudo['AWS::Region']}:{pseudo['AWS::AccountId']}"
                    f":function:{ref}")
        return ref if kind == "function" else m.group(0)
    value = TOKEN.sub(one, value)
    unknown = [b.describe(kind, ref) for kind, ref in TOKEN.findall(value) if kind not in TOPOLOGY_KINDS]
    if unknown:
        b.note(logical, f"Environment.Variables.{key}: a reference to {', '.join(unknown)} has no equivalent; "
                        f"variable left out")
        return None
    return value


def esm(b: Build, logical: str, name: str, props: Mapping[str, Any], where: str) -> None:
    """An AWS::Lambda::EventSourceMapping resource."""
    value = b.resolve(props.get("FunctionName"), f"{where}.FunctionName")
    if isinstance(value, str) and value in {f.name for f in b.functions}:
        value = f"${{function:{value}}}"  # a literal name of a function of this template
    ref = b.reference(logical, value, where, ("function",), "FunctionName")
    if ref is not None:
        mapping(b, logical, ref.partition(":")[2], props.get("EventSourceArn"), props, where, name, "")


def mapping(b: Build, logical: str, function: str, source: Any, props: Mapping[str, Any], where: str, name: str,
            label: str) -> None:
    """One DynamoDB stream -> function mapping, from an ESM resource or a SAM DynamoDB event."""
    b.properties(logical, props, (
        *_MAPPING, "FunctionName", "EventSourceArn", "Stream", "StartingPosition", "BisectBatchOnFunctionError",
        "FunctionResponseTypes", "FilterCriteria", "DestinationConfig", "Enabled"),
        ("KmsKeyArn", "MetricsConfig", "Tags"), prefix=label)
    source = b.resolve(source, f"{where}.EventSourceArn")
    kind = (parse_ref(source) or ("", ""))[0]
    if kind == "queue-arn":
        b.note(logical, f"{label}EventSource: an SQS queue; the runtime has no SQS event source; mapping left out")
        return
    table = b.reference(logical, source, where, ("table",), f"{label}EventSource (a DynamoDB stream)")
    if table is None:
        return
    p = b.resolve({k: v for k, v in props.items() if k not in ("FunctionName", "EventSourceArn", "Stream")}, where)
    kwargs: dict[str, Any] = {attr: get_int(b, p[key], f"{where}.{key}") for key, attr in _MAPPING.items()
                              if present(p, key)}
    if present(p, "StartingPosition"):
        kwargs["starting_position"] = p["StartingPosition"]
    if present(p, "BisectBatchOnFunctionError"):
        kwargs["bisect_batch_on_function_error"] = get_bool(b, p["BisectBatchOnFunctionError"], where)
    if present(p, "Enabled"):
        kwargs["enabled"] = get_bool(b, p["Enabled"], f"{where}.Enabled")
    if present(p, "FunctionResponseTypes"):
        kwargs["function_response_types"] = tuple(p["FunctionResponseTypes"])
    if present(p, "FilterCriteria"):
        kwargs["filter_criteria"] = FilterCriteria.parse(p["FilterCriteria"])
    destination = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if destination is not None:
        kwargs["on_failure"] = b.reference(logical, destination, where, ("queue", "topic"),
                                           f"{label}DestinationConfig.OnFailure.Destination")
    b.mappings.append(EventSourceMapping(function, table.partition(":")[2], name=name, **kwargs))


def _eventbridge_event(b: Build, logical: str, function: str, event_id: str, p: Mapping[str, Any], where: str) -> None:
    label = f"Events.{event_id}."
    b.properties(logical, p, ("Pattern", "EventBusName", "Input", "InputPath", "InputTransformer", "RetryPolicy",
                              "DeadLetterConfig", "RuleName", "State", "Target"), (), prefix=label)
    raw: dict[str, Any] = {k: p[k] for k in ("Input", "InputPath", "InputTransformer", "RetryPolicy") if k in p}
    raw["Id"] = b.resolve((p.get("Target") or {}).get("Id", f"{logical}{event_id}LambdaTarget"), f"{where}.Target")
    dlc = b.resolve(p.get("DeadLetterConfig"), f"{where}.DeadLetterConfig") or {}
    if dlc.get("Type") == "SQS":  # SAM creates the queue
        queue = str(dlc.get("QueueLogicalId") or f"{logical}{event_id}Queue")
        b.queues.append(Queue(queue))
        raw["DeadLetterConfig"] = {"Arn": f"${{queue-arn:{queue}}}"}
    elif "Arn" in dlc:
        raw["DeadLetterConfig"] = {"Arn": dlc["Arn"]}
    target = rule_target(b, logical, raw, where, f"{label}Target", arn=f"function:{function}")
    name = p.get("RuleName")
    state = b.resolve(p.get("State", "ENABLED"), f"{where}.State")
    add_rule(b, logical, name if isinstance(name, str) else f"{logical}{event_id}", p.get("Pattern"),
             p.get("EventBusName"), state, [target] if target else [], where)


def merge_globals(defaults: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals: the resource's value wins; maps merge key by key, lists are concatenated."""
    out = dict(defaults)
    for key, value in props.items():
        base = out.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping) and not _intrinsic(value):
            out[key] = merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            out[key] = base + value
        else:
            out[key] = value
    return out


def _intrinsic(value: Mapping[str, Any]) -> bool:
    key = next(iter(value), "")
    return len(value) == 1 and (key == "Ref" or str(key).startswith("Fn::"))
