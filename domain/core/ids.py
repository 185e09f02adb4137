"""Global ids (Relay's opaque ids): the type and key of an object, base64url without
padding. The API hands them out, and so do webhook events (T5), which name what changed
by the same ids a partner system then asks the API about."""
from __future__ import annotations

from binascii import b2a_base64
from functools import lru_cache


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def b64url(text: str) -> str:
    """base64url of the text's UTF-8, without padding: `base64.urlsafe_b64encode` in C
    calls only (a page encodes over a hundred ids and cursors)."""
    return b2a_base64(text.encode(), newline=False).translate(_URL_SAFE).rstrip(b"=").decode()


@lru_cache(maxsize=16384)  # a page repeats ids (authors, accounts): encode each once
def global_id(type_name: str, key: int) -> str:
    return b64url(f"{type_name}:{key}")
