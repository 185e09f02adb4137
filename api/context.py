"""Building the per-request context: clocks, principal, loaders."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request

from auth.principal import principal_from_token
from auth.tokens import TokenService
from domain.core import account_clock
from infra.clock import utc_now
from api.http import exchange_var
from domain.core.errors import AccessTokenExpired, Unauthenticated
from infra.settings import Settings
from infra.tracing import request_id_var
from schema.context import Context


async def settle_test_clock(request: Request, principal: Any, sent_or_wall: datetime,
                            security_now: datetime) -> datetime:
    """O4: a request acting in an account with `X-Casebook-Now` runs at that time and
    moves the account's clock forward to it (never back); one without the header runs
    at the account's clock, when it has one."""
    account_id = principal.actor.account_id
    if account_id is None:
        return sent_or_wall
    # A person's principal read the clock in its own statement; a machine's did not.
    known = principal.session_id is not None
    if getattr(request.state, "test_clock_sent", False):
        if not (known and principal.test_clock is not None and principal.test_clock >= sent_or_wall):
            await account_clock.move_forward(account_id, sent_or_wall, reread=False)
        return sent_or_wall
    clock = principal.test_clock if known else await account_clock.test_clock(account_id)
    if clock is None:
        return security_now
    request.state.business_now = clock  # echoed in X-Casebook-Now (api.clock)
    return clock


async def build_context(request: Request, settings: Settings, tokens: TokenService,
                        catalog: Any) -> Context:
    security_now = utc_now()
    business_now = security_now
    if settings.honours_test_clock:
        # Fixed once per request by api.clock.BusinessClockMiddleware, which echoes it.
        business_now = getattr(request.state, "business_now", None) or security_now
    principal = None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            principal = await principal_from_token(tokens, token.strip(), security_now)
        except Unauthenticated as error:
            principal = None  # public operations still work; the rest answer UNAUTHENTICATED
            exchange = exchange_var.get()
            if isinstance(error, AccessTokenExpired) and exchange is not None:
                exchange.token_expired = True  # … or TOKEN_EXPIRED (api/http.py)
    if settings.honours_test_clock and principal is not None:
        business_now = await settle_test_clock(request, principal, business_now, security_now)
    return Context(
        request=request,
        settings=settings,
        tokens=tokens,
        now=business_now,
        security_now=security_now,
        request_id=request_id_var.get() or "-",
        principal=principal,
        catalog=catalog,
        test_clock_sent=settings.honours_test_clock and bool(getattr(request.state, "test_clock_sent", False)),
    )
