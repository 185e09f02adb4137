"""`node(id)`: each area registers how to load its node types for a principal. A node the
principal may not see resolves to null, exactly like a missing one (D4)."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from schema.relay import parse_global_id

NodeResolver = Callable[[Any, int], Awaitable[Any]]
_RESOLVERS: dict[str, NodeResolver] = {}


def register_node(type_name: str, resolver: NodeResolver) -> None:
    _RESOLVERS[type_name] = resolver


async def resolve_node(info: Any, global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] not in _RESOLVERS:
        return None
    return await _RESOLVERS[parsed[0]](info, parsed[1])
