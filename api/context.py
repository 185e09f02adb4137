"""Building the per-request context: clocks, principal, loaders."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request

from auth.principal import principal_from_token
from auth.tokens import TokenService
from domain.core.clock import utc_now
from api.view import exchange_var
from domain.core.errors import AccessTokenExpired, Unauthenticated
from domain.core.settings import Settings
from domain.core.tracing import request_id_var
from schema.context import Context


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
    return Context(
        request=request,
        settings=settings,
        tokens=tokens,
        now=business_now,
        security_now=security_now,
        request_id=request_id_var.get() or "-",
        principal=principal,
        catalog=catalog,
    )
