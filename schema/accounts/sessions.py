"""Sign-up, sign-in, refresh, sign-out, switching accounts, and `me`."""
from __future__ import annotations

from typing import Annotated

import strawberry

from auth import session_tokens
from auth.permissions import public, requires
from auth.rate_limit import rate_limited
from domain.team import sign_up as signing_up
from domain.accounts.models import User as UserRow
from domain.identity import sessions
from schema.accounts.auth_types import (
    AuthPayload, LogInInput, LogOutInput, LogOutPayload, RefreshSessionInput, SignUpInput,
    SwitchAccountInput,
)
from schema.accounts.types import Viewer
from schema.context import Info
from schema.errors import mutate
from schema.relay import from_global_id


async def _auth_payload(session: session_tokens.Session) -> dict:
    user = await UserRow.get(id=session.user_id)
    return {
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "expires_at": session.expires_at,
        "viewer": Viewer.of(user, session.kind, session.account_id, session_id=session.session_id),
    }


def client_of(info: Info) -> str | None:
    """A short summary of the calling client (I4), from its User-Agent."""
    request = info.context.request
    return sessions.summarize_client(request.headers.get("user-agent") if request is not None else None)


def accept_language_of(info: Info) -> str | None:
    request = info.context.request
    return request.headers.get("accept-language") if request is not None else None


async def signed_in(info: Info, grant: sessions.SessionGrant) -> dict:
    """The payload of a sign-in: the domain opened or continued the session (`grant`),
    auth mints its access token."""
    ctx = info.context
    return await _auth_payload(session_tokens.mint(ctx.tokens, grant, security_now=ctx.security_now))


async def signed_in_by(info: Info, grant_call) -> dict:  # noqa: ANN001 - an awaitable of a SessionGrant
    """The payload once `grant_call` (a sign-in, refresh, password change or reset) is done."""
    return await signed_in(info, await grant_call)


@strawberry.type
class SessionQuery:
    @strawberry.field(extensions=requires(), description="Who is asking: the signed-in person, the kind of principal "
                                                         "and the account the token acts in.")
    async def me(self, info: Info) -> Viewer:
        actor = info.context.actor
        user = await UserRow.get(id=actor.user_id)
        return Viewer.of(user, actor.kind, actor.account_id, session_id=info.context.principal.session_id)


@strawberry.type
class SessionMutation:
    @strawberry.mutation(extensions=public(), description=(
        "Create a login, an account with the person as its owner, and its subscription: by default the catalog's "
        "default plan, MONTHLY, 1 seat, UP_TO_10, the first period starting today in the account's time zone "
        "Public: no token needed. Signs the person in. userErrors: INVALID_INPUT (email, "
        "password, names, timeZone, plan, seats, country, locale), ALREADY_EXISTS (the email has a login)."))
    async def sign_up(self, info: Info, input: Annotated[SignUpInput, strawberry.argument(
            description="The person, the account and the subscription's choices.")]) -> AuthPayload:
        ctx = info.context

        async def call():
            request = signing_up.SignUpRequest(
                email=input.email, name=input.name, account_name=input.account_name,
                time_zone=input.time_zone, plan=input.plan,
                term=input.term.value if input.term else None, seats=input.seats,
                tier=input.active_client_tier.value if input.active_client_tier else None,
                locale=input.locale.value if input.locale else None, country=input.country,
                accept_language=accept_language_of(info),
            )
            _, grant = await signing_up.sign_up_and_sign_in(
                request, input.password, ctx.catalog, now=ctx.now, settings=ctx.settings,
                security_now=ctx.security_now, test_clock=ctx.test_clock_sent, client=client_of(info))
            return await signed_in(info, grant)

        return await mutate(info, AuthPayload, call, lambda fields: fields)

    @strawberry.mutation(extensions=public() + rate_limited("logIn", per_email=True,
                                                            two_factor_from="two_factor_code"), description=(
        "Sign in with email and password: a short-lived access token and a refresh token. Public. Audited, "
        "failures too; throttled per address and client (a top-level RATE_LIMITED). The answer never "
        "tells whether an email is registered. userErrors: INVALID_CREDENTIALS, TWO_FACTOR_REQUIRED (the "
        "login has two-factor on: send twoFactorCode), TWO_FACTOR_INVALID."))
    async def log_in(self, info: Info, input: Annotated[LogInInput, strawberry.argument(
            description="The email and password, and a two-factor code when the login has two-factor on.")]
                     ) -> AuthPayload:
        ctx = info.context
        return await mutate(info, AuthPayload, lambda: signed_in_by(info, sessions.log_in(
            input.email, input.password, settings=ctx.settings, now=ctx.now, security_now=ctx.security_now,
            two_factor_code=input.two_factor_code, client=client_of(info))),
            lambda fields: fields)

    @strawberry.mutation(extensions=public() + rate_limited("refreshSession"), description=(
        "Trade a refresh token for new tokens: it is used up and a new one of the same chain issued; "
        "presenting a used one again revokes the whole chain. Public; throttled (a top-level RATE_LIMITED). "
        "userErrors: INVALID_CREDENTIALS (unknown, used, revoked or expired)."))
    async def refresh_session(self, info: Info, input: Annotated[RefreshSessionInput, strawberry.argument(
            description="The refresh token.")]) -> AuthPayload:
        ctx = info.context
        return await mutate(info, AuthPayload, lambda: signed_in_by(info, sessions.refresh(
            input.refresh_token, settings=ctx.settings, now=ctx.now, security_now=ctx.security_now)),
            lambda fields: fields)

    @strawberry.mutation(extensions=requires(), description=(
        "End this session (the access token's): its refresh tokens and its access tokens stop working on the "
        "next request; with everywhere: true, every session of the person. Any signed-in principal. A "
        "refresh token that is unknown or someone else's is ignored, so the answer tells nothing."))
    async def log_out(self, info: Info, input: Annotated[LogOutInput, strawberry.argument(
            description="The session to end.")]) -> LogOutPayload:
        ctx = info.context
        return await mutate(info, LogOutPayload, lambda: sessions.log_out(
            ctx.actor.user_id, ctx.principal.session_id, input.refresh_token, everywhere=bool(input.everywhere),
            now=ctx.now, security_now=ctx.security_now), lambda _: {})

    @strawberry.mutation(extensions=requires(), description=(
        "New tokens acting in another account the person is a teammate of; their role there decides the scopes "
        ". Any signed-in person. userErrors: NOT_FOUND (accountId: not a teammate of that account)."))
    async def switch_account(self, info: Info, input: Annotated[SwitchAccountInput, strawberry.argument(
            description="The account to act in.")]) -> AuthPayload:
        ctx = info.context

        async def call():
            account_id = from_global_id(input.account_id, "Account", field="accountId")
            return await signed_in(info, await sessions.switch_account(
                ctx.actor.user_id, account_id, settings=ctx.settings, security_now=ctx.security_now,
                session_id=ctx.principal.session_id))

        return await mutate(info, AuthPayload, call, lambda fields: fields)
