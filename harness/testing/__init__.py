"""Testing pipelines: assertions on traces with readable failures, a factory of Harnesses on a shared
backend, and the pytest plugin built on them (``harness.testing.plugin``, loaded through ``pytest11``)."""
from __future__ import annotations

from harness.testing.assertions import assert_counts, assert_delivered, assert_in_order, deliveries
from harness.testing.factory import HarnessFactory, load_topology
from harness.testing.summary import handler_traceback, summarize

__all__ = ["HarnessFactory", "assert_counts", "assert_delivered", "assert_in_order", "deliveries",
           "handler_traceback", "load_topology", "summarize"]
