"""The schema and the views oracles read through: one declaration per field, checked at every emit site."""
from __future__ import annotations

import ast
import json
from pathlib import Path
from types import MappingProxyType

import pytest

import harness
from harness.trace import (
    KINDS,
    ApiCallEvent,
    BusEvent,
    InvokeEvent,
    LogEvent,
    RecordEvent,
    ResultEvent,
    Trace,
    TraceView,
    field,
    view,
)
from trace_events import emit, fields


def test_record_event_gives_deserialised_keys_and_names_its_fields() -> None:
    t = Trace()
    e = t.emit("record", mapping="detector", function="fn", shard="shard-1", sequence_number="100",
               event_name="INSERT", keys={"ip": {"S": "10.0.0.1"}, "n": {"N": "42"}, "f": {"N": "1.5"},
                                          "b": {"B": "AP8="}}, size_bytes=120)
    [v] = t.views(RecordEvent, mapping="detector")
    assert (v.mapping, v.function, v.shard, v.sequence_number, v.event_name, v.size_bytes) == (
        "detector", "fn", "shard-1", "100", "INSERT", 120)
    assert v.keys == {"ip": "10.0.0.1", "n": 42, "f": 1.5, "b": b"\x00\xff"}
    assert v.raw_keys == e["keys"] and v.n == 0 and v.t == e["t"]
    assert "RecordEvent(n=0, mapping='detector'" in repr(v)


def test_invoke_event_records_and_a_missing_payload_is_an_error_not_an_empty_batch() -> None:
    t = Trace()
    emit(t, "invoke", function="fn", mapping="m", event={"Records": [{"eventID": "e1"}, {"eventID": "e2"}]})
    emit(t, "invoke", function="fn", mapping="m")  # trace_payloads off
    emit(t, "invoke", function="fn", source="eventbridge", event={"detail": {}})
    with_payload, without, eventbridge = t.views(InvokeEvent, function="fn")
    assert with_payload.records == [{"eventID": "e1"}, {"eventID": "e2"}] and with_payload.event_ids == ["e1", "e2"]
    with pytest.raises(LookupError, match="invoke event n=1 of fn carries no payload"):
        _ = without.records
    assert eventbridge.records == [] and eventbridge.source == "eventbridge" and eventbridge.mapping is None


def test_log_event_json_and_api_call_items() -> None:
    t = Trace()
    emit(t, "log", function="fn", message=json.dumps({"event": "ip_checked", "ip": "1.2.3.4"}))
    emit(t, "log", function="fn", message="plain text")
    emit(t, "log", function="fn", message="[1, 2]")
    assert [v.json for v in t.views(LogEvent)] == [{"event": "ip_checked", "ip": "1.2.3.4"}, None, None]
    emit(t, "api_call", function="fn", operation="Scan", items_read=29, items_scanned=962)
    [call] = t.views(ApiCallEvent, operation="Scan")
    assert (call.items_read, call.items_scanned, call.items_written, call.error) == (29, 962, None, None)


def test_views_read_events_read_back_from_json_lines(tmp_path: Path) -> None:
    t = Trace()
    emit(t, "bus_event", detail={"order_id": "o-1"}, matched_rules=["invoice"])
    emit(t, "result", response={"ok": True}, cold_start=True)
    t.write_jsonl(tmp_path / "t.jsonl")
    back = Trace.read_jsonl(tmp_path / "t.jsonl")
    [bus] = back.views(BusEvent)
    assert bus.detail == {"order_id": "o-1"} and bus.matched_rules == ["invoice"]
    [result] = back.views(ResultEvent)
    assert result.response == {"ok": True} and result.cold_start is True


def test_views_are_read_only_and_of_one_kind() -> None:
    t = Trace()
    e = emit(t, "record", extra="undeclared")
    v = view(e)
    assert isinstance(v, RecordEvent) and v["extra"] == "undeclared" and v.get("missing", 0) == 0
    with pytest.raises(AttributeError, match="RecordEvent is read-only"):
        v.mapping = "other"  # type: ignore[misc]
    assert isinstance(v.raw, MappingProxyType)
    with pytest.raises(TypeError):
        v.raw["mapping"] = "other"  # type: ignore[index]
    with pytest.raises(ValueError, match="InvokeEvent views 'invoke' events, not 'record'"):
        InvokeEvent(e)
    with pytest.raises(ValueError, match="unknown trace event kind 'nope'"):
        view({"kind": "nope", "n": 3})
    assert view(e) == v and len({v, view(e)}) == 1


def test_a_kind_is_declared_once() -> None:
    with pytest.raises(ValueError, match="trace kind 'record' is declared twice"):
        type("Again", (TraceView,), {"x": field("x")}, kind="record")


def test_every_kind_has_a_view_and_every_field_a_doc() -> None:
    for kind, cls in KINDS.items():
        assert cls.kind == kind and cls.__doc__, cls
        assert cls.required, f"{kind}: no required field"
        for name, f in cls.fields.items():
            assert f.doc and f.wire == name, (kind, name)
        assert fields(kind).keys() == cls.required


def _emit_sites() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, kind, literal keyword names) of every ``*.emit("kind", ...)`` call in the package."""
    root = Path(harness.__file__).parent
    sites = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                names = [k.arg for k in node.keywords if k.arg is not None]
                sites.append((str(path.relative_to(root.parent)), node.lineno, node.args[0].value, names))
    return sites


def test_every_emit_site_uses_a_declared_kind_and_declared_fields() -> None:
    """The schema documents what the runtime emits: a new field or kind is declared in kinds.py."""
    sites = _emit_sites()
    assert len(sites) >= 20  # the walk found the emit sites (they were 35 before one invocation path)
    problems = []
    for path, line, kind, names in sites:
        cls = KINDS.get(kind)
        if cls is None:
            problems.append(f"{path}:{line}: kind {kind!r} is not declared")
            continue
        undeclared = [n for n in names if n not in cls.fields]
        if undeclared:
            problems.append(f"{path}:{line}: {kind} field(s) {undeclared} not declared in {cls.__name__}")
    assert not problems, "declare them in harness/trace/kinds.py:\n" + "\n".join(problems)


def test_the_readme_lists_every_kind() -> None:
    readme = (Path(harness.__file__).parent.parent / "README.md").read_text()
    section = readme[readme.index("## The trace"):readme.index("## Scenario: IP dedup")]
    assert [k for k in KINDS if f"`{k}`" not in section] == []
