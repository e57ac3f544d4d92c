"""The generic scenario commands, without a backend: listing, options and help, argument errors, judge."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli

sys.path.insert(0, str(Path(__file__).parents[1] / "scenario"))  # toy_scenario, a user's scenario
from toy_scenario import ToyConfig, toy_trace, toy_installed  # noqa: E402,F401 (a fixture)


def _harness(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args), prog_name="harness")
    return done.exit_code, done.output



def test_scenarios_lists_one_line_each() -> None:
    code, out = _harness("scenarios")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code == 0 and {"ip-dedup", "order-aggregator"} <= lines.keys()
    assert "aggregator" in lines["order-aggregator"] and "detector" in lines["ip-dedup"]


def test_run_lists_the_scenarios_and_each_one_its_options_with_help() -> None:
    code, out = _harness("run", "--help")
    assert code == 0 and "ip-dedup" in out and "order-aggregator" in out
    code, out = _harness("run", "ip-dedup", "--help")
    assert code == 0
    for flag in ("--packets", "--ips", "--slots", "--batch-size", "--window", "--dangerous-fraction", "--bursts",
                 "--burst-size", "--producers", "--variant", "--seed", "--backend", "--json", "--trace"):
        assert flag in out, flag
    assert "Packets in the flood." in out and "fixed|forgets-delete" in out
    code, out = _harness("run", "order-aggregator", "--help")
    assert "--orders" in out and "fixed|as_published" in out and "--packets" not in out


@pytest.mark.parametrize("args, names", [
    (("run", "ip-dedup", "--batch-size", "0"), "--batch-size"),
    (("run", "ip-dedup", "--variant", "nope"), "--variant"),
    (("run", "order-aggregator", "--batch-size", "1"), "--batch-size"),
    (("run", "ip-dedup", "--packets", "10", "--ips", "50"), "ips cannot exceed packets"),
    (("run", "no-such-scenario"), "No such command"),
])
def test_bad_arguments_exit_2_naming_them_before_anything_starts(args: tuple[str, ...], names: str) -> None:
    code, out = _harness(*args)
    assert code == 2 and names in out and "Traceback" not in out


@pytest.mark.parametrize("variant, code", [("right", 0), ("wrong", 1)])
def test_judge_prints_the_report_and_exits_with_its_verdict(toy_installed: None, tmp_path: Path, variant: str,
                                                             code: int) -> None:
    toy_trace(ToyConfig(variant=variant)).write_jsonl(tmp_path / "t.jsonl")
    got, out = _harness("judge", str(tmp_path / "t.jsonl"), "--json", str(tmp_path / "r.json"))
    assert got == code and "doubled" in out
    assert ("toy: PASSED" in out) is (code == 0)
    assert json.loads((tmp_path / "r.json").read_text())["passed"] is (code == 0)


def test_judge_refuses_a_trace_it_cannot_judge(toy_installed: None, tmp_path: Path) -> None:
    toy_trace(ToyConfig(), header=False).write_jsonl(tmp_path / "t.jsonl")
    code, out = _harness("judge", str(tmp_path / "t.jsonl"))
    assert code == 2 and "0 scenario headers" in out
    (tmp_path / "bad.jsonl").write_text("not json\n")
    code, out = _harness("judge", str(tmp_path / "bad.jsonl"))
    assert code == 2 and "not a JSON-lines trace" in out


def test_a_users_scenario_gets_the_same_command(toy_installed: None) -> None:
    code, out = _harness("run", "toy", "--help")
    assert code == 0
    for text in ("--numbers INTEGER RANGE", "How many numbers.", "1<=x<=100", "--factor FLOAT RANGE",
                 "--label [a|b]", "--loud / --no-loud", "--variant [right|wrong]", "--seed INTEGER"):
        assert text in out, text
    code, out = _harness("run", "toy", "--numbers", "0")
    assert code == 2 and "--numbers" in out
