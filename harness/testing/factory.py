"""Start Harnesses on one shared backend, each under its own prefix, and stop them all at once: the
fast way to test (one backend per test process, a fresh prefix per test), used by the pytest plugin."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from harness.backends import Backend
from harness.harness import Harness
from harness.testing.summary import summarize
from harness.topology import Topology

TOPOLOGY_SUFFIXES = (".yaml", ".yml", ".json")
TEMPLATE_KEYS = ("AWSTemplateFormatVersion", "Resources")


class _TagsIgnored(yaml.SafeLoader):
    """Reads a template's top level without knowing CloudFormation's short tags (!Ref, !GetAtt, ...)."""


_TagsIgnored.add_multi_constructor("!", lambda loader, suffix, node: None)


def template_marker(path: Path) -> str | None:
    """The top-level key that makes ``path`` a SAM/CloudFormation template, or None for our topology format."""
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_TagsIgnored)  # noqa: S506
    if not isinstance(data, dict):
        return None
    return next((k for k in TEMPLATE_KEYS if k in data), None)


def load_topology(path: str | Path, base_dir: Path | None = None) -> Topology:
    """Our YAML/JSON topology, or a SAM/CloudFormation template (``Topology.from_template``).
    A relative path is taken from ``base_dir`` (the test file's directory) when given."""
    p = Path(path)
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    if p.suffix.lower() not in TOPOLOGY_SUFFIXES:
        raise ValueError(f"{p}: a topology is a .yaml, .yml or .json file (ours, or a SAM/CloudFormation template)")
    if not p.is_file():
        where = f" (relative paths are taken from {base_dir})" if base_dir is not None and not Path(path).is_absolute() else ""
        raise FileNotFoundError(f"topology file not found: {p}{where}")
    marker = template_marker(p)
    if marker is None:
        return Topology.from_file(p)
    from_template = getattr(Topology, "from_template", None)
    if from_template is None:
        raise ValueError(f"{p} is a SAM/CloudFormation template (it has {marker}), but this streamharness "
                         f"has no template loader (Topology.from_template); write the topology in its YAML format")
    return from_template(p)  # type: ignore[no-any-return]


class HarnessFactory:
    """``factory(topology_or_path, **Harness kwargs)`` returns a started Harness on ``backend`` with the
    prefix ``{prefix}{8 random hex}-``; ``close()`` stops them all (last started first) and writes
    their traces. ``defaults`` are keyword arguments every Harness gets unless the call gives its own."""

    def __init__(self, backend: Backend, prefix: str, *, base_dir: Path | None = None,
                 default_topology: Topology | str | Path | None = None,
                 trace_path: Callable[[int], Path] | None = None, **defaults: Any) -> None:
        self.backend = backend
        self.prefix = prefix
        self.base_dir = base_dir
        self.default_topology = default_topology
        self.trace_path = trace_path
        self.defaults = defaults
        self.started: list[Harness] = []

    def __call__(self, topology: Topology | str | Path | None = None, **kwargs: Any) -> Harness:
        source = topology if topology is not None else self.default_topology
        if source is None:
            raise TypeError("harness() needs a topology: pass a Topology or a path, or mark the test with "
                            "@pytest.mark.harness_topology(topology_or_path)")
        loaded = source if isinstance(source, Topology) else load_topology(source, self.base_dir)
        options = {**self.defaults, **kwargs}
        options.setdefault("handlers_path", self._handler_dirs(source))
        h = Harness(loaded, backend=options.pop("backend", self.backend),
                    prefix=options.pop("prefix", f"{self.prefix}{uuid.uuid4().hex[:8]}-"), **options)
        try:
            h.start()
        except BaseException:
            h.stop()
            raise
        self.started.append(h)
        return h

    def _handler_dirs(self, source: Topology | str | Path) -> list[Path]:
        """Handler modules are looked for next to the topology file, then next to the test."""
        dirs = [] if isinstance(source, Topology) else [(self.base_dir or Path()) / Path(source).parent]
        if self.base_dir is not None:
            dirs.append(self.base_dir)
        return list(dict.fromkeys(d.resolve() for d in dirs))

    def summary(self) -> str:
        """Each harness's trace in a few lines (see harness.testing.summary), for a failed test's report."""
        parts = []
        for i, h in enumerate(self.started):
            head = f"harness {i + 1} of {len(self.started)}: " if len(self.started) > 1 else "harness: "
            head += f"topology {h.topology.name!r}, prefix {h.prefix!r}, backend {h.backend.name!r}"
            if self.trace_path is not None:
                head += f"\ntrace: {self.trace_path(i)}"
            parts.append(head + "\n" + summarize(h.trace.events))
        return "\n\n".join(parts)

    def unbalanced(self, settle_s: float = 5.0) -> list[str]:
        """Each started harness's mappings and rule targets whose accounting does not hold (seen ==
        succeeded + filtered + given_up + dropped; accepted == delivered + dead-lettered + dropped), after
        letting work still in flight finish for up to ``settle_s``."""
        from harness.oracles.accounting import imbalances
        from harness.runtime.runtime import DrainError

        out = []
        for h in self.started:
            try:
                h.runtime
            except RuntimeError:
                continue  # the test stopped it itself: its runtime, and its accounting, are gone
            def wrong() -> list[str]:
                return imbalances({n: s.as_dict() for n, s in h.stats().items()},
                                  {f"{r} -> {t}": c for (r, t), c in h.dispatcher.target_stats().items()})
            if wrong():
                try:
                    h.drain(settle_s)
                except DrainError:
                    pass  # what is still wrong is reported below
            out += [f"harness {h.prefix!r}: {line}" for line in wrong()]
        return out

    def close(self) -> None:
        """Stop every harness even if one fails to, then write the traces; the first error is raised."""
        error: BaseException | None = None
        for h in reversed(self.started):
            try:
                h.stop()
            except BaseException as e:  # stop the others first
                error = error or e
        if self.trace_path is not None:
            for i, h in enumerate(self.started):
                path = self.trace_path(i)
                path.parent.mkdir(parents=True, exist_ok=True)
                h.trace.write_jsonl(path)
        self.started.clear()
        if error is not None:
            raise error


__all__ = ["HarnessFactory", "load_topology", "template_marker"]
