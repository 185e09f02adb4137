"""Inputs and payloads of signing in."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from schema.accounts.basics import Locale
from schema.accounts.types import Viewer
from schema.billing.enums import ActiveClientTier, Term
from schema.errors import UserError


@strawberry.input(description="A new person, their account and its subscription.")
class SignUpInput:
    email: str = strawberry.field(description="Their email address: their login, and the address every access rule "
                                              "is keyed to; trimmed, compared in any case.")
    password: str = strawberry.field(description="10 to 256 characters, not only spaces, with at least 4 different "
                                                 "characters and two of letters, digits and other characters. Stored "
                                                 "only as a slow salted hash.")
    name: str = strawberry.field(description="The person's name, at most 200 characters.")
    account_name: str = strawberry.field(description="The organisation's name, at most 200 characters.")
    time_zone: Optional[str] = strawberry.field(default=None, description="The account's IANA time zone, e.g. "
                                                                          "\"Europe/London\"; \"Europe/Amsterdam\" "
                                                                          "when left out.")
    plan: Optional[str] = strawberry.field(default=None, description="A plan code of the catalog; the catalog's "
                                                                     "default plan when left out.")
    term: Optional[Term] = strawberry.field(default=None, description="MONTHLY when left out.")
    seats: Optional[int] = strawberry.field(default=None, description="Paid seats, 1 to 10000; 1 when left out.")
    active_client_tier: Optional[ActiveClientTier] = strawberry.field(default=None,
                                                                      description="UP_TO_10 when left out.")
    locale: Optional[Locale] = strawberry.field(
        default=None, description="The account's language. When left out: the best match of the request's "
                                  "Accept-Language header, else the language of `country`, else EN.")
    country: Optional[str] = strawberry.field(
        default=None, description="Where the organisation is established, as an ISO 3166 two-letter code "
                                  "(\"NL\", \"DE\"): starts the billing profile invoices are addressed to, and "
                                  "picks the language when neither `locale` nor Accept-Language does. The time "
                                  "zone's country when left out.")


@strawberry.input(description="Signing in with email and password.")
class LogInInput:
    email: str = strawberry.field(description="The email address of the login, in any case.")
    password: str = strawberry.field(description="Its password.")
    two_factor_code: Optional[str] = strawberry.field(
        default=None, description="A six-digit code of the authenticator app, or a recovery code.")


@strawberry.input(description="A refresh token to trade for new tokens.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The refresh token of the last sign-in or refresh; it is used "
                                                      "up.")


@strawberry.input(description="What logging out ends: the session of the access token (its access tokens stop on the next request), or all of the person's.")
class LogOutInput:
    refresh_token: Optional[str] = strawberry.field(
        default=None, description="Also end the session this refresh token belongs to (when it is yours; an "
                                  "unknown one, or someone else's, is ignored).")
    everywhere: Optional[bool] = strawberry.field(
        default=False, description="End every session of the person, this one included.")


@strawberry.input(description="The account to act in.")
class SwitchAccountInput:
    account_id: strawberry.ID = strawberry.field(description="The global id of an account the person is a teammate "
                                                             "of (see `me.memberships`).")


@strawberry.type(description="A signed-in session: its tokens and who they are for, or why not.")
class AuthPayload:
    access_token: Optional[str] = strawberry.field(
        default=None, description="A short-lived JWT (ACCESS_TOKEN_TTL_SECONDS, 900 by default): send it as "
                                  "`Authorization: Bearer …`.")
    refresh_token: Optional[str] = strawberry.field(
        default=None, description="An opaque, long-lived token for refreshSession. It rotates on every use; "
                                  "presenting a used one again ends the whole chain.")
    expires_at: Optional[datetime] = strawberry.field(default=None, description="When the access token expires.")
    viewer: Optional[Viewer] = strawberry.field(default=None, description="Who the tokens are for, and the account "
                                                                          "they act in.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="The result of logging out.")
class LogOutPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")
