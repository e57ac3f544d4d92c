"""The ``--backend`` and ``--endpoint`` options every command that runs a topology shares."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from harness.backends import BACKENDS
from harness.backends.aws import AwsOptInRequired, check_opt_in
from harness.backends.base import BackendUnavailable

F = Callable[..., Any]


_BACKEND: dict[str, Any] = dict(
    default="embedded", show_default=True, type=click.Choice(sorted(BACKENDS)),
    help="Where the AWS APIs come from: 'embedded' (DynamoDB Local + moto), 'localstack', or 'aws' (needs "
         "STREAMHARNESS_ALLOW_AWS=1 and STREAMHARNESS_AWS_PREFIX).")
_ENDPOINT: dict[str, Any] = dict(
    metavar="URL", default=None,
    help="A running LocalStack to use (--backend localstack; default $LOCALSTACK_ENDPOINT, else "
         "http://127.0.0.1:4566 if LocalStack answers there, else one is started for the run).")


def backend_option() -> click.Option:
    return click.Option(["--backend"], **_BACKEND)


def endpoint_option() -> click.Option:
    return click.Option(["--endpoint"], **_ENDPOINT)


def backend_options(f: F) -> F:
    """--backend and --endpoint on a command function."""
    return click.option("--backend", **_BACKEND)(click.option("--endpoint", **_ENDPOINT)(f))


def select_backend(backend: str, endpoint: str | None) -> None:
    """Check the choice before anything starts: --endpoint is LocalStack's; aws needs its opt-in (exit 2)."""
    if endpoint is not None:
        if backend != "localstack":
            raise click.UsageError(f"--endpoint is for --backend localstack, not {backend}")
        os.environ["LOCALSTACK_ENDPOINT"] = endpoint  # LocalStackBackend's default endpoint
    if backend == "aws":
        try:
            check_opt_in(None)
        except AwsOptInRequired as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(2)


@contextmanager
def backend_errors() -> Iterator[None]:
    """A backend that cannot be had ends the command with its message, not a traceback."""
    try:
        yield
    except AwsOptInRequired as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(2)
    except BackendUnavailable as e:
        raise click.ClickException(str(e)) from None
