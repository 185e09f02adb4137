"""The live connections open in this process, counted per principal and per client
address (LIVE_CONNECTIONS_PER_PRINCIPAL, LIVE_CONNECTIONS_PER_ADDRESS), and closed
together when the server drains."""
from __future__ import annotations

from collections import Counter
from typing import Any


class Connections:
    def __init__(self) -> None:
        self.open: set[Any] = set()
        self._by_address: Counter[str] = Counter()
        self._by_principal: Counter[str] = Counter()

    def admit_address(self, handler: Any, address: str, limit: int) -> bool:
        if self._by_address[address] >= limit:
            return False
        self._by_address[address] += 1
        handler.counted_address = address
        self.open.add(handler)
        return True

    def admit_principal(self, handler: Any, principal_key: str, limit: int) -> bool:
        if self._by_principal[principal_key] >= limit:
            return False
        self._by_principal[principal_key] += 1
        handler.counted_principal = principal_key
        return True

    def release(self, handler: Any) -> None:
        self.open.discard(handler)
        for counter, key in ((self._by_address, getattr(handler, "counted_address", None)),
                             (self._by_principal, getattr(handler, "counted_principal", None))):
            if key is not None:
                counter[key] -= 1
                if counter[key] <= 0:
                    del counter[key]
        handler.counted_address = handler.counted_principal = None


connections = Connections()
