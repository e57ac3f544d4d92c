"""The exit codes every ``harness`` command uses, and the one way each command fails without a traceback.

    0    passed (or, for ``up``, stopped normally; for ``test-filter``, printed true or false)
    1    a check failed
    2    bad input: an option, a file, a topology, a handler that cannot be imported, a resource in the way
    3    the harness or a backend failed: a server died or could not start, the pipeline broke or never
         went quiet, a deploy call failed
    130  interrupted (Ctrl-C, or SIGTERM under ``harness up``)

``ForeignResourceError`` (a same-named resource that is not the harness's) is 2: nothing failed, the
command as given would touch what is not ours, and another ``--prefix`` or ``--adopt`` fixes it.
"""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

import click

PASSED = 0
CHECK_FAILED = 1
BAD_INPUT = 2
HARNESS_FAILED = 3
INTERRUPTED = 130


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """One ``Error:`` line (or a few), no traceback, a distinct exit code."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def failure_code(error: BaseException) -> int:
    """The exit code of an exception that ended a command: 2 for input the user can fix, 3 otherwise."""
    from harness.deploy.ownership import ForeignResourceError
    from harness.runtime.invoker import HandlerImportError
    from harness.topology import ValidationException

    return BAD_INPUT if isinstance(error, (ForeignResourceError, HandlerImportError, ValidationException)) \
        else HARNESS_FAILED


def describe(error: BaseException) -> str:
    """``Type: message``; for a handler that raised at import, its own traceback (only its frames), once."""
    text = f"{type(error).__name__}: {error}"
    cause = error.__cause__
    if cause is not None and type(error).__name__ == "HandlerImportError":
        text += "\n" + handler_traceback(cause).rstrip()
    return text


def handler_traceback(error: BaseException) -> str:
    """The traceback of an exception raised in user code, without the harness's or importlib's frames."""
    harness_dir = str(Path(__file__).resolve().parents[1]) + os.sep
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(harness_dir) and "importlib" not in f.filename
              and not f.filename.startswith("<frozen")]
    lines = ["Traceback (the handler's code):\n", *traceback.StackSummary.from_list(frames).format(),
             *traceback.format_exception_only(type(error), error)]
    return "".join(lines)


def check_output_path(path: str | None, flag: str) -> None:
    """Before anything starts: ``path`` can be written (not a directory, its directory exists and is
    writable), so a run never ends in "cannot write the report"."""
    if path is None:
        return
    p = Path(path)
    parent = p.resolve().parent
    if p.is_dir():
        fail(f"{flag} {path}: is a directory")
    if not parent.is_dir():
        fail(f"{flag} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        fail(f"{flag} {path}: not writable")


__all__ = ["BAD_INPUT", "CHECK_FAILED", "HARNESS_FAILED", "INTERRUPTED", "PASSED", "check_output_path", "describe",
           "fail", "failure_code", "handler_traceback"]
