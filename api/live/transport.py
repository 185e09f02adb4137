"""The graphql-transport-ws protocol on /graphql (SPEC T7, API.md "Live updates"):
strawberry's handler, with Casebook's rules for a connection.

* `connection_init` carries `{"Authorization": "Bearer …"}`; without a valid token the
  connection closes 4401 (reason UNAUTHENTICATED, or TOKEN_EXPIRED: refresh and
  reconnect); when the token expires later the connection closes 4401 TOKEN_EXPIRED.
* Only subscriptions: queries and mutations go over HTTP, where their limits apply.
  Documents pass the same validation as requests (introspection refused in production)
  and CASEBOOK_TRUSTED_DOCUMENTS=only admits registered documents alone.
* Bounds (README): connections per principal (4429) and per client address (4429),
  subscriptions per connection, message size (1009), a server ping every
  LIVE_PING_SECONDS and a close (4408) after LIVE_IDLE_TIMEOUT_SECONDS without any
  message from the client; SIGTERM closes every connection with 1012 (service restart:
  reconnect elsewhere) as the drain begins."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timezone
from json import JSONDecodeError
from typing import Any

import jwt
from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError, GraphQLSyntaxError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from api.documents import resolve_document
from api.http import OPERATION_RESOLUTION_FAILURE, PARSE_FAILED, Exchange, RequestRefused
from api.abuse_limits import MAX_TOKENS
from api.live.connections import connections
from auth.live import TOKEN_EXPIRED, UNAUTHENTICATED, live_access
from infra.clock import utc_now

log = logging.getLogger("casebook.live")
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_MANY = 4429
CLOSE_IDLE = 4408
CLOSE_TOO_BIG = 1009
CLOSE_RESTART = 1012


class LiveWebSocketAdapter(ASGIWebSocketAdapter):
    """Text frames out (the protocol's; the view's JSON encoder gives bytes), and a
    message over LIVE_MAX_MESSAGE_BYTES refused before it is parsed."""

    async def send_json(self, message: Any) -> None:
        try:
            await self.ws.send_text(self.view.encode_json(message).decode())
        except (WebSocketDisconnect, RuntimeError) as error:
            raise WebSocketDisconnected from error

    async def iter_json(self, *, ignore_parsing_errors: bool = False):  # noqa: ANN201
        limit = self.view.settings.live_max_message_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                handler = getattr(self.ws, "live_handler", None)
                if handler is not None:
                    handler.heard = asyncio.get_running_loop().time()
                if len(text) > limit:
                    await self.close(CLOSE_TOO_BIG, "Message too big")
                    return
                try:
                    yield self.view.decode_json(text)
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass


class LiveHandler(BaseGraphQLTransportWSHandler):
    counted_address: str | None = None
    counted_principal: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = self.view.settings
        self.heard = asyncio.get_running_loop().time()
        self._timers: list[asyncio.Task] = []
        self.websocket.ws.live_handler = self

    async def handle(self) -> None:
        drain = getattr(self.view, "drain", None)
        client = self.websocket.ws.client
        address = client.host if client else "-"
        if drain is not None and drain.draining:
            await self.websocket.close(CLOSE_RESTART, "Service restart")
            return
        if not connections.admit_address(self, address, self.settings.live_connections_per_address):
            await self.websocket.close(CLOSE_TOO_MANY, "Too many connections from this address")
            return
        self._timers.append(asyncio.create_task(self._keep_alive()))
        try:
            await super().handle()
        finally:
            connections.release(self)
            for timer in self._timers:
                timer.cancel()

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code, reason)

    async def _keep_alive(self) -> None:
        """A ping every LIVE_PING_SECONDS; closed when the client sent nothing (not even
        a pong) for LIVE_IDLE_TIMEOUT_SECONDS."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(min(self.settings.live_ping_seconds, self.settings.live_idle_timeout_seconds))
                if loop.time() - self.heard > self.settings.live_idle_timeout_seconds:
                    await self.close(CLOSE_IDLE, "Idle timeout")
                    return
                if self.connection_acknowledged:
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(self.settings.live_ping_seconds):
                            await self.send_message({"type": "ping"})
        except asyncio.CancelledError:
            pass

    async def _expire_at(self, expires: datetime) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(max(0.0, (expires - utc_now()).total_seconds()))
            await self.close(CLOSE_UNAUTHORIZED, TOKEN_EXPIRED)

    async def handle_connection_init(self, message: Any) -> None:
        payload = message.get("payload") or {}
        if self.connection_init_received or not isinstance(payload, dict):
            await super().handle_connection_init(message)  # strawberry's refusals
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        self.connection_init_received = True
        header = payload.get("Authorization") or payload.get("authorization") or ""
        scheme, _, token = str(header).partition(" ")
        token = token.strip()
        access = await live_access(self.context.tokens, token, utc_now()) if scheme.lower() == "bearer" and token \
            else None
        if access is None or access.principal is None:
            await self.close(CLOSE_UNAUTHORIZED, access.refusal if access else UNAUTHENTICATED)
            return
        actor = access.principal.actor
        key = f"{'machine' if actor.machine else actor.kind.value}:{actor.user_id}"
        if not connections.admit_principal(self, key, self.settings.live_connections_per_principal):
            await self.close(CLOSE_TOO_MANY, "Too many connections for this principal")
            return
        self.context.connection_params = payload
        self.context.live_token = token
        self.context.principal = access.principal
        expires = _expiry(token)  # verified by live_access just now
        if expires is not None:
            self._timers.append(asyncio.create_task(self._expire_at(expires)))
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def handle_subscribe(self, message: Any) -> None:
        if not self.connection_acknowledged:
            await super().handle_subscribe(message)  # closes 4401
            return
        payload = message.get("payload") or {}
        try:
            query = await resolve_document(self.view.documents, payload.get("query"), payload.get("extensions"),
                                           Exchange())
            if query is None:
                raise RequestRefused(400, "BAD_REQUEST", "Send the GraphQL document as `query`.")
            _check_operation(query, payload.get("operationName"))
        except RequestRefused as refused:
            if message.get("id") in self.operations:
                await super().handle_subscribe(message)  # a duplicate id: closes 4409
                return
            error = GraphQLError(refused.message, extensions={"code": refused.code})
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe({**message, "payload": {**payload, "query": query}})


def _check_operation(query: str, operation_name: Any) -> None:
    """The operation to run must exist and be a subscription: queries and mutations go
    over HTTP, where their limits apply."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)  # as requests (api/abuse_limits.py)
    except GraphQLSyntaxError as error:
        raise RequestRefused(400, PARSE_FAILED, error.message) from None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        chosen = operations if len(operations) == 1 else []
    else:
        chosen = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(chosen) != 1:
        raise RequestRefused(400, OPERATION_RESOLUTION_FAILURE, "Name the operation to run with operationName: "
                                                                "one the document defines.")
    if chosen[0].operation is not OperationType.SUBSCRIPTION:
        raise RequestRefused(400, "BAD_REQUEST", "Over the WebSocket only subscriptions run; send queries and "
                                                 "mutations over HTTP.")


def _expiry(token: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(jwt.decode(token, options={"verify_signature": False})["exp"]),
                                      timezone.utc)
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None


_closing: set[asyncio.Task] = set()


def close_all_for_restart() -> None:
    """The drain began (SIGTERM): every stream ends now, so clients reconnect elsewhere."""
    for handler in tuple(connections.open):
        task = asyncio.get_running_loop().create_task(handler.close(CLOSE_RESTART, "Service restart"))
        _closing.add(task)
        task.add_done_callback(_closing.discard)
