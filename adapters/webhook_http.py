"""The HTTP client that posts webhook deliveries (T5): one fresh connection per attempt,
to the address the domain checked (domain/webhooks/targets.py `Pinned`), no redirects
followed, no proxy from the environment, certificates checked against the name, and no
response body read past the excerpt the domain asks for — a compressed one not at all."""
from __future__ import annotations

import asyncio
import ssl

import httpx

from infra.settings import Settings
from domain.webhooks.dispatch import Answer, NotSent, Post
from domain.webhooks.targets import Pinned

USER_AGENT = "Casebook-Webhooks/1"


def _client(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    timeout = settings.webhook_timeout_seconds
    return httpx.AsyncClient(
        follow_redirects=False, trust_env=False, transport=transport,
        verify=ssl.create_default_context(),
        timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
        limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2, max_keepalive_connections=0),
        headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
    )


def webhook_post(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Post:
    """`transport` replaces the network (a test that must see no connection made)."""

    async def post(pinned: Pinned, body: bytes, headers: dict[str, str], *, excerpt_bytes: int) -> Answer:
        try:
            async with _client(settings, transport) as client:
                async with client.stream("POST", pinned.url, content=body, headers=headers,
                                         extensions=pinned.extensions) as response:
                    excerpt = b""
                    if response.headers.get("content-encoding", "identity").lower() == "identity":
                        async for chunk in response.aiter_raw():
                            excerpt += chunk
                            if len(excerpt) >= excerpt_bytes:
                                break
                    return Answer(response.status_code, excerpt)
        except httpx.TimeoutException as error:
            raise asyncio.TimeoutError() from error
        except httpx.HTTPError as error:
            raise NotSent(f"{type(error).__name__}: {error}") from error

    return post
