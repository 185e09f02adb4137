"""Live updates in tests: the app served by a real uvicorn in the test's own event loop
(so it shares the test's database), and stock clients subscribing to it."""
from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any, AsyncIterator

import uvicorn
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

DOSSIER_UPDATES = """
subscription($id: ID!) {
  dossierUpdates(dossierId: $id) {
    event sequence at
    dossier { id clientName }
    entry { id body author { email } }
    share { id }
  }
}"""

VIEWER_UPDATES = "subscription { viewerUpdates { event at share { id } account { id } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """`app` on a loopback port; yields its ws:// URL for /graphql."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           ws="websockets-sansio"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await task


def transport(url: str, token: str, **kwargs: Any) -> WebsocketsTransport:
    return WebsocketsTransport(url=url, init_payload={"Authorization": f"Bearer {token}"},
                               subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL], **kwargs)


class Subscriber:
    """One stock `gql` client subscribed to one operation; updates gathered in a queue."""

    def __init__(self, url: str, token: str, document: str, variables: dict | None = None) -> None:
        self.client = Client(transport=transport(url, token))
        self.document, self.variables = gql(document), variables
        self.updates: asyncio.Queue = asyncio.Queue()
        self.ended: BaseException | None = None
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "Subscriber":
        self.session = await self.client.connect_async()
        started = asyncio.Event()

        async def run() -> None:
            try:
                started.set()
                async for result in self.session.subscribe(self.document, variable_values=self.variables):
                    await self.updates.put(result)
            except BaseException as error:  # noqa: BLE001 - the test reads how it ended
                self.ended = error
            finally:
                await self.updates.put(None)

        self._task = asyncio.create_task(run())
        await started.wait()
        await asyncio.sleep(0.2)  # the subscribe message reaches the server
        return self

    async def next(self, timeout: float = 5.0) -> Any:
        async with asyncio.timeout(timeout):
            return await self.updates.get()

    async def nothing_within(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self.updates.get()
            return False
        except TimeoutError:
            return True

    async def __aexit__(self, *exc: Any) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        with contextlib.suppress(Exception):
            await self.client.close_async()
