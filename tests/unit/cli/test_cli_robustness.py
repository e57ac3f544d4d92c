"""Exit codes and bad input, without a backend: every failure is one ``Error:`` message and a distinct
code (harness.cli.exits), never a traceback; output paths are checked before a run, and a run's report
is printed before any file is written."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.backends.processes import BackendDied
from harness.cli import cli
from harness.deploy.ownership import ForeignResourceError
from harness.runtime.runtime import DrainTimeout, PipelineBroken
from harness.trace import Trace

sys.path.insert(0, str(Path(__file__).parents[1] / "scenario"))  # toy_scenario, a user's scenario
from toy_scenario import Toy, ToyConfig, toy_installed, toy_trace  # noqa: E402,F401 (a fixture)

EXAMPLES = Path(__file__).parents[3] / "examples"


def _harness(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args), prog_name="harness")
    return done.exit_code, done.output


def _no_traceback(out: str) -> bool:
    return "Traceback" not in out and 'File "' not in out


# -- bad input: exit 2, one Error line --------------------------------------------------------------
@pytest.fixture
def json_files(tmp_path: Path) -> dict[str, Path]:
    files = {"latin1": tmp_path / "latin1.json", "deep": tmp_path / "deep.json"}
    files["latin1"].write_bytes(b'{"eventName": ["caf\xe9"]}')
    files["deep"].write_text("[" * 5000 + "]" * 5000)
    return files


@pytest.mark.parametrize("command", ["test-filter", "test-event-pattern"])
@pytest.mark.parametrize("which, message", [("latin1", "is not UTF-8 text"), ("deep", "nested deeper than")])
def test_non_utf8_or_5000_deep_json_files_are_usage_errors(json_files: dict[str, Path], command: str, which: str,
                                                           message: str) -> None:
    other = "--record" if command == "test-filter" else "--event"
    for args in (("--pattern", f"@{json_files[which]}", other, "{}"),
                 ("--pattern", '{"source": ["x"]}', other, f"@{json_files[which]}")):
        code, out = _harness(command, *args)
        assert code == 2 and message in out and _no_traceback(out), out


@pytest.mark.parametrize("spec, message", [('{"Filters": 5}', "Filters must be a list, not int"),
                                           ('{"Filters": [{}]}', "Filters[0] has no 'Pattern'")])
def test_a_filter_criteria_of_the_wrong_shape_is_a_usage_error(spec: str, message: str) -> None:
    code, out = _harness("test-filter", "--pattern", spec, "--record", "{}")
    assert code == 2 and message in out and _no_traceback(out), out


def test_an_unknown_backend_is_a_usage_error_naming_the_choices() -> None:
    code, out = _harness("run", "ip-dedup", "--backend", "foo")
    assert code == 2 and "'foo' is not" in out and "embedded" in out and _no_traceback(out), out


def test_up_with_a_prefix_aws_would_reject_exits_2_before_anything_starts() -> None:
    code, out = _harness("up", "--topology", str(EXAMPLES / "topology.yaml"), "--handlers", str(EXAMPLES),
                         "--prefix", "bad name!")
    assert code == 2 and "prefix 'bad name!' makes names AWS would reject" in out and _no_traceback(out), out


def test_judge_and_trace_refuse_a_non_utf8_or_5000_deep_trace(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_bytes(b'{"kind": "scenario", "name": "caf\xe9"}\n')
    (tmp_path / "deep.jsonl").write_text("[" * 5000 + "]" * 5000 + "\n")
    for path in ("t.jsonl", "deep.jsonl"):
        code, out = _harness("judge", str(tmp_path / path))
        assert code == 2 and "not a JSON-lines trace" in out and _no_traceback(out), out
        code, out = _harness("trace", str(tmp_path / path))
        assert code == 2 and ("UTF-8" in out or "not JSON" in out) and _no_traceback(out), out


# -- output paths: checked before the run, the report printed before they are written -------------
@pytest.fixture
def run_traced(monkeypatch: pytest.MonkeyPatch, toy_installed: None) -> list[Any]:
    """``harness run toy`` without a backend: the run gives the toy's report and trace (or raises what the
    test puts in ``behaviour``)."""
    behaviour: list[Any] = []

    def fake(scenario: Toy, config: ToyConfig, *, plan: Any, progress: Any, faults: Any = None) -> tuple[Any, Trace]:
        from harness.scenario.driver import evaluate

        progress.stage("slot 2/5", total=10)
        progress.advance(4)
        for b in behaviour:
            if isinstance(b, BaseException):
                raise b
            b()
        trace = toy_trace(config)
        return evaluate(scenario, trace, config, plan), trace

    monkeypatch.setattr("harness.cli.run.run_traced", fake)
    return behaviour


@pytest.mark.parametrize("flag", ["--json", "--trace"])
@pytest.mark.parametrize("where, message", [(".", "is a directory"), ("no/such/dir/f.json", "does not exist")])
def test_an_output_path_that_cannot_be_written_fails_before_the_run(run_traced: list[Any], tmp_path: Path,
                                                                   flag: str, where: str, message: str) -> None:
    run_traced.append(AssertionError("the run started"))
    code, out = _harness("run", "toy", flag, str(tmp_path / where))
    assert code == 2 and message in out and flag in out and _no_traceback(out), out


def test_the_report_is_printed_even_when_writing_a_file_fails(run_traced: list[Any], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    run_traced.append(out_dir.rmdir)  # the directory goes away while the run is under way
    code, out = _harness("run", "toy", "--json", str(out_dir / "r.json"))
    assert "toy: PASSED" in out and "doubled" in out, out
    assert code == 3 and "could not be written" in out and _no_traceback(out), out


# -- exit codes of a run that did not finish -------------------------------------------------------
@pytest.mark.parametrize("error, code", [
    (BackendDied("dynamodb-local", 4242, -9, Path("/tmp/x/dynamodb.log"), "Initializing DynamoDB Local"), 3),
    (PipelineBroken("drain: mapping m: seen 3 != succeeded 2 + filtered 0 + given_up 0 + dropped 0"), 3),
    (DrainTimeout("drain: the pipeline was not quiet after 1.0s"), 3),
    (ForeignResourceError("table sh-items exists and is not streamharness's"), 2),
])
def test_a_run_that_fails_exits_2_or_3_naming_the_error(run_traced: list[Any], error: Exception, code: int) -> None:
    run_traced.append(error)
    got, out = _harness("run", "toy")
    assert got == code and type(error).__name__ in out and str(error) in out and _no_traceback(out), out
    assert "PASSED" not in out and "slot 2/5" in out


def test_ctrl_c_during_a_run_exits_130_saying_what_was_interrupted(run_traced: list[Any]) -> None:
    run_traced.append(KeyboardInterrupt())
    code, out = _harness("run", "toy")
    assert code == 130 and "interrupted during 'slot 2/5' after 4 items" in out, out
    assert "PASSED" not in out and "no verdict" in out and _no_traceback(out)


def test_a_passing_and_a_failing_run_exit_0_and_1(run_traced: list[Any]) -> None:
    assert _harness("run", "toy")[0] == 0
    assert _harness("run", "toy", "--variant", "wrong")[0] == 1


# -- a handler that raises at import -----------------------------------------------------------------
def test_a_handler_raising_at_import_is_bad_input_with_only_its_own_traceback(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cli.exits import describe, failure_code
    from harness.runtime.invoker import HandlerImportError, resolve_handler
    from harness.topology import Function

    (tmp_path / "boom_at_import.py").write_text(
        "def load():\n    raise RuntimeError('TABLE is not set')\n\nload()\n\ndef handle(e, c):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(HandlerImportError) as caught:
        resolve_handler(Function("fn", "boom_at_import:handle"))
    text = describe(caught.value)
    assert failure_code(caught.value) == 2
    assert "module 'boom_at_import' raised at import: RuntimeError: TABLE is not set" in text
    assert text.count("Traceback") == 1 and "boom_at_import.py\", line 4" in text and "line 2, in load" in text
    assert "harness/" not in text and "importlib" not in text, text
