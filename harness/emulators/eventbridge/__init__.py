"""EventBridge served by the harness: buses, rules, targets, PutEvents and TestEventPattern.

    models.py      the state and behaviour as plain objects (no HTTP)
    responses.py   AWS's JSON 1.1 protocol (X-Amz-Target: AWSEvents.<Op>) -> the model
    server.py      the HTTP endpoint on 127.0.0.1, and the hand-off of matched events to attached sinks
"""
from __future__ import annotations

from harness.emulators.eventbridge.models import BusEvent, EventsModel, Match, TargetModel, new_id
from harness.emulators.eventbridge.server import EventBridgeServer, Sink

__all__ = ["BusEvent", "EventBridgeServer", "EventsModel", "Match", "Sink", "TargetModel", "new_id"]
