"""The test clock over HTTP (API.md Transport; SPEC O2's "now"). Outside production, every
request's business time is fixed here, once: `X-Casebook-Now` when sent — refused with
BAD_USER_INPUT unless it is an ISO-8601 date-time with an offset — else real time. The
context (api/context.py) takes it from the request's state, and every response echoes
it in `X-Casebook-Now`, so a client sees which time it was answered at. In production
the header is ignored and nothing is echoed.

The header also moves the test clock of the account the request acts in (O4); a request
without it acts at that account's clock. Both are settled once the principal is known
(api/context.py), which leaves the time it settled on in the request's state: the echo
is read from there when the response starts."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import BAD_USER_INPUT, negotiate, refusal
from infra.clock import parse_test_clock, utc_now

HEADER = b"x-casebook-now"


class BusinessClockMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        sent = headers.get(HEADER)
        if sent is None:
            now = utc_now()
        else:
            try:
                now = parse_test_clock(sent.decode("latin-1"))
            except ValueError as error:
                accept = headers.get(b"accept", b"").decode("latin-1")
                await refusal(400, BAD_USER_INPUT, f"X-Casebook-Now: {error}",
                              media_type=negotiate(accept))(scope, receive, send)
                return
        state = scope.setdefault("state", {})
        state["business_now"] = now
        state["test_clock_sent"] = sent is not None

        async def send_with_clock(message: Message) -> None:
            if message["type"] == "http.response.start":
                echo = state["business_now"].isoformat().encode()
                message["headers"] = list(message.get("headers", [])) + [(HEADER, echo)]
            await send(message)

        await self.app(scope, receive, send_with_clock)
