"""Oracles: pure functions from (what was generated, what was observed) to named checks.

No network here: everything an oracle needs is handed to it as plain data, so each one is
unit-tested on small hand-made inputs, and can be shown to fail.
"""
from __future__ import annotations

from harness.oracles.checks import Check, all_passed, check_equal

__all__ = ["Check", "all_passed", "check_equal"]
