"""Payloads shared by several areas."""
from __future__ import annotations

import strawberry

from schema.errors import UserError


@strawberry.type(description="The answer of a mutation that returns nothing but success or its user errors.")
class OkPayload:
    ok: bool = strawberry.field(default=False, description="True when it was done.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success.")
