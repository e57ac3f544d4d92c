"""``harness test-event-pattern``: true/false and exit 0, like ``aws events test-event-pattern``; exit 2 when invalid."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from harness.cli import cli

EVENT = {"id": "1", "source": "shop", "detail-type": "Order Placed", "detail": {"total": 12, "state": "open"}}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["test-event-pattern", *args])
    return result.exit_code, result.output


def test_prints_true_or_false() -> None:
    assert run("--pattern", '{"source": ["shop"]}', "--event", json.dumps(EVENT)) == (0, "true\n")
    assert run("--pattern", '{"detail": {"total": [{"numeric": [">", 20]}]}}', "--event", json.dumps(EVENT)) == \
        (0, "false\n")


def test_reads_files_with_at(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"detail": {"state": [{"anything-but": "closed"}]}}')
    (tmp_path / "e.json").write_text(json.dumps(EVENT))
    assert run("--pattern", f"@{tmp_path / 'p.json'}", "--event", f"@{tmp_path / 'e.json'}") == (0, "true\n")


def test_an_invalid_pattern_or_event_exits_2_with_the_reason() -> None:
    code, out = run("--pattern", '{"source": "shop"}', "--event", "{}")
    assert code == 2 and "InvalidEventPatternException: Event pattern is not valid" in out
    code, out = run("--pattern", '{"source": [{"wildcard": "a**"}]}', "--event", "{}")
    assert code == 2 and "Event pattern is not valid" in out
    code, out = run("--pattern", '{"source": ["shop"]}', "--event", "[1, 2]")
    assert code == 2 and "an event is a JSON object" in out
    code, out = run("--pattern", "{nope", "--event", "{}")
    assert code == 2 and "not valid JSON" in out
    code, out = run("--pattern", '{"source": ["shop"]}', "--event", "@/no/such/file.json")
    assert code == 2 and "cannot read" in out
