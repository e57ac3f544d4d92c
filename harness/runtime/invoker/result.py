"""What an invocation comes back with, whichever invoker ran it, and AWS's words for a runtime exit."""
from __future__ import annotations

import signal
from dataclasses import dataclass, field
from typing import Any

# Go's names, as Lambda prints them ("Runtime exited with error: signal: segmentation fault")
_SIGNAL_NAMES = {
    signal.SIGHUP: "hangup", signal.SIGINT: "interrupt", signal.SIGQUIT: "quit",
    signal.SIGILL: "illegal instruction", signal.SIGTRAP: "trace/breakpoint trap", signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error", signal.SIGFPE: "floating point exception", signal.SIGKILL: "killed",
    signal.SIGUSR1: "user defined signal 1", signal.SIGSEGV: "segmentation fault",
    signal.SIGUSR2: "user defined signal 2", signal.SIGPIPE: "broken pipe", signal.SIGALRM: "alarm clock",
    signal.SIGTERM: "terminated",
}

EXIT_ERROR = "Runtime.ExitError"


@dataclass
class InvocationResult:
    request_id: str
    ok: bool
    response: Any = None
    error_type: str | None = None
    error_message: str | None = None
    traceback: str | None = None
    duration_ms: float = 0.0
    logs: list[tuple[str, str]] = field(default_factory=list)
    #: the AWS API calls the handler made (service, operation, resource, items read/scanned/written)
    calls: list[dict[str, Any]] = field(default_factory=list)
    #: whether this invocation paid for a cold start; None where the invoker does not model them (in process)
    cold_start: bool | None = None
    #: cold starts: process start + runtime + handler import (Lambda's Init Duration)
    init_duration_ms: float | None = None
    worker_pid: int | None = None

    @property
    def function_error(self) -> str | None:
        """What AWS puts in X-Amz-Function-Error: "Unhandled" for exceptions and timeouts."""
        return None if self.ok else "Unhandled"


def exit_message(request_id: str, returncode: int) -> str:
    """What Lambda says when the runtime process ends during an invocation."""
    if returncode == 0:
        return f"RequestId: {request_id} Error: Runtime exited without providing a reason"
    if returncode > 0:
        return f"RequestId: {request_id} Error: Runtime exited with error: exit status {returncode}"
    name = _SIGNAL_NAMES.get(-returncode)  # type: ignore[call-overload]
    if name is None:
        name = (signal.strsignal(-returncode) or f"signal {-returncode}").lower()
    return f"RequestId: {request_id} Error: Runtime exited with error: signal: {name}"


def exit_status(e: BaseException) -> int:
    """The status a Lambda runtime process would end with on this uncaught BaseException: sys.exit's
    code (1 for a message, as Python does), -SIGINT for KeyboardInterrupt, 1 otherwise."""
    if isinstance(e, SystemExit):
        code = e.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    if isinstance(e, KeyboardInterrupt):
        return -signal.SIGINT
    return 1
