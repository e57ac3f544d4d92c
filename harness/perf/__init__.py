"""Measurements the harness makes of itself (``harness bench`` reports them): functions that return
figures, not tests."""
from __future__ import annotations

from harness.perf.sqs_target import SqsTargetFigures, measure_sqs_target

__all__ = ["SqsTargetFigures", "measure_sqs_target"]
