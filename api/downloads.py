"""`GET /exports/<key>`: the file of an export, to the bearer token that may read it (D8).

Only the `Authorization: Bearer` header counts (never a query parameter or cookie, which
end up in logs and browser history). No token, a token of someone else — another
account, a guest without access, the requester after losing access — an unknown key, an
export not ready or expired: all answer the same 404, so the path tells nothing (D4)."""
from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from auth import policy
from auth.principal import principal_from_token
from auth.tokens import TokenService
from api.context import settle_test_clock
from infra.clock import parse_business_now, utc_now
from domain.core.errors import Unauthenticated
from infra.settings import Settings
from domain.exports.service import open_download

_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _not_found() -> Response:
    return JSONResponse({"error": "not found"}, status_code=404, headers=_PRIVATE)


def download_endpoint(settings: Settings, tokens: TokenService):  # noqa: ANN201 - a Starlette endpoint
    async def download(request: Request) -> Response:
        key = request.path_params["key"]
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not _KEY.match(key) or scheme.lower() != "bearer" or not token.strip():
            return _not_found()
        security_now = utc_now()
        try:
            principal = await principal_from_token(tokens, token.strip(), security_now)
        except Unauthenticated:
            return _not_found()
        # The policy, with the principal's conditions: a teammate who has not enrolled in
        # an account requiring two-factor sign-in downloads nothing either (I5).
        if not policy.may(principal, "export", "download"):
            return _not_found()
        now = security_now
        if settings.honours_test_clock:
            # As a GraphQL request would (api.context): the header moves the account's
            # clock, else the account's clock decides whether the link has expired (O4).
            sent = parse_business_now(request.headers.get("x-casebook-now"))
            request.state.test_clock_sent = sent is not None
            now = await settle_test_clock(request, principal, sent or security_now, security_now)
        found = await open_download(principal.actor, key, export_dir=settings.export_dir, now=now,
                                    security_now=security_now)
        if found is None:
            return _not_found()
        return FileResponse(found.path, media_type=found.media_type, filename=found.file_name, headers=_PRIVATE)

    return download
