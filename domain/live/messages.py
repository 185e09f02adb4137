"""The message one committed event becomes on the broker: the event's name, account,
time, sequence and ids, plus the people it is addressed to (a share's holder). Ids only:
PostgreSQL's NOTIFY carries at most 8000 bytes, and content must not travel anyway."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from domain.events import Event

CHANNEL = "casebook_live"


@dataclass(frozen=True)
class Announced:
    """A committed event as the streams of every process receive it."""
    name: str
    account_id: int
    at: datetime
    sequence: int = 0
    ids: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    # People the event is about (a share's holder): their viewer streams receive it.
    user_ids: tuple[int, ...] = ()

    @property
    def dossier_id(self) -> int | None:
        found = self.ids.get("dossierId")
        return found[1] if found else None


def encode(event: Event, user_ids: tuple[int, ...] = ()) -> str:
    return json.dumps({"n": event.name, "a": event.account_id, "t": event.at.isoformat(),
                       "s": event.sequence, "i": {k: [t, key] for k, (t, key) in event.ids.items()},
                       "u": list(user_ids)}, separators=(",", ":"))


def decode(text: str | bytes) -> Announced | None:
    """None for anything malformed (a foreign publisher on the channel is ignored)."""
    try:
        raw: Any = json.loads(text)
        return Announced(str(raw["n"]), int(raw["a"]), datetime.fromisoformat(raw["t"]), int(raw.get("s", 0)),
                         {str(k): (str(v[0]), int(v[1])) for k, v in raw.get("i", {}).items()},
                         tuple(int(u) for u in raw.get("u", ())))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
