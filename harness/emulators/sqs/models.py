"""SQS's queues and messages as plain objects: state and behaviour, no HTTP (see responses.py).

One lock guards the whole model (SNS fan-out and redrive touch two queues at once); every queue
has a condition on it, so a long poll sleeps until a message arrives, a delay ends or a visibility
timeout expires, never polling. Every operation is O(1) or O(messages returned) in the number of
messages queued: a queue of 50,000 costs what an empty one does.

Standard queues hand out visible messages oldest first (a message whose visibility timeout expired
goes back to the front). FIFO queues keep each MessageGroupId's messages in order and hand out a
group only while none of its messages is in flight, so a group's batch is processed before its next.

Decisions where AWS is silent or not worth copying: time is injected (``now``) so tests can
move the clock; DeleteQueue frees the name at once (AWS asks to wait 60 s); ReceiveRequestAttemptId
is accepted and not replayed; a message redriven to its DLQ keeps its id, body, attributes and
SentTimestamp, and its receive count starts again at 0.
"""
from __future__ import annotations

import base64
import hashlib
import heapq
import itertools
import json
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.emulators.ids import new_id
from harness.emulators.sqs.exceptions import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidBatchEntryId,
    InvalidMessageContents,
    InvalidParameterValue,
    MessageNotInflight,
    MissingParameter,
    PurgeQueueInProgress,
    QueueDoesNotExist,
    QueueNameExists,
    ReceiptHandleIsInvalid,
    SqsError,
    TooManyEntriesInBatchRequest,
)

MAX_MESSAGE_BYTES = 262_144
MAX_BATCH_ENTRIES = 10
MAX_MESSAGE_ATTRIBUTES = 10
DEDUP_WINDOW_S = 300.0
PURGE_INTERVAL_S = 60.0

#: Settable queue attributes: default, and (low, high) for integers or the allowed values.
_INT_ATTRIBUTES = {"DelaySeconds": (0, 0, 900), "MaximumMessageSize": (262_144, 1024, 262_144),
                   "MessageRetentionPeriod": (345_600, 60, 1_209_600), "ReceiveMessageWaitTimeSeconds": (0, 0, 20),
                   "VisibilityTimeout": (30, 0, 43_200), "KmsDataKeyReusePeriodSeconds": (300, 60, 86_400)}
_CHOICE_ATTRIBUTES = {"FifoQueue": ("true", "false"), "ContentBasedDeduplication": ("true", "false"),
                      "SqsManagedSseEnabled": ("true", "false"), "DeduplicationScope": ("queue", "messageGroup"),
                      "FifoThroughputLimit": ("perQueue", "perMessageGroupId")}
_FREE_ATTRIBUTES = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")
_FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
_COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
           "ApproximateNumberOfMessagesDelayed")
_READ_ONLY = (*_COUNTS, "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn")
MESSAGE_SYSTEM_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount",
                             "ApproximateFirstReceiveTimestamp", "SequenceNumber", "MessageDeduplicationId",
                             "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn")

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
#: What a message body may hold: #x9 #xA #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF.
_INVALID_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

VISIBLE, INFLIGHT, DELAYED, GONE = "visible", "inflight", "delayed", "gone"


# -- MD5s, exactly as AWS computes them --------------------------------------------------------
def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """AWS's MD5OfMessageAttributes: per attribute, sorted by name, the name, the data type (each
    a 4-byte big-endian length then UTF-8 bytes), a transport byte (1 string, 2 binary) and the
    value (length then bytes)."""
    h = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        a = attributes[name]
        data_type = a["DataType"]
        for text in (name, data_type):
            raw = text.encode("utf-8")
            h.update(struct.pack(">I", len(raw)) + raw)
        if "BinaryValue" in a:
            value = a["BinaryValue"]
            h.update(b"\x02" + struct.pack(">I", len(value)) + value)
        else:
            raw = a["StringValue"].encode("utf-8")
            h.update(b"\x01" + struct.pack(">I", len(raw)) + raw)
    return h.hexdigest()


# -- state ------------------------------------------------------------------------------------
@dataclass(eq=False, slots=True)
class Message:
    id: str
    body: str
    md5_body: str
    attributes: dict[str, dict[str, Any]]  # AWS's shape; BinaryValue as bytes
    system_attributes: dict[str, dict[str, Any]]
    sent_ms: int
    sender_id: str
    group_id: str | None = None
    dedup_id: str | None = None
    sequence_number: str | None = None
    receive_count: int = 0
    first_receive_ms: int | None = None
    visible_at: float = 0.0
    receipt: str | None = None
    state: str = VISIBLE
    dlq_source_arn: str | None = None


