"""Layer 4: topology -> boto3 calls on any backend. Idempotent; teardown touches only our names."""
from __future__ import annotations

from harness.deploy.deployer import deploy, teardown
from harness.deploy.model import TAG, Deployment, function_arn

__all__ = ["TAG", "Deployment", "deploy", "function_arn", "teardown"]
