"""Locust users that write to a streamharness backend through boto3, with every call in Locust's stats.

:class:`InstrumentedClient` wraps a boto3 client: each API call fires Locust's ``request`` event with
request_type = the service ("dynamodb"), name = the operation ("UpdateItem"), the response time in ms,
the response's length in bytes and the exception, if any. So Locust's statistics, CSV files, HTML
report and web UI show the backend's calls as they show HTTP requests. A failed call is recorded and
returns ``None`` (a load run counts errors; it does not stop a user on the first one).

Endpoints and credentials come from the environment, as boto3 reads them: paste the exports
``harness up`` prints (AWS_ENDPOINT_URL_DYNAMODB, AWS_ACCESS_KEY_ID, ...) into the shell that runs
``locust``.
"""
from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from locust import User, events
from locust import runners as _runners
from locust.event import EventHook

#: heartbeats a Locust master may miss before it calls a worker missing (Locust's default is 3, one a second):
#: on a loaded machine a worker busy importing its locustfile or spawning users misses 3, and when every
#: worker is "missing" the master stops the test early, so a run with more workers makes fewer calls
_runners.HEARTBEAT_LIVENESS = max(getattr(_runners, "HEARTBEAT_LIVENESS", 3), 60)


class InstrumentedClient:
    """A boto3 client whose API calls fire ``request`` (attributes that are not API calls pass through)."""

    def __init__(self, client: Any, request_event: EventHook) -> None:
        self._client = client
        self._fire = request_event.fire
        self._service = client.meta.service_model.service_name
        self._operations: dict[str, str] = client.meta.method_to_api_mapping

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        operation = self._operations.get(name)
        if operation is None:
            return attr
        return self._timed(attr, operation)

    def _timed(self, call: Callable[..., Any], operation: str) -> Callable[..., Any]:
        def timed(**kwargs: Any) -> Any:
            start = time.time()
            t0 = time.perf_counter()
            response: Any = None
            error: Exception | None = None
            try:
                response = call(**kwargs)
            except (ClientError, BotoCoreError) as e:
                error = e
            except BaseException as e:  # the user is stopped mid-call: the call may have been applied
                self._record(operation, start, t0, None, Interrupted(f"{operation} interrupted: {type(e).__name__}"))
                raise
            self._record(operation, start, t0, response, error)
            return response

        return timed

    def _record(self, operation: str, start: float, t0: float, response: Any, error: Exception | None) -> None:
        fire_request(self._fire, self._service, operation, start, t0, response, error)


def fire_request(fire: Callable[..., Any], request_type: str, name: str, start: float, t0: float, response: Any,
                 error: BaseException | None) -> None:
    """Fire Locust's ``request`` event for a call started at ``start`` (unix time) / ``t0`` (perf counter)."""
    fire(request_type=request_type, name=name, response_time=(time.perf_counter() - t0) * 1000,
         response_length=_length(response), response=response, context={}, exception=error, start_time=start)


class Interrupted(Exception):
    """A call cut short when Locust stopped its user: counted as a failure, since it may have been applied."""


def _length(response: Any) -> int:
    """The response body's size as the server sent it (content-length), 0 when unknown or failed."""
    if not isinstance(response, dict):
        return 0
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    try:
        return int(headers.get("content-length", 0))
    except ValueError:
        return 0


#: one boto3 client per service per process, shared by its users: making one costs ~100 ms of CPU
_RAW_CLIENTS: dict[str, Any] = {}


class Boto3User(User):
    """A Locust user with instrumented boto3 clients: ``self.client("dynamodb")``.

    Retries are off (``max_attempts`` 1), so every throttle or error shows in Locust's failures instead
    of being hidden in a longer response time. boto3 clients are safe to share, so the users of a process
    share one per service (with a connection pool as large as Locust can make use of).
    """

    abstract = True
    #: boto3's client config for every client
    boto_config = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=100)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self._clients: dict[str, InstrumentedClient] = {}

    def client(self, service: str) -> InstrumentedClient:
        if service not in self._clients:
            self._clients[service] = InstrumentedClient(self.raw_client(service), self.environment.events.request)
        return self._clients[service]

    def raw_client(self, service: str) -> Any:
        """The shared boto3 client itself, for code that handles the service's errors as it would in Lambda (its
        calls fire no event: time them with ``fire_request``)."""
        if service not in _RAW_CLIENTS:
            _RAW_CLIENTS[service] = boto3.session.Session().client(service, config=self.boto_config)
        return _RAW_CLIENTS[service]


class Tally:
    """Every request event of this Locust process, counted where it is fired, written to
    ``$LOAD_TALLY_DIR/tally-<pid>.json`` when the process quits.

    Locust's master learns of its workers' requests from periodic reports, and the last ones can be lost
    when the run ends; an exact accounting of the writes (``harness load`` checks that every accepted
    write is one stream record) needs the counts of the processes that made the calls."""

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, f"tally-{os.getpid()}.json")
        self.counts: dict[str, dict[str, int]] = {}

    def on_request(self, request_type: str, name: str, exception: BaseException | None = None, **_: Any) -> None:
        row = self.counts.setdefault(f"{request_type} {name}", {"requests": 0, "failures": 0})
        row["requests"] += 1
        row["failures"] += exception is not None

    def on_quit(self, **_: Any) -> None:
        with open(self.path, "w") as f:
            json.dump(self.counts, f)


if os.environ.get("LOAD_TALLY_DIR"):
    _tally = Tally(os.environ["LOAD_TALLY_DIR"])
    events.request.add_listener(_tally.on_request)
    events.quit.add_listener(_tally.on_quit)


P = TypeVar("P")


def passes(rng: random.Random, plans: Sequence[P]) -> Iterator[tuple[str, P]]:
    """One plan after another, chosen at random, each pass with a fresh suffix for its keys: a user replays
    the plans generated once at import (generating while users run starves a loaded worker's heartbeats)
    and every pass writes items of its own."""
    while True:
        yield f"-{rng.getrandbits(48):012x}", rng.choice(plans)


def refresh_loop_clock() -> None:
    """Call at the end of a locustfile that takes long to import: gevent's loop caches "now" from before the
    import, and Locust's ``--run-time`` timer, set right after, would otherwise fire that much too early."""
    import gevent

    gevent.get_hub().loop.update_now()


def require_env(name: str, environ: dict[str, str]) -> str:
    """An environment variable a locustfile needs, or an error that says which and where it comes from."""
    value = environ.get(name)
    if not value:
        raise SystemExit(f"loadtests: set {name} (the resource names `harness up` prints under 'resources:'; "
                         "`harness load` sets it itself)")
    return value
