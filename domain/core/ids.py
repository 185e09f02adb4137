"""Global ids (Relay's opaque ids): the type and key of an object, base64url without
padding. The API hands them out, and so do webhook events (T5), which name what changed
by the same ids a partner system then asks the API about."""
from __future__ import annotations

import base64
from functools import lru_cache


@lru_cache(maxsize=16384)  # a page repeats ids (authors, accounts): encode each once
def global_id(type_name: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")
