"""One stream's life: opened when access holds, then for each announced event access
is decided again (auth/live.py) before anything is resolved; the stream ends with the
reason as soon as it no longer holds, or when the subscriber falls behind."""
from __future__ import annotations

from typing import Any, AsyncIterator, Callable

from graphql import GraphQLError

from auth.live import UNAUTHENTICATED, LiveAccess, live_access
from domain.core import account_clock
from infra.clock import utc_now
from domain.live.hub import SlowConsumer, Stream, hub
from domain.live.messages import Announced

SLOW_CONSUMER = "SLOW_CONSUMER"


def ended(code: str, message: str) -> GraphQLError:
    """What the stream's last message carries (yielded, it becomes the update's error)."""
    return GraphQLError(message, extensions={"code": code})


async def follow(context: Any, build: Callable[[Announced], Any], *,
                 dossier_id: int | None = None) -> AsyncIterator[Any]:
    token = getattr(context, "live_token", None)
    if token is None:  # only over a WebSocket opened with a token
        yield ended(UNAUTHENTICATED, "Subscribe over the WebSocket, with the access token in connection_init.")
        return
    settings = context.settings

    async def decide() -> LiveAccess:
        return await live_access(context.tokens, token, utc_now(), dossier_id=dossier_id)

    access = await decide()
    if access.principal is None:
        yield ended(access.refusal or UNAUTHENTICATED, access.message)
        return
    actor = access.principal.actor
    stream = hub.open(Stream(actor.user_id, actor.account_id, dossier_id, settings.live_queue_size),
                      dossier_account_id=access.dossier_account_id)
    try:
        while True:
            try:
                item = await stream.next(settings.live_recheck_seconds)
            except SlowConsumer:
                yield ended(SLOW_CONSUMER, "Updates came faster than this client read them; subscribe again "
                                           "and refetch what you show.")
                return
            access = await decide()
            if access.principal is None:
                yield ended(access.refusal or UNAUTHENTICATED, access.message)
                return
            if item is None or not item.deliver:
                continue  # only a re-check
            context.begin_delivery(access.principal, access.dossier)
            if settings.honours_test_clock:
                # O4: resolved at the account's test clock, like its requests, never the wall
                # clock (which would renew what its clock has not reached).
                context.now = await account_clock.business_now(access.principal.actor.account_id,
                                                               wall=context.now)
            yield build(item.event)
    finally:
        hub.close(stream)
