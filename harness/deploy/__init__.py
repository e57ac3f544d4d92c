"""Layer 4: topology -> boto3 calls on any backend. Idempotent; teardown touches only our names."""
from __future__ import annotations

from harness.deploy.deployer import deploy, plan, teardown
from harness.deploy.model import RUN_TAG, TAG, Deployment, function_arn
from harness.deploy.ownership import ForeignResourceError, validate_names

__all__ = ["RUN_TAG", "TAG", "Deployment", "ForeignResourceError", "deploy", "function_arn", "plan", "teardown",
           "validate_names"]
