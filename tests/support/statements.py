"""Counting the SQL statements one GraphQL request sends (N+1 detection).

Tortoise logs every statement it sends — through the pool, a transaction wrapper, on
SQLite and on PostgreSQL alike — on the `tortoise.db_client` logger at DEBUG level, so
a handler there sees them all without patching any client class."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

_SQL = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class _StatementLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.lstrip().upper().startswith(_SQL):
            self.statements.append(text.strip())


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """`with counting_statements() as sql: …` — `sql` lists every statement sent inside."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level = _StatementLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def statements_of(api, query: str, variables: dict | None = None, **kwargs) -> list[str]:
    """The statements of one request, which must succeed without top-level errors (the
    test client's outbox delivery and executor comparison are not counted)."""
    deliver, api.deliver = api.deliver, False
    differential, api.differential = api.differential, False  # the reference run's statements are not these
    try:
        with counting_statements() as sql:
            await api.data(query, variables, **kwargs)
    finally:
        api.deliver, api.differential = deliver, differential
    return list(sql)


def shapes(statements: list[str]) -> list[str]:
    """Statements without their parameters, to show which query repeats."""
    return [s.rsplit(": ", 1)[0][:200] if s.rstrip().endswith(("]", ")", "None")) else s[:200]
            for s in statements]
