"""Payloads shared by several areas."""
from __future__ import annotations

import strawberry

from schema.errors import UserError


@strawberry.type(description="The result of a mutation that returns nothing but whether it worked.")
class OkPayload:
    ok: bool = strawberry.field(default=False, description="True when the mutation took effect.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="What the caller can fix; empty on success.")
