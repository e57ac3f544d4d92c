"""``harness trace FILE`` on a written trace: the timeline, its filters, the summary, bad files."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sample_trace import TRACE

from harness.cli.main import cli


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in TRACE))
    return path


def test_timeline_filters_and_summary(tmp_path: Path) -> None:
    path, runner = _write(tmp_path), CliRunner()
    failed = runner.invoke(cli, ["trace", str(path), "--failed"])
    assert failed.exit_code == 0, failed.output
    assert "#4  INSERT  id=poison" in failed.output and "given up (RetryAttemptsExhausted)" in failed.output
    assert "3 of 4 records" in failed.output
    one = runner.invoke(cli, ["trace", str(path), "--key", "a"])
    assert "#1" in one.output and "#2" not in one.output and "1 of 4 records" in one.output
    summary = runner.invoke(cli, ["trace", str(path), "--summary"])
    assert "functions" in summary.output and "event source mappings" in summary.output and "sink" in summary.output


def test_a_file_that_is_not_a_trace_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "record"}\nnot json\n')
    done = CliRunner().invoke(cli, ["trace", str(bad)])
    assert done.exit_code == 2 and "line 2 is not JSON" in done.output
