"""Hypothesis's example budget for the whole suite, in one place: 100 examples a property (its
default) on every run; ``pytest --hypothesis-profile=thorough`` searches ten times deeper."""
from __future__ import annotations

from hypothesis import settings

settings.register_profile("suite", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile("suite")  # --hypothesis-profile, applied after this, still chooses another
