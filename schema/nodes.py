"""The `Node` interface and `node(id)`: each area registers how to load its node types
for a principal. A node the principal may not see resolves to null, exactly like a
missing one (D4) — also when its type's audience excludes the principal (T4, P3), so
`node` cannot be used to probe which ids exist."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

import strawberry

from schema.relay import parse_global_id
from schema.rules import sees

NodeResolver = Callable[[Any, int], Awaitable[Any]]
_RESOLVERS: dict[str, NodeResolver] = {}


@strawberry.interface(description="An object with a global id (Relay): `node(id:)` fetches it again.")
class Node:
    id: strawberry.ID = strawberry.field(description="An opaque global id; pass it to `node(id:)`.")


def register_node(type_name: str, resolver: NodeResolver) -> None:
    _RESOLVERS[type_name] = resolver


async def resolve_node(info: Any, global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] not in _RESOLVERS:
        return None
    found = await _RESOLVERS[parsed[0]](info, parsed[1])
    type_rules = getattr(type(found), "__casebook_rules__", None)
    if found is not None and type_rules is not None and type_rules.audience is not None and not sees(
            info.context, type_rules.audience, found):
        return None
    return found
