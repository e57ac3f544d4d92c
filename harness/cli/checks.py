"""Checks a command runs before any server starts, so a typo costs well under a second, not a backend start.

Handlers are found without running them: the module is located on the search path (its parent packages
are imported, as any import would) and its source is read for top-level names, so a module with side
effects at import runs them only once, inside the harness, with the function's environment applied.
"""
from __future__ import annotations

import ast
import difflib
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.topology import Topology


def _top_level_names(source: str) -> set[str]:
    """Names a module defines at its top level: functions, classes, assignments, imports."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _callables(source: str) -> list[str]:
    return sorted(n.name for n in ast.parse(source).body
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_"))


def handler_problem(handler: str) -> str | None:
    """Why ``module:function`` cannot be a handler here, with close matches; None when it looks fine."""
    module_name, sep, attr = handler.partition(":")
    if not sep or not module_name or not attr:
        return f"handler {handler!r} must be 'module:function' (e.g. 'app.handlers:on_order')"
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError) as e:
        spec, why = None, f" ({e})"
    else:
        why = ""
    if spec is None:
        parent, _, leaf = module_name.rpartition(".")
        where = [p for p in sys.path if p and Path(p).is_dir()]
        candidates = _modules_in(where) if not parent else []
        close = difflib.get_close_matches(leaf, candidates, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"handler {handler!r}: no module named {module_name!r}{why}{hint}"
    if spec.origin is None or not spec.origin.endswith(".py"):
        return None  # a namespace or compiled module: the import inside the harness will tell
    source = Path(spec.origin).read_text(encoding="utf-8", errors="replace")
    try:
        names = _top_level_names(source)
    except SyntaxError as e:
        return f"handler {handler!r}: {spec.origin}, line {e.lineno}: SyntaxError: {e.msg}"
    if attr in names:
        return None
    functions = _callables(source)
    close = difflib.get_close_matches(attr, functions, n=3, cutoff=0.5)
    hint = (f"; did you mean {', '.join(repr(c) for c in close)}?" if close
            else f"; it defines: {', '.join(functions[:10]) or 'no functions'}")
    return f"handler {handler!r}: module {module_name!r} ({spec.origin}) has no callable {attr!r}{hint}"


def _modules_in(directories: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for d in directories:
        for p in Path(d).iterdir():
            if p.suffix == ".py":
                out.add(p.stem)
            elif p.is_dir() and (p / "__init__.py").exists():
                out.add(p.name)
    return sorted(out)


def handler_problems(topology: Topology, handlers_path: Sequence[str | Path] = ()) -> list[str]:
    """One line per function whose handler cannot be found, searched like the harness will search."""
    added = [str(Path(p).resolve()) for p in (*handlers_path, *topology.handlers_path)]
    saved = list(sys.path)
    sys.path[:0] = [p for p in added if p not in sys.path]
    try:
        return [f"function {fn.name}: {problem}" for fn in topology.functions
                if (problem := handler_problem(fn.handler)) is not None]
    finally:
        sys.path[:] = saved


__all__ = ["handler_problem", "handler_problems"]
