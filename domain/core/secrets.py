"""Secrets that travel once (invitation, verification and reset tokens, refresh tokens,
machine-credential secrets) and the one way they are stored: a SHA-256 of the token.

A plain hash is enough here, unlike passwords: every token is 32 random bytes, so there is
nothing to guess and no need for a slow hash."""
from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
# Longer input is never one of ours; refuse it before hashing (and before any lookup).
MAX_TOKEN_LENGTH = 200


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
