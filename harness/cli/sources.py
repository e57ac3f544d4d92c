"""Where a command's topology comes from: ``--topology`` (our YAML/JSON) or ``--template`` (SAM/CloudFormation)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from harness.topology import Topology, ValidationException


def topology_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--topology``, ``--template`` and ``--parameter``; the command gets ``topology_path``,
    ``template_path`` and ``parameters`` and calls :func:`load_topology` with them."""
    for option in reversed((
        click.option("--topology", "topology_path", type=click.Path(exists=True, dir_okay=False),
                     help="Topology YAML or JSON file."),
        click.option("--template", "template_path", type=click.Path(exists=True, dir_okay=False),
                     help="SAM / CloudFormation template (YAML or JSON; `cdk synth` output too), instead of "
                          "--topology."),
        click.option("--parameter", "parameters", multiple=True, metavar="NAME=VALUE",
                     help="A template parameter (repeatable); also AWS::Region, AWS::AccountId, AWS::StackName."),
    )):
        command = option(command)
    return command


def load_topology(topology_path: str | None, template_path: str | None, parameters: tuple[str, ...]) -> Topology:
    """The topology, with a template's warning printed once to stderr; bad arguments exit 2."""
    if bool(topology_path) == bool(template_path):
        raise click.UsageError("give either --topology FILE or --template FILE (not both)" if topology_path
                               else "give --topology FILE or --template FILE")
    if parameters and not template_path:
        raise click.UsageError("--parameter applies to --template only")
    given = {}
    for p in parameters:
        name, sep, value = p.partition("=")
        if not sep or not name:
            raise click.UsageError(f"--parameter {p!r}: expected NAME=VALUE")
        given[name] = value
    try:
        if topology_path:
            return Topology.from_file(topology_path)
        from harness.topology.template import format_warning, load_template

        topology, lines = load_template(template_path, given)  # type: ignore[arg-type]
    except ValidationException as e:  # a topology's errors may not name their file; a template's always do
        raise click.UsageError(str(e) if template_path or str(e).startswith(str(topology_path))
                               else f"{topology_path}: {e}") from None
    if lines:
        click.echo(format_warning(template_path, lines), err=True)  # type: ignore[arg-type]
    return topology
