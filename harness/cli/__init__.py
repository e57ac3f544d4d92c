"""The ``harness`` command line."""
from __future__ import annotations

from harness.cli.main import cli, main

__all__ = ["cli", "main"]
