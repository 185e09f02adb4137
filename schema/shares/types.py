"""Share types. PLACEHOLDER until the shares issue lands."""
from __future__ import annotations

import strawberry

from schema.accounts.types import Node
from schema.context import Info


@strawberry.type
class Share(Node):
    id: strawberry.ID
    email: str


async def shares_of_viewer(info: Info, user_row) -> list[Share]:
    return []
