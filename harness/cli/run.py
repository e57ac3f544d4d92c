"""``harness run NAME``, ``harness scenarios`` and ``harness judge TRACE``: every installed scenario (see
``harness.scenario.registry``) gets the same command, its options built from its config."""
from __future__ import annotations

import inspect
import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from harness.cli.backend import backend_errors, backend_option, endpoint_option, select_backend
from harness.cli.exits import (CHECK_FAILED, HARNESS_FAILED, INTERRUPTED, PASSED, check_output_path, describe, fail,
                               failure_code)
from harness.cli.report import render
from harness.runtime.faults import FaultPlan
from harness.scenario import (Option, Report, Scenario, ScenarioLoadError, TraceNotJudgeable, UnknownScenario,
                              judge_file, options_of, registry, run_traced)
from harness.trace import Trace


class Bar:
    """A scenario's Progress as a transient rich bar on stderr; remembers where it got to, for an interruption."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task
        self.where, self.done = "starting", 0

    def stage(self, description: str, total: int | None = None) -> None:
        self.where = description
        self._progress.update(self._task, description=description, **({"total": total} if total is not None else {}))

    def advance(self, n: int) -> None:
        if n:
            self.done += n
            self._progress.advance(self._task, n)


def progress_bar(unit: str) -> Progress:
    """Redrawn 4 times a second, not rich's 10: each redraw takes the interpreter from the pipeline it shows."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
                    TimeRemainingColumn(), console=Console(stderr=True), transient=True, refresh_per_second=4)


def report_console() -> Console:
    """The terminal as it is; anything else (a CI log, a file) 160 columns wide, values wrapped, never cut."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def finish(report: Report, json_path: str | None, trace: Trace | None = None, trace_path: str | None = None) -> None:
    """Print the report, then write the files asked for (a write that fails cannot cost the verdict), and
    exit with the report's verdict."""
    render(report, report_console())
    try:
        if trace is not None and trace_path:
            trace.write_jsonl(trace_path)
        if json_path:
            with open(json_path, "w") as f:
                json.dump(report.to_dict(), f, indent=2, default=str)
    except OSError as e:
        fail(f"the report above is complete, but {e.filename or 'a file'} could not be written: {e.strerror}",
             HARNESS_FAILED)
    sys.exit(PASSED if report.passed else CHECK_FAILED)


def _click_option(opt: Option) -> click.Option:
    kind: Any
    if opt.choices:
        kind = click.Choice(opt.choices)
    elif opt.min is None and opt.max is None:
        kind = opt.type
    elif opt.type is int:
        kind = click.IntRange(None if opt.min is None else int(opt.min), None if opt.max is None else int(opt.max))
    elif opt.type is float:
        kind = click.FloatRange(opt.min, opt.max)
    else:
        raise TypeError(f"option {opt.name}: bounds apply to int and float options only")
    decls = [f"{opt.flag}/--no-{opt.flag[2:]}" if opt.type is bool else opt.flag, opt.name]
    return click.Option(decls, type=kind, default=opt.default, show_default=True, help=opt.help)


def scenario_command(scenario: Scenario[Any, Any]) -> click.Command:
    """``harness run NAME``: the scenario's options, then --variant, --seed, --backend, --json, --trace."""
    generic = {o.name: o for o in options_of(scenario.Config, generic=True)}
    params: list[click.Parameter] = [_click_option(o) for o in scenario.options]
    params += [
        click.Option(["--variant"], type=click.Choice(scenario.variants), default=scenario.variants[0],
                     show_default=True, help="The variant to run."),
        _click_option(generic["seed"]), backend_option(), endpoint_option(),
        click.Option(["--json", "json_path"], type=click.Path(dir_okay=False),
                     help="Write the report here."),
        click.Option(["--trace", "trace_path"], type=click.Path(dir_okay=False),
                     help="Write every trace event here as JSON lines ('harness judge' reads it)."),
        click.Option(["--faults", "faults_path"], type=click.Path(exists=True, dir_okay=False),
                     help="Inject the faults of this YAML fault plan (see 'Fault injection and replay')."),
    ]

    def callback(json_path: str | None, trace_path: str | None, endpoint: str | None, faults_path: str | None,
                 **values: Any) -> None:
        select_backend(values["backend"], endpoint)
        check_output_path(json_path, "--json")
        check_output_path(trace_path, "--trace")
        try:
            faults = FaultPlan.from_yaml(faults_path) if faults_path else None
            config = scenario.config(**values)
            plan = scenario.generate(config)  # a bad combination of options fails here, before anything starts
        except ValueError as e:
            raise click.UsageError(str(e)) from None
        with backend_errors(), progress_bar(scenario.unit) as progress:
            bar = Bar(progress, progress.add_task("starting", total=None))
            try:
                report, trace = run_traced(scenario, config, plan=plan, progress=bar, faults=faults)
            except KeyboardInterrupt:
                progress.stop()
                fail(f"interrupted during {bar.where!r} after {bar.done} {scenario.unit}: the run was stopped and "
                     "torn down; no checks were judged, so there is no verdict", INTERRUPTED)
            except Exception as e:  # a server died, the pipeline broke or never went quiet, a deploy call failed
                progress.stop()
                fail(f"{scenario.name} did not finish ({bar.where}): {describe(e)}", failure_code(e))
        finish(report, json_path, trace, trace_path)

    return click.Command(scenario.name, params=params, callback=callback,
                         help=inspect.cleandoc(scenario.description or scenario.summary), short_help=scenario.summary)


class ScenarioGroup(click.Group):
    """Subcommands are the installed scenarios; only the one asked for is imported."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return registry.names()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        try:
            return scenario_command(registry.get(name))
        except UnknownScenario:
            return None
        except ScenarioLoadError as e:
            raise click.ClickException(str(e)) from None


@click.group("run", cls=ScenarioGroup)
def run_group() -> None:
    """Run a scenario end to end and check it with its oracles (exit 1 if any check fails).

    'harness scenarios' lists them; 'harness run NAME --help' shows a scenario's options.
    """


@click.command("scenarios")
def list_scenarios() -> None:
    """List the installed scenarios, one line each."""
    names = registry.names()
    width = max(map(len, names), default=0)
    for name in names:
        try:
            summary = registry.get(name).summary
        except ScenarioLoadError as e:  # one broken package does not hide the others
            summary = f"(cannot be loaded: {e})"
        click.echo(f"{name:{width}}  {summary}")


@click.command("judge")
@click.argument("trace_path", metavar="TRACE.jsonl", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the report here.")
def judge(trace_path: str, json_path: str | None) -> None:
    """Judge a run again from its trace file alone (written by 'harness run NAME --trace FILE').

    The trace's header names the scenario, its variant, seed and config; the plan is generated again
    and the oracles read everything else from the trace, so the verdict and every check's values are
    the live run's. Exit 1 if a check fails, 2 if the trace cannot be judged.
    """
    check_output_path(json_path, "--json")
    try:
        report = judge_file(trace_path)
    except (TraceNotJudgeable, UnknownScenario, ScenarioLoadError) as e:
        raise click.UsageError(f"{trace_path}: {e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise click.UsageError(f"{trace_path}: not a JSON-lines trace: {e}") from None
    finish(report, json_path)
