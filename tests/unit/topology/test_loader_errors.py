"""Errors a user can act on: the file, the place in it, and what was probably meant."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.topology import Topology, ValidationException


def test_a_bad_value_names_the_file_and_the_place(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text("name: t\ntables:\n  - name: items\n    hash_key: id:X\n")
    with pytest.raises(ValidationException, match=rf"^{f}: tables\[0\] \(items\): .*Value 'X' at 'attributeType'"):
        Topology.from_file(f)


def test_an_unknown_reference_lists_what_exists_with_a_close_match(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text("name: t\nevent_buses: [users]\nfunctions:\n  - {name: fn, handler: 'm:h', env: {BUS: '${bus:user}'}}\n")
    with pytest.raises(ValidationException, match=r"refers to bus 'user'.*\(buses: default, users\); did you mean 'users'"):
        Topology.from_file(f)


def test_files_that_are_not_utf8_or_nest_too_deeply_are_clear_errors(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValidationException, match="not UTF-8 text"):
        Topology.from_file(latin)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ValidationException, match="nested too deeply|not valid JSON"):
        Topology.from_file(deep)
