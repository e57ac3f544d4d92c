"""AWS's query protocol (form-encoded ``Action=...`` requests, XML responses), driven by botocore's
own service model: the operation's input shape says how ``Attributes.entry.1.key`` or
``PublishBatchRequestEntries.member.1.Id`` nest, its output shape how to write the XML. So a
service served over the query protocol (SNS) needs only its operations, not its serialisation.
"""
from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import botocore.session


@lru_cache(maxsize=None)
def service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def parse_form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _tree(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        node = root
        *path, last = key.split(".")
        for part in path:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[last] = value
    return root


def _indexed(node: Any) -> list[Any]:
    if not isinstance(node, dict):
        return []
    return [node[k] for k in sorted((k for k in node if k.isdigit()), key=int)]


def _convert(node: Any, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(node, dict):
            return None
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in node:
                out[name] = _convert(node[key], member)
        return out
    flattened = shape.serialization.get("flattened")
    if kind == "list":
        items = node if flattened else (node.get(shape.member.serialization.get("name", "member")) if isinstance(
            node, dict) else None)
        return [_convert(i, shape.member) for i in _indexed(items)]
    if kind == "map":
        entries = node if flattened else (node.get("entry") if isinstance(node, dict) else None)
        k_name, v_name = shape.key.serialization.get("name", "key"), shape.value.serialization.get("name", "value")
        return {_convert(e.get(k_name), shape.key): _convert(e.get(v_name), shape.value)
                for e in _indexed(entries) if isinstance(e, dict)}
    if not isinstance(node, str):
        return None
    if kind in ("integer", "long"):
        return int(node)
    if kind == "boolean":
        return node.lower() == "true"
    if kind == "blob":
        return base64.b64decode(node)
    return node


def parse_params(service: str, action: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The operation's parameters, as boto3 would have passed them."""
    shape = service_model(service).operation_model(action).input_shape
    if shape is None:
        return {}
    return _convert(_tree((k, v) for k, v in form.items() if k not in ("Action", "Version")), shape) or {}


def _xml(value: Any, shape: Any, tag: str) -> str:
    kind = shape.type_name
    if kind == "structure":
        inner = "".join(_xml(value[name], member, member.serialization.get("name", name))
                        for name, member in shape.members.items() if value.get(name) is not None)
    elif kind == "list":
        member_tag = shape.member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            return "".join(_xml(v, shape.member, tag) for v in value)
        inner = "".join(_xml(v, shape.member, member_tag) for v in value)
    elif kind == "map":
        k_name, v_name = shape.key.serialization.get("name", "key"), shape.value.serialization.get("name", "value")
        inner = "".join(f"<entry>{_xml(k, shape.key, k_name)}{_xml(v, shape.value, v_name)}</entry>"
                        for k, v in value.items())
    elif kind == "boolean":
        inner = "true" if value else "false"
    elif kind == "blob":
        inner = base64.b64encode(value).decode()
    else:
        inner = escape(str(value), {'"': "&quot;", "\r": "&#xD;"})
    return f"<{tag}>{inner}</{tag}>"


def render(service: str, action: str, result: Mapping[str, Any], request_id: str) -> bytes:
    """``<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>...``, as AWS writes it."""
    model = service_model(service)
    op = model.operation_model(action)
    xmlns = model.metadata.get("xmlNamespace", "")
    body = ""
    if op.output_shape is not None:
        wrapper = op.output_shape.serialization.get("resultWrapper", f"{action}Result")
        body = _xml(result, op.output_shape, wrapper)
    return (f'<{action}Response xmlns="{xmlns}">{body}<ResponseMetadata><RequestId>{request_id}</RequestId>'
            f"</ResponseMetadata></{action}Response>").encode()


def render_error(service: str, code: str, message: str, sender_fault: bool, request_id: str) -> bytes:
    xmlns = service_model(service).metadata.get("xmlNamespace", "")
    return (f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{"Sender" if sender_fault else "Receiver"}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()


__all__ = ["parse_form", "parse_params", "render", "render_error", "service_model"]
