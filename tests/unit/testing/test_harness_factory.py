"""Topology sources for the harness fixture, and the plugin's names for workers and trace files."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness import Topology
from harness.testing import load_topology
from harness.testing.factory import HarnessFactory, template_marker
from harness.testing.plugin import trace_file_name, worker_id

TOPOLOGY = """
name: t
tables: [{name: items, hash_key: id}]
functions: [{name: fn, handler: "h:fn"}]
event_source_mappings: [{function: fn, source: items}]
"""
SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: h.fn
      Events:
        Stream: {Type: DynamoDB, Properties: {Stream: !GetAtt Items.StreamArn, StartingPosition: TRIM_HORIZON}}
      Environment: {Variables: {TABLE: !Ref Items}}
"""


def test_our_yaml_relative_to_the_test_folder(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yml").write_text(TOPOLOGY)
    topology = load_topology("pipeline.yml", base_dir=tmp_path)
    assert isinstance(topology, Topology) and topology.name == "t"
    assert load_topology(tmp_path / "pipeline.yml").name == "t"


def test_a_missing_file_or_a_foreign_suffix_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"topology file not found: {tmp_path}/nope.yaml "
                                                f"\\(relative paths are taken from {tmp_path}\\)"):
        load_topology("nope.yaml", base_dir=tmp_path)
    (tmp_path / "t.toml").write_text("")
    with pytest.raises(ValueError, match=r"t.toml: a topology is a .yaml, .yml or .json file"):
        load_topology(tmp_path / "t.toml")


def test_templates_are_told_apart_by_their_top_level_keys(tmp_path: Path) -> None:
    (tmp_path / "sam.yaml").write_text(SAM)  # short tags (!GetAtt, !Ref) must not break the look
    (tmp_path / "cfn.json").write_text(json.dumps({"Resources": {}}))
    (tmp_path / "ours.json").write_text(json.dumps({"name": "t"}))
    assert template_marker(tmp_path / "sam.yaml") == "AWSTemplateFormatVersion"
    assert template_marker(tmp_path / "cfn.json") == "Resources"
    assert template_marker(tmp_path / "ours.json") is None


def test_a_template_goes_to_topology_from_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "template.yaml").write_text(SAM)
    seen: list[Path] = []
    monkeypatch.setattr(Topology, "from_template", classmethod(lambda cls, p: seen.append(p) or "loaded"),
                        raising=False)
    assert load_topology("template.yaml", base_dir=tmp_path) == "loaded"
    assert seen == [tmp_path / "template.yaml"]


def test_a_template_without_a_template_loader_is_a_clear_error(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "template.yaml").write_text(SAM)
    monkeypatch.delattr(Topology, "from_template", raising=False)
    with pytest.raises(ValueError, match="template.yaml is a SAM/CloudFormation template "
                                         r"\(it has AWSTemplateFormatVersion\), but this streamharness has no"):
        load_topology(tmp_path / "template.yaml")


def test_a_call_without_a_topology_says_how_to_give_one() -> None:
    factory = HarnessFactory(backend=None, prefix="main-")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"mark the test with @pytest.mark.harness_topology\(topology_or_path\)"):
        factory()


def test_trace_file_names_are_safe_and_distinct() -> None:
    assert trace_file_name("tests/test_x.py::test_y[a/b c]") == "tests_test_x.py_test_y_a_b_c.jsonl"
    assert trace_file_name("tests/test_x.py::test_y", 1) == "tests_test_x.py_test_y-2.jsonl"
    a, b = (trace_file_name("t.py::test_" + "x" * 200 + s) for s in ("[1]", "[2]"))
    assert a != b and len(a) <= 126 and a.endswith(".jsonl")


def test_worker_id_is_xdist_s_or_main() -> None:
    assert worker_id(SimpleNamespace(workerinput={"workerid": "gw3"})) == "gw3"  # type: ignore[arg-type]
    assert worker_id(SimpleNamespace()) == "main"  # type: ignore[arg-type]
