"""Composition of the program's parts: who listens to domain events. The domain announces
events without knowing their subscribers (domain/events.py); this is the one place that
names them. The ASGI app, `casebook worker` and the tests call `wire()` at start."""
from __future__ import annotations

from domain import events
from domain.live import publish as live
from domain.webhooks import fanout


def wire() -> None:
    """Subscribe every consumer of domain events; safe to call more than once."""
    events.subscribe(fanout.on_event)
    events.subscribe(live.on_event)  # live updates to open streams, after commit (T7)
