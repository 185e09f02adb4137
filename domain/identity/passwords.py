"""Passwords are stored only as argon2id hashes (P4)."""
from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2id with the library's recommended cost (RFC 9106, low-memory profile).
PRODUCTION_PROFILE = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(PRODUCTION_PROFILE)
# Verified against when the email is unknown, so both paths cost the same (P4).
_DUMMY_HASH = _hasher.hash("casebook-timing-equaliser")


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash and verify with `hasher` from now on (the test suite hands in argon2's cheapest
    parameters: it hashes hundreds of passwords). The service never calls this."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = _hasher.hash("casebook-timing-equaliser")


def current_cost() -> tuple[int, int, int]:
    """(time cost, memory KiB, parallelism) of new hashes; a test pins production's."""
    return _hasher.time_cost, _hasher.memory_cost, _hasher.parallelism


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    """verify_password in a worker thread: argon2 takes tens of milliseconds of CPU (and
    releases the GIL), and on the event loop it would stall every other request of the
    process meanwhile — under a burst of sign-ins, long enough for pools to time out."""
    return await asyncio.to_thread(verify_password, password_hash, password)


async def hash_password_off_loop(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
