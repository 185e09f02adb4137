"""The execution deadline (SPEC O3): a request still executing after
`EXECUTION_TIMEOUT_SECONDS` is answered with the top-level error `DEADLINE_EXCEEDED`, and
its work is cancelled.

Cancellation reaches every field: graphql-core awaits sibling fields with
`asyncio.gather`, which cancels them all, and mutations run in the request's own task.
A database statement in flight is cancelled on the server too (asyncpg sends a cancel
request); a transaction interrupted anywhere, also while it begins or ends, is rolled
back and its connection returned (infra.db.transaction). What a timeout cannot
interrupt — synchronous work: parsing, validation, pricing, building the response — is
bounded by construction instead (api/abuse_limits.py: tokens, linear analysis, cost).

The clock starts when execution starts, after validation. The deadline is the
executor's, not a middleware's, so the error goes through the same extensions as any
other (request id, cost, logs, metrics).
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable

from graphql import GraphQLError
from graphql.execution import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class DeadlineExceeded(GraphQLError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The request did not finish within {seconds:g} seconds and was stopped. Ask for less "
            "at once, or try again later.",
            extensions={"code": "DEADLINE_EXCEEDED", "timeoutSeconds": seconds},
        )


async def _within(result: Awaitable[Any], seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await result
    except TimeoutError:
        return ExecutionResult(data=None, errors=[DeadlineExceeded(seconds)])


def deadline_executor(base: type[StrawberryGraphQLCoreExecutionContext],
                      seconds: float) -> type[StrawberryGraphQLCoreExecutionContext]:
    """`base` (the schema's executor), with its asynchronous part bounded by `seconds`."""

    class DeadlineExecutor(base):  # type: ignore[valid-type, misc]
        def execute_operation(self, serially: bool | None = None) -> Any:
            result = super().execute_operation(serially)
            if not self.is_awaitable(result):
                return result
            return _within(result, seconds)

    return DeadlineExecutor


def with_deadline(schema: Any, seconds: float) -> Any:
    """`schema`, executing under the deadline. (strawberry reads the executor class from
    the schema on every request; it is a constructor argument we set afterwards, so
    schema/schema.py stays unaware of HTTP concerns.)"""
    schema.execution_context_class = deadline_executor(schema.execution_context_class, seconds)
    return schema
