"""LocalStack as a backend: reached where one runs, else installed from PyPI and started on the host."""
from __future__ import annotations

from harness.backends.localstack.backend import LocalStackBackend
from harness.backends.localstack.install import LocalStackUnavailable
from harness.backends.localstack.server import SERVICES, LocalStackServer, health, missing_services

__all__ = ["SERVICES", "LocalStackBackend", "LocalStackServer", "LocalStackUnavailable", "health",
           "missing_services"]