@dataclass(eq=False)
class Queue:
    name: str
    url: str
    arn: str
    attributes: dict[str, str]
    created: float
    cond: threading.Condition
    tags: dict[str, str] = field(default_factory=dict)
    modified: float = 0.0
    messages: dict[str, Message] = field(default_factory=dict)  # every message not deleted, by id
    visible: deque[Message] = field(default_factory=deque)  # standard queues
    groups: dict[str, deque[Message]] = field(default_factory=dict)  # FIFO: visible messages per group
    busy_groups: dict[str, int] = field(default_factory=dict)  # FIFO: group -> messages in flight
    timeouts: list[tuple[float, int, Message]] = field(default_factory=list)  # in flight, by visible_at
    delayed: list[tuple[float, int, Message]] = field(default_factory=list)  # by visible_at
    counts: dict[str, int] = field(default_factory=lambda: {VISIBLE: 0, INFLIGHT: 0, DELAYED: 0})
    dedup: dict[tuple[str, str], tuple[float, str, str | None]] = field(default_factory=dict)
    last_purge: float = -1e18
    sequence: int = 0
    #: set from ``attributes`` at creation (FifoQueue cannot change afterwards)
    fifo: bool = field(init=False)
    #: attributes as every send and receive reads them, parsed once per change (see attributes_changed)
    _ints: dict[str, int] = field(init=False, repr=False)
    _redrive: tuple[str, int] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.fifo = self.attributes.get("FifoQueue") == "true"
        self.attributes_changed()

    def attributes_changed(self) -> None:
        """Parse again what ``int_attribute`` and ``redrive`` return: call after changing ``attributes``."""
        self._ints = {name: int(self.attributes.get(name, default)) for name, (default, _, _) in _INT_ATTRIBUTES.items()}
        text = self.attributes.get("RedrivePolicy")
        if text:
            policy = json.loads(text)
            self._redrive = policy["deadLetterTargetArn"], int(policy["maxReceiveCount"])
        else:
            self._redrive = None

    def int_attribute(self, name: str) -> int:
        return self._ints[name]

    @property
    def redrive(self) -> tuple[str, int] | None:
        return self._redrive


def _invalid_value(parameter: str, value: Any, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Value {value} for parameter {parameter} is invalid. Reason: {reason}.")


def _int_param(parameter: str, value: Any, low: int, high: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise _invalid_value(parameter, value, f"{parameter} must be an integer") from None
    if not low <= n <= high:
        raise _invalid_value(parameter, value, f"{parameter} must be >= {low} and <= {high}")
    return n


def check_batch(entries: Sequence[Mapping[str, Any]] | None, entry_shape: str) -> None:
    """The rules every *Batch call shares: 1-10 entries, distinct ids of 1-80 [A-Za-z0-9_-]."""
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry_shape} in the request.")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent {len(entries)}.")
    seen: set[str] = set()
    for e in entries:
        entry_id = e.get("Id")
        if not isinstance(entry_id, str) or not _BATCH_ID.match(entry_id):
            raise InvalidBatchEntryId("A batch entry id can only contain alphanumeric characters, hyphens and "
                                      "underscores. It can be at most 80 letters long.")
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)


def batch_failure(entry_id: str, error: SqsError) -> dict[str, Any]:
    return {"Id": entry_id, "SenderFault": error.sender_fault, "Code": error.code, "Message": error.message}


def _check_message_attributes(attributes: Mapping[str, Any], what: str = "message attribute") -> int:
    """Validate AWS's rules for message attributes; returns their size in bytes."""
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES:
        raise InvalidParameterValue(f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
                                    f"[{MAX_MESSAGE_ATTRIBUTES}].")
    size = 0
    for name, a in attributes.items():
        if (not _ATTRIBUTE_NAME.match(name) or name.startswith(".") or name.endswith(".") or ".." in name
                or name.lower().startswith(("aws.", "amazon."))):
            raise InvalidParameterValue(f"The {what} name '{name}' is invalid.")
        data_type = a.get("DataType") if isinstance(a, Mapping) else None
        if not data_type:
            raise InvalidParameterValue(f"The {what} '{name}' must contain a non-empty attribute type.")
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise InvalidParameterValue(f"The type of {what} '{name}' is invalid. You must use only the following "
                                        f"supported type prefixes: Binary, Number, String.")
        key = "BinaryValue" if base == "Binary" else "StringValue"
        value = a.get(key)
        if value is None or len(value) == 0:
            raise InvalidParameterValue(f"The {what} '{name}' must contain non-empty message attribute value for "
                                        f"message attribute type '{data_type}'.")
        if base == "Number":
            try:
                float(value)
            except ValueError:
                raise InvalidParameterValue(f"Can't cast the value of {what} '{name}' to a number.") from None
        raw = value if isinstance(value, bytes) else value.encode("utf-8")
        size += len(name.encode()) + len(data_type.encode()) + len(raw)
    return size


