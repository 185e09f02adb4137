"""Dossier types. PLACEHOLDER until the dossiers issue lands."""
from __future__ import annotations

from datetime import date

import strawberry

from schema.accounts.types import Node
from schema.context import Info


@strawberry.type
class Dossier(Node):
    id: strawberry.ID
    client_name: str


@strawberry.type
class ActiveClientUsage:
    month: str
    count: int
    limit: int | None
    resets_on: date
    active_dossiers: list[Dossier]


async def usage_of(info: Info, account, month: str | None) -> ActiveClientUsage:
    raise NotImplementedError
