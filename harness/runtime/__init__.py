"""Layer 4: what Lambda does (stream readers, the ESM engine, the invoker), done by the harness."""
from __future__ import annotations

from harness.runtime.esm.engine import EngineOptions, MappingStats
from harness.runtime.runtime import DrainError, DrainReport, DrainTimeout, PipelineBroken, Runtime

__all__ = ["DrainError", "DrainReport", "DrainTimeout", "EngineOptions", "MappingStats", "PipelineBroken", "Runtime"]
