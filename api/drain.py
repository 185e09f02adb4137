"""Graceful shutdown, so a rolling deploy drops no request.

On SIGTERM a server process does not stop at once. For SHUTDOWN_DRAIN_SECONDS `/readyz`
answers 503 `draining` while every request is still served as before, so the load
balancer, which polls readiness, takes the host out of rotation before anything is
refused. Then the signal goes on to uvicorn: it closes the listener, lets in-flight
requests finish within SHUTDOWN_TIMEOUT_SECONDS (`timeout_graceful_shutdown`; later ones
are cancelled, and their transactions roll back), and runs the lifespan's shutdown, where
an in-process worker hands its leases back and the pool closes.

uvicorn closes its listener the moment its own SIGTERM handler runs, so the drain has to
stand in front of that handler. It is installed when the application starts: uvicorn
installs its handlers before it starts the application (`Server.capture_signals`), in
every process of `--workers N` (the supervisor passes SIGTERM on to each worker), and
also under a plain `uvicorn api.app:app`. SIGINT (Ctrl-C at a terminal) is not drained.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import threading
from types import FrameType
from typing import Any, Callable

log = logging.getLogger("casebook.api")


class Drain:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.draining = False
        self._server_handler: Callable[[int, FrameType | None], Any] | None = None
        # Called in the event loop as the drain begins (live updates close their streams).
        self.on_start: list[Callable[[], Any]] = []

    def install(self) -> bool:
        """Put the drain in front of the server's SIGTERM handler; False when there is
        none to put it in front of (no drain period, not the main thread, or no server
        handling signals, as under a test client)."""
        if self.seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return False
        server_handler = signal.getsignal(signal.SIGTERM)
        if not callable(server_handler):
            return False
        loop = asyncio.get_running_loop()

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining:
                # The supervisor of --workers N and an orchestrator that signals the whole
                # process group both send SIGTERM: the second one changes nothing.
                return
            self.draining = True
            log.warning("SIGTERM: /readyz answers 503 for %gs, then in-flight requests get to finish",
                        self.seconds)
            for callback in self.on_start:
                loop.call_soon_threadsafe(callback)
            loop.call_soon_threadsafe(loop.call_later, self.seconds, server_handler, signum, None)

        self._server_handler = server_handler
        signal.signal(signal.SIGTERM, on_sigterm)
        return True

    def uninstall(self) -> None:
        if self._server_handler is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._server_handler)
            self._server_handler = None
