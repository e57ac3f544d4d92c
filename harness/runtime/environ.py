"""os.environ shared by overlapping owners (harnesses, a running function), each restoring exactly
what it set.

Every owner pushes a layer (the variables it sets); a variable's value is the one of the newest
layer still present that sets it, else what the process had before any layer touched it. Popping a
layer, in any order, recomputes only its variables: stopping one harness never removes another's
endpoints, credentials or region, so plain boto3 code cannot fall through to a real AWS profile
while any harness is up. Changes happen under one lock, a whole layer at a time.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping


class Layer:
    """What one owner set; hand it back to :meth:`EnvironmentLayers.pop`."""

    __slots__ = ("env", "owner")

    def __init__(self, owner: str, env: Mapping[str, str]) -> None:
        self.owner = owner
        self.env = dict(env)


class EnvironmentLayers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._layers: list[Layer] = []
        self._before: dict[str, str | None] = {}   # a variable's value before the first layer that set it

    def push(self, owner: str, env: Mapping[str, str]) -> Layer:
        layer = Layer(owner, env)
        with self._lock:
            for k, v in layer.env.items():
                if k not in self._before:
                    self._before[k] = os.environ.get(k)
                os.environ[k] = v
            self._layers.append(layer)
        return layer

    def pop(self, layer: Layer) -> None:
        with self._lock:
            if not any(x is layer for x in self._layers):
                raise ValueError(f"environment layer of {layer.owner} is not applied (popped twice?)")
            self._layers = [x for x in self._layers if x is not layer]
            for k in layer.env:
                value = next((x.env[k] for x in reversed(self._layers) if k in x.env), None)
                if value is None:
                    value = self._before.pop(k)
                if value is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = value

    @property
    def owners(self) -> list[str]:
        with self._lock:
            return [x.owner for x in self._layers]


#: The process's one os.environ, so its one set of layers.
ENVIRON = EnvironmentLayers()
