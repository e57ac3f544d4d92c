"""A Topology object written as a topology file, so another process (``harness up``) can run it."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.topology import Topology


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _plain(value: Any) -> Any:
    """Dataclass fields as the loader reads them: snake_case keys, fields left at their default left out."""
    if hasattr(value, "to_aws"):  # a parsed AWS parameter (FilterCriteria, ...): its AWS form, which the loader reads
        return value.to_aws()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) != _default(f)}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def write_topology(topology: Topology, path: Path) -> Path:
    """Write ``topology`` to ``path`` as JSON; read back it is the same topology (else ValueError)."""
    data = _plain(topology)
    if Topology.from_dict(data) != topology:
        raise ValueError(f"topology {topology.name} does not survive being written as a file")
    path.write_text(json.dumps(data, indent=2))
    return path