def _clean_attributes(attributes: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Keep only DataType and the value (binary values as bytes)."""
    out: dict[str, dict[str, Any]] = {}
    for name, a in (attributes or {}).items():
        a = dict(a)
        if isinstance(a.get("BinaryValue"), str):
            a["BinaryValue"] = base64.b64decode(a["BinaryValue"])
        keep = {"DataType": a.get("DataType")}
        for k in ("StringValue", "BinaryValue"):
            if a.get(k) is not None:
                keep[k] = a[k]
        out[name] = keep
    return out


def _wanted(names: Iterable[str] | None) -> Callable[[str], bool]:
    """MessageAttributeNames: "All" or ".*", exact names, "prefix.*"."""
    names = list(names or ())
    if not names:
        return lambda n: False
    if "All" in names or ".*" in names:
        return lambda n: True
    exact = {n for n in names if not n.endswith(".*")}
    prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))
    return lambda n: n in exact or (bool(prefixes) and n.startswith(prefixes))


def _encode_receipt(message_id: str, count: int) -> str:
    return base64.urlsafe_b64encode(f"{message_id}:{count}:{new_id()}".encode()).decode()


def _decode_receipt(handle: Any) -> str:
    try:
        message_id, _count, _token = base64.urlsafe_b64decode(handle.encode()).decode().split(":")
        return message_id
    except (ValueError, AttributeError, UnicodeError):
        raise ReceiptHandleIsInvalid(f'The input receipt handle "{handle}" is not a valid receipt handle.') from None


class SqsModel:
    """Every queue of one account and region; ``reset()`` empties it (per-test isolation)."""

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012",
                 url_base: str = "http://127.0.0.1", now: Callable[[], float] = time.time) -> None:
        self.region = region
        self.account_id = account_id
        self.url_base = url_base.rstrip("/")
        self.now = now
        self.lock = threading.Lock()
        self.queues: dict[str, Queue] = {}
        self._by_arn: dict[str, Queue] = {}
        self._tick = itertools.count()

    def reset(self) -> None:
        with self.lock:
            for q in self.queues.values():
                q.cond.notify_all()
            self.queues.clear()
            self._by_arn.clear()

    # -- lookup -----------------------------------------------------------------------------
    def queue(self, url: str | None) -> Queue:
        """A queue by URL (any host: ``.../ACCOUNT/NAME``) or ARN."""
        if not url:
            raise MissingParameter("The request must contain the parameter QueueUrl.")
        q = self._by_arn.get(url)
        if q is None:
            parts = url.rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] == self.account_id:
                q = self.queues.get(parts[-1])
        if q is None:
            raise QueueDoesNotExist("The specified queue does not exist.")
        return q

    def get_queue_url(self, name: str, owner: str | None = None) -> str:
        with self.lock:
            q = self.queues.get(name)
            if q is None or (owner and owner != self.account_id):
                raise QueueDoesNotExist("The specified queue does not exist.")
            return q.url

    # -- queues ---------------------------------------------------------------------------------
    def create_queue(self, name: str | None, attributes: Mapping[str, str] | None = None,
                     tags: Mapping[str, str] | None = None) -> str:
        if not name:
            raise MissingParameter("The request must contain the parameter QueueName.")
        attributes = {k: str(v) for k, v in (attributes or {}).items()}
        fifo = name.endswith(".fifo")
        base = name[:-5] if fifo else name
        if not _QUEUE_NAME.match(base) or len(name) > 80:
            raise InvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 "
                                        "in length")
        if fifo != (attributes.get("FifoQueue", "false") == "true"):
            raise InvalidParameterValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                                        "or underscores, must end with .fifo suffix and be 1 to 80 in length.")
        with self.lock:
            self._check_attributes(attributes, fifo, creating=True)
            existing = self.queues.get(name)
            if existing is not None:
                for k, v in attributes.items():
                    if self._attribute(existing, k) != v:
                        raise QueueNameExists(f"A queue already exists with the same name and a different value for "
                                              f"attribute {k}")
                return existing.url
            now = self.now()
            full = dict(attributes)
            if fifo:
                full.setdefault("ContentBasedDeduplication", "false")
                full.setdefault("DeduplicationScope", "queue")
                full.setdefault("FifoThroughputLimit", "perQueue")
            q = Queue(name, f"{self.url_base}/{self.account_id}/{name}",
                      f"arn:aws:sqs:{self.region}:{self.account_id}:{name}", full, now,
                      threading.Condition(self.lock), dict(tags or {}), now)
            self.queues[name] = q
            self._by_arn[q.arn] = q
            return q.url

    def delete_queue(self, url: str) -> None:
        with self.lock:
            q = self.queue(url)
            del self.queues[q.name]
            del self._by_arn[q.arn]
            q.cond.notify_all()

    def list_queues(self, prefix: str | None = None) -> list[str]:
        with self.lock:
            return [q.url for name, q in sorted(self.queues.items()) if not prefix or name.startswith(prefix)]

    def list_dead_letter_source_queues(self, url: str) -> list[str]:
        with self.lock:
            dlq = self.queue(url)
            return [q.url for q in self.queues.values() if q.redrive and q.redrive[0] == dlq.arn]

    def purge_queue(self, url: str) -> None:
        with self.lock:
            q = self.queue(url)
            now = self.now()
            if now - q.last_purge < PURGE_INTERVAL_S:
                raise PurgeQueueInProgress(f"Only one PurgeQueue operation on {q.name} is allowed every 60 seconds.")
            q.last_purge = now
            for m in q.messages.values():
                m.state = GONE
            q.messages.clear()
            q.visible.clear()
            q.groups.clear()
            q.busy_groups.clear()
            q.timeouts.clear()
            q.delayed.clear()
            q.counts = {VISIBLE: 0, INFLIGHT: 0, DELAYED: 0}

    def _check_attributes(self, attributes: Mapping[str, str], fifo: bool, creating: bool) -> None:
        for k, v in attributes.items():
            if k in _INT_ATTRIBUTES:
                _, low, high = _INT_ATTRIBUTES[k]
                if not v.lstrip("-").isdigit() or not low <= int(v) <= high:
                    raise InvalidAttributeValue(f"Invalid value for the parameter {k}.")
            elif k in _CHOICE_ATTRIBUTES:
                if v not in _CHOICE_ATTRIBUTES[k]:
                    raise InvalidAttributeValue(f"Invalid value for the parameter {k}.")
                if k == "FifoQueue" and not creating:
                    raise InvalidAttributeName("Unknown Attribute FifoQueue.")
                if k in _FIFO_ONLY and not fifo:
                    raise InvalidAttributeName(f"Unknown Attribute {k}.")
            elif k == "RedrivePolicy":
                self._check_redrive(v, fifo)
            elif k not in _FREE_ATTRIBUTES:
                raise InvalidAttributeName(f"Unknown Attribute {k}.")

    def _check_redrive(self, text: str, fifo: bool) -> None:
        if text == "":
            return
        try:
            policy = json.loads(text)
            arn, count = policy["deadLetterTargetArn"], int(policy["maxReceiveCount"])
        except (ValueError, KeyError, TypeError):
            raise InvalidParameterValue(f"Value {text} for parameter RedrivePolicy is invalid. Reason: Redrive "
                                        f"policy is not a valid JSON map with deadLetterTargetArn and "
                                        f"maxReceiveCount.") from None
        if not 1 <= count <= 1000:
            raise _invalid_value("RedrivePolicy", text, "Invalid value for maxReceiveCount: "
                                 f"{count}, valid values are from 1 to 1000 both inclusive")
        dlq = self._by_arn.get(arn)
        if dlq is None:
            raise _invalid_value("RedrivePolicy", text, "Dead letter target does not exist")
        if dlq.fifo != fifo:
            raise _invalid_value("RedrivePolicy", text, "Dead-letter queue must be same type of queue as the "
                                 "source")

    def set_queue_attributes(self, url: str, attributes: Mapping[str, str]) -> None:
        attributes = {k: str(v) for k, v in attributes.items()}
        with self.lock:
            q = self.queue(url)
            self._check_attributes(attributes, q.fifo, creating=False)
            for k, v in attributes.items():
                if v == "" and k in _FREE_ATTRIBUTES:
                    q.attributes.pop(k, None)
                else:
                    q.attributes[k] = v
            q.attributes_changed()
            q.modified = self.now()
            q.cond.notify_all()  # a shorter wait time or delay

    def _attribute(self, q: Queue, name: str) -> str | None:
        if name in _INT_ATTRIBUTES:
            return str(q.int_attribute(name))
        if name in q.attributes:
            return q.attributes[name]
        return {"SqsManagedSseEnabled": "true", "FifoQueue": None if not q.fifo else "true"}.get(name)

    def get_queue_attributes(self, url: str, names: Sequence[str]) -> dict[str, str]:
        with self.lock:
            q = self.queue(url)
            self._promote(q, self.now())
            everything = list(_READ_ONLY) + list(_INT_ATTRIBUTES) + list(_CHOICE_ATTRIBUTES) + list(_FREE_ATTRIBUTES)
            wanted = everything if "All" in names else list(names)  # no names: no attributes, as on AWS
            out: dict[str, str] = {}
            for name in wanted:
                if name not in everything:
                    raise InvalidAttributeName(f"Unknown Attribute {name}.")
                value = {"ApproximateNumberOfMessages": q.counts[VISIBLE],
                         "ApproximateNumberOfMessagesNotVisible": q.counts[INFLIGHT],
                         "ApproximateNumberOfMessagesDelayed": q.counts[DELAYED],
                         "CreatedTimestamp": int(q.created), "LastModifiedTimestamp": int(q.modified),
                         "QueueArn": q.arn}.get(name, self._attribute(q, name))
                if value is not None:
                    out[name] = str(value)
            return out

    def tag_queue(self, url: str, tags: Mapping[str, str]) -> None:
        with self.lock:
            q = self.queue(url)
            if len({**q.tags, **tags}) > 50:
                raise InvalidParameterValue("Too many tags added for queue " + q.name + ".")
            q.tags.update(tags)

    def untag_queue(self, url: str, keys: Sequence[str]) -> None:
        with self.lock:
            q = self.queue(url)
            for k in keys:
                q.tags.pop(k, None)

    def list_queue_tags(self, url: str) -> dict[str, str]:
        with self.lock:
            return dict(self.queue(url).tags)

    # -- sending ----------------------------------------------------------------------------------
    def send_message(self, url: str, body: str | None, delay_seconds: int | None = None,
                     attributes: Mapping[str, Any] | None = None,
                     system_attributes: Mapping[str, Any] | None = None, group_id: str | None = None,
                     dedup_id: str | None = None, sender_id: str | None = None) -> dict[str, Any]:
        """SendMessage: the response's fields (MessageId, MD5s, SequenceNumber for FIFO)."""
        with self.lock:
            q = self.queue(url)
            out = self._send(q, body, delay_seconds, attributes, system_attributes, group_id, dedup_id, sender_id)
            q.cond.notify()
            return out

    def send_message_batch(self, url: str, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        check_batch(entries, "SendMessageBatchRequestEntry")
        with self.lock:
            q = self.queue(url)
            size = sum(len((e.get("MessageBody") or "").encode()) + _check_message_attributes(
                e.get("MessageAttributes") or {}) for e in entries)
            if size > MAX_MESSAGE_BYTES:
                raise BatchRequestTooLong(f"Batch requests cannot be longer than {MAX_MESSAGE_BYTES} bytes. "
                                          f"You have sent {size} bytes.")
            ok, failed = [], []
            for e in entries:
                try:
                    sent = self._send(q, e.get("MessageBody"), e.get("DelaySeconds"), e.get("MessageAttributes"),
                                      e.get("MessageSystemAttributes"), e.get("MessageGroupId"),
                                      e.get("MessageDeduplicationId"), None)
                except SqsError as err:
                    failed.append(batch_failure(e["Id"], err))
                else:
                    ok.append({"Id": e["Id"], **sent})
            q.cond.notify(len(ok))
            return {"Successful": ok, "Failed": failed}

    def _send(self, q: Queue, body: str | None, delay_seconds: Any, attributes: Mapping[str, Any] | None,
              system_attributes: Mapping[str, Any] | None, group_id: str | None, dedup_id: str | None,
              sender_id: str | None) -> dict[str, Any]:
        if body is None or body == "":
            raise MissingParameter("The request must contain the parameter MessageBody.")
        if _INVALID_CHARS.search(body):
            raise InvalidMessageContents("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
                                         "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
        attrs = _clean_attributes(attributes) if attributes else {}
        size = len(body.encode("utf-8")) + (_check_message_attributes(attrs) if attrs else 0)
        system = _clean_attributes(system_attributes) if system_attributes else {}
        for name in system:
            if name != "AWSTraceHeader":
                raise InvalidParameterValue(f"Message system attribute name '{name}' is invalid.")
        limit = q.int_attribute("MaximumMessageSize")
        if size > limit:
            raise InvalidParameterValue(f"One or more parameters are invalid. Reason: Message must be shorter than "
                                        f"{limit} bytes.")
        now = self.now()
        delay = q.int_attribute("DelaySeconds")
        if delay_seconds is not None:
            if q.fifo:
                raise _invalid_value("DelaySeconds", delay_seconds,
                                     "The request include parameter that is not valid for this queue type")
            delay = _int_param("DelaySeconds", delay_seconds, 0, 900)
        sequence = None
        if q.fifo:
            if not group_id:
                raise MissingParameter("The request must contain the parameter MessageGroupId.")
            if not dedup_id:
                if q.attributes.get("ContentBasedDeduplication") != "true":
                    raise InvalidParameterValue("The queue should either have ContentBasedDeduplication enabled or "
                                                "MessageDeduplicationId provided explicitly")
                dedup_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
            key = (group_id if q.attributes.get("DeduplicationScope") == "messageGroup" else "", dedup_id)
            seen = q.dedup.get(key)
            if seen is not None and seen[0] > now:  # a duplicate: accepted, not enqueued
                return self._sent_fields(seen[1], body, attrs, system, seen[2])
            q.sequence += 1
            sequence = f"{q.sequence:020d}"
        elif dedup_id:
            raise _invalid_value("MessageDeduplicationId", dedup_id,
                                 "The request include parameter that is not valid for this queue type")
        m = Message(new_id(), body, md5_of_body(body), attrs, system, int(now * 1000), sender_id or self.account_id,
                    group_id, dedup_id if q.fifo else None, sequence)
        if q.fifo:
            self._expire_dedup(q, now)
            q.dedup[key] = (now + DEDUP_WINDOW_S, m.id, sequence)
        q.messages[m.id] = m
        if delay > 0:
            m.state, m.visible_at = DELAYED, now + delay
            q.counts[DELAYED] += 1
            heapq.heappush(q.delayed, (m.visible_at, next(self._tick), m))
        else:
            self._make_visible(q, m, front=False)
        return self._sent_fields(m.id, body, attrs, system, sequence, m.md5_body)

    @staticmethod
    def _sent_fields(message_id: str, body: str, attrs: Mapping[str, Any], system: Mapping[str, Any],
                     sequence: str | None, md5: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"MessageId": message_id, "MD5OfMessageBody": md5 or md5_of_body(body)}
        if attrs:
            out["MD5OfMessageAttributes"] = md5_of_attributes(attrs)
        if system:
            out["MD5OfMessageSystemAttributes"] = md5_of_attributes(system)
        if sequence is not None:
            out["SequenceNumber"] = sequence
        return out

    @staticmethod
    def _expire_dedup(q: Queue, now: float) -> None:
        while q.dedup:  # insertion order is expiry order: drop the expired head
            key, (expires, _, _) = next(iter(q.dedup.items()))
            if expires > now:
                break
            del q.dedup[key]

    # -- state transitions (under the lock) -----------------------------------------------------
    def _make_visible(self, q: Queue, m: Message, front: bool) -> None:
        q.counts[VISIBLE] += 1
        m.state = VISIBLE
        if not q.fifo:
            (q.visible.appendleft if front else q.visible.append)(m)
            return
        group = q.groups.setdefault(m.group_id or "", deque())
        if not group or group[-1].sequence_number < m.sequence_number:  # type: ignore[operator]
            group.append(m)
            return
        i = 0
        while i < len(group) and group[i].sequence_number < m.sequence_number:  # type: ignore[operator]
            i += 1
        group.insert(i, m)

    def _leave_flight(self, q: Queue, m: Message) -> None:
        q.counts[INFLIGHT] -= 1
        if q.fifo:
            g = m.group_id or ""
            left = q.busy_groups[g] - 1
            if left:
                q.busy_groups[g] = left
            else:
                del q.busy_groups[g]

    def _remove(self, q: Queue, m: Message) -> None:
        """Delete a message whatever its state (visible and delayed ones are skipped lazily)."""
        if m.state == INFLIGHT:
            self._leave_flight(q, m)
        elif m.state in (VISIBLE, DELAYED):
            q.counts[m.state] -= 1
        m.state = GONE
        q.messages.pop(m.id, None)

    def _promote(self, q: Queue, now: float) -> None:
        """Delayed messages whose delay ended, and in-flight ones whose visibility timeout expired,
        become visible."""
        while q.delayed and q.delayed[0][0] <= now:
            _, _, m = heapq.heappop(q.delayed)
            if m.state == DELAYED:
                q.counts[DELAYED] -= 1
                self._make_visible(q, m, front=False)
        while q.timeouts and q.timeouts[0][0] <= now:
            due, _, m = heapq.heappop(q.timeouts)
            if m.state == INFLIGHT and m.visible_at == due:
                self._leave_flight(q, m)
                self._make_visible(q, m, front=True)

    def _next_due(self, q: Queue) -> float | None:
        dues = [h[0][0] for h in (q.delayed, q.timeouts) if h]
        return min(dues) if dues else None

    # -- receiving --------------------------------------------------------------------------------
    def receive_message(self, url: str, max_messages: Any = None, visibility_timeout: Any = None,
                        wait_seconds: Any = None, attribute_names: Sequence[str] | None = None,
                        message_attribute_names: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """ReceiveMessage: up to ``max_messages`` messages, waiting up to ``wait_seconds`` (the
        queue's ReceiveMessageWaitTimeSeconds when None) for the first one to be visible."""
        n = 1 if max_messages is None else _int_param("MaxNumberOfMessages", max_messages, 1, 10)
        want_system = _system_names(attribute_names)
        want_attr = _wanted(message_attribute_names)
        with self.lock:
            q = self.queue(url)
            vis = (q.int_attribute("VisibilityTimeout") if visibility_timeout is None
                   else _int_param("VisibilityTimeout", visibility_timeout, 0, 43_200))
            wait = (q.int_attribute("ReceiveMessageWaitTimeSeconds") if wait_seconds is None
                    else _int_param("WaitTimeSeconds", wait_seconds, 0, 20))
            deadline = time.monotonic() + wait
            while True:
                now = self.now()
                self._promote(q, now)
                got = self._take(q, n, vis, now)
                left = deadline - time.monotonic()
                if got or left <= 0 or self.queues.get(q.name) is not q:
                    break
                due = self._next_due(q)
                q.cond.wait(left if due is None else min(left, max(due - now, 0.001)))
            return [self._render(q, m, want_system, want_attr) for m in got]

    def _take(self, q: Queue, n: int, vis: int, now: float) -> list[Message]:
        got: list[Message] = []
        retention = q.int_attribute("MessageRetentionPeriod") * 1000
        redrive = q.redrive
        now_ms = int(now * 1000)
        sources: Iterable[tuple[str | None, deque[Message]]] = (
            [(g, d) for g, d in q.groups.items() if d and g not in q.busy_groups] if q.fifo else [(None, q.visible)])
        for group, dq in sources:
            while dq and len(got) < n:
                m = dq.popleft()
                if m.state != VISIBLE:
                    continue
                q.counts[VISIBLE] -= 1
                if now_ms - m.sent_ms > retention:
                    m.state = GONE
                    q.messages.pop(m.id, None)
                    continue
                if redrive and m.receive_count >= redrive[1] and self._redrive(q, m, redrive[0]):
                    continue
                m.receive_count += 1
                if m.first_receive_ms is None:
                    m.first_receive_ms = now_ms
                m.receipt = _encode_receipt(m.id, m.receive_count)
                m.state, m.visible_at = INFLIGHT, now + vis
                q.counts[INFLIGHT] += 1
                if group is not None:
                    q.busy_groups[group] = q.busy_groups.get(group, 0) + 1
                heapq.heappush(q.timeouts, (m.visible_at, next(self._tick), m))
                got.append(m)
            if group is not None and not dq:
                del q.groups[group]
            if len(got) >= n:
                break
        if vis == 0 and got:  # visible again at once, for the next receive
            self._promote(q, now)
        return got

    def _redrive(self, q: Queue, m: Message, dlq_arn: str) -> bool:
        """Move a message received maxReceiveCount times to the DLQ (False if the DLQ is gone)."""
        dlq = self._by_arn.get(dlq_arn)
        if dlq is None:
            return False
        m.state = GONE
        q.messages.pop(m.id, None)
        moved = Message(m.id, m.body, m.md5_body, m.attributes, m.system_attributes, m.sent_ms, m.sender_id,
                        m.group_id, m.dedup_id, None, dlq_source_arn=q.arn)
        if dlq.fifo:
            dlq.sequence += 1
            moved.sequence_number = f"{dlq.sequence:020d}"
        dlq.messages[moved.id] = moved
        self._make_visible(dlq, moved, front=False)
        dlq.cond.notify()
        return True

    def _render(self, q: Queue, m: Message, want_system: Callable[[str], bool],
                want_attr: Callable[[str], bool]) -> dict[str, Any]:
        out: dict[str, Any] = {"MessageId": m.id, "ReceiptHandle": m.receipt, "MD5OfBody": m.md5_body, "Body": m.body}
        system = {"SenderId": m.sender_id, "SentTimestamp": str(m.sent_ms),
                  "ApproximateReceiveCount": str(m.receive_count),
                  "ApproximateFirstReceiveTimestamp": str(m.first_receive_ms),
                  "SequenceNumber": m.sequence_number, "MessageDeduplicationId": m.dedup_id,
                  "MessageGroupId": m.group_id, "DeadLetterQueueSourceArn": m.dlq_source_arn,
                  "AWSTraceHeader": m.system_attributes.get("AWSTraceHeader", {}).get("StringValue")}
        chosen = {k: v for k, v in system.items() if v is not None and want_system(k)}
        if chosen:
            out["Attributes"] = chosen
        attrs = {k: v for k, v in m.attributes.items() if want_attr(k)}
        if attrs:
            out["MessageAttributes"] = attrs
            out["MD5OfMessageAttributes"] = md5_of_attributes(attrs)
        return out

    # -- deleting and visibility ------------------------------------------------------------------
    def _by_receipt(self, q: Queue, handle: Any) -> Message | None:
        message_id = _decode_receipt(handle)
        m = q.messages.get(message_id)
        if m is not None and q.fifo and (m.state != INFLIGHT or m.receipt != handle):
            raise _invalid_value("ReceiptHandle", handle, "The receipt handle has expired")
        return m

    def delete_message(self, url: str, receipt_handle: Any) -> None:
        with self.lock:
            q = self.queue(url)
            self._delete(q, receipt_handle)

    def _delete(self, q: Queue, handle: Any) -> None:
        m = self._by_receipt(q, handle)
        if m is not None:  # an already deleted message: success, as on AWS
            self._remove(q, m)
            if q.fifo:
                q.cond.notify()  # its group may be free

    def delete_message_batch(self, url: str, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        check_batch(entries, "DeleteMessageBatchRequestEntry")
        with self.lock:
            q = self.queue(url)
            return self._each(entries, lambda e: self._delete(q, e.get("ReceiptHandle")))

    def change_message_visibility(self, url: str, receipt_handle: Any, timeout: Any) -> None:
        with self.lock:
            q = self.queue(url)
            self._change(q, receipt_handle, timeout)

    def _change(self, q: Queue, handle: Any, timeout: Any) -> None:
        seconds = _int_param("VisibilityTimeout", timeout, 0, 43_200)
        message_id = _decode_receipt(handle)
        m = q.messages.get(message_id)
        if m is None or m.state != INFLIGHT:
            raise MessageNotInflight("Message does not exist or is not available for visibility timeout change.")
        if m.receipt != handle:
            raise _invalid_value("ReceiptHandle", handle, "The receipt handle has expired")
        now = self.now()
        m.visible_at = now + seconds
        heapq.heappush(q.timeouts, (m.visible_at, next(self._tick), m))
        if seconds == 0:
            self._promote(q, now)
        q.cond.notify()

    def change_message_visibility_batch(self, url: str, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        with self.lock:
            q = self.queue(url)
            return self._each(entries, lambda e: self._change(q, e.get("ReceiptHandle"), e.get("VisibilityTimeout")))

    @staticmethod
    def _each(entries: Sequence[Mapping[str, Any]], op: Callable[[Mapping[str, Any]], None]) -> dict[str, Any]:
        ok, failed = [], []
        for e in entries:
            try:
                op(e)
            except SqsError as err:
                failed.append(batch_failure(e["Id"], err))
            else:
                ok.append({"Id": e["Id"]})
        return {"Successful": ok, "Failed": failed}


def _system_names(names: Sequence[str] | None) -> Callable[[str], bool]:
    names = list(names or ())
    for n in names:
        if n not in ("All", *MESSAGE_SYSTEM_ATTRIBUTES):
            raise InvalidAttributeName(f"Unknown Attribute {n}.")
    return _wanted(names)


__all__ = ["MAX_MESSAGE_BYTES", "Message", "Queue", "SqsModel", "batch_failure", "check_batch", "md5_of_attributes",
           "md5_of_body"]
