"""Fault injection: a seeded, deterministic plan of faults applied to every invocation and to the AWS
calls handlers make (plan.py: what; inject.py: how)."""
from __future__ import annotations

from harness.runtime.faults.inject import FaultInjector
from harness.runtime.faults.plan import KINDS, UNSUPPORTED, Fault, FaultPlan, FaultPlanError

__all__ = ["KINDS", "UNSUPPORTED", "Fault", "FaultInjector", "FaultPlan", "FaultPlanError"]
