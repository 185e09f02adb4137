"""Host name lookups for webhook targets (domain/webhooks/targets.py `Resolver`): the
system's resolver, through the event loop so a slow answer blocks no one."""
from __future__ import annotations

import asyncio
import socket


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]
