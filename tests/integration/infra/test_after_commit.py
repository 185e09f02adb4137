"""`after_commit` (infra/db.py): what a transaction schedules runs once the outermost
transaction committed, never after a rollback — also of a nested one back to its
savepoint (SPEC O1, T7)."""
from __future__ import annotations

import pytest

from infra.db import after_commit, transaction


async def test_runs_after_the_outermost_commit_and_never_after_a_rollback(db):
    ran: list[str] = []
    async with transaction():
        after_commit(lambda: ran.append("outer"))
        with pytest.raises(RuntimeError):
            async with transaction():
                after_commit(lambda: ran.append("rolled back savepoint"))
                raise RuntimeError("inner fails")
        async with transaction():
            after_commit(lambda: ran.append("inner"))
        assert ran == []  # nothing before the outermost commits
    assert ran == ["outer", "inner"]
    with pytest.raises(RuntimeError):
        async with transaction():
            after_commit(lambda: ran.append("never"))
            raise RuntimeError("rolled back")
    assert ran == ["outer", "inner"]
    assert after_commit(lambda: ran.append("outside")) is False and ran == ["outer", "inner"]
