"""Layer 3: topology -> boto3 calls on any backend. Idempotent; teardown touches only our names."""
from __future__ import annotations

from harness.deploy.deployer import Deployment, deploy, teardown

__all__ = ["Deployment", "deploy", "teardown"]
