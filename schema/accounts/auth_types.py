"""Inputs and payloads of signing in."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from schema.accounts.types import Viewer
from schema.billing.enums import ActiveClientTier, Term
from schema.errors import UserError


@strawberry.input
class SignUpInput:
    email: str
    password: str
    name: str
    account_name: str
    time_zone: Optional[str] = None
    plan: Optional[str] = None
    term: Optional[Term] = None
    seats: Optional[int] = None
    active_client_tier: Optional[ActiveClientTier] = None


@strawberry.input
class LogInInput:
    email: str
    password: str
    two_factor_code: Optional[str] = strawberry.field(
        default=None, description="A six-digit code of the authenticator app, or a recovery code (SPEC I5).")


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class LogOutInput:
    refresh_token: Optional[str] = strawberry.field(
        default=None, description="Also end the session this refresh token belongs to (when it is yours).")
    everywhere: Optional[bool] = strawberry.field(
        default=False, description="End every session of the person, this one included (SPEC I4).")


@strawberry.input
class SwitchAccountInput:
    account_id: strawberry.ID


@strawberry.type
class AuthPayload:
    access_token: Optional[str] = None
    refresh_token: Optional[str] = None
    expires_at: Optional[datetime] = None
    viewer: Optional[Viewer] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogOutPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)
