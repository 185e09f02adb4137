"""Services a test may need beside the database."""
from __future__ import annotations

import socket


def redis_up() -> bool:
    """Whether the local Redis answers (tests that need it skip otherwise)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.3).close()
        return True
    except OSError:
        return False
