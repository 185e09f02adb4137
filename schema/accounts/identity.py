"""Identity mutations (SPEC I1–I5; API.md "Second release: Identity"): proving the
address, passwords, changing the address, sessions, two-factor sign-in, and the
account's settings. Each parses its input, calls one service and maps the result."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from auth.permissions import public, requires
from auth.rate_limit import rate_limited
from auth.scopes import Scope
from domain.accounts.models import User as UserRow
from domain.identity import addresses, email_change, password_change, sessions, two_factor
from domain.identity.timing import at_least
from domain.team.account_settings import AccountChange, update_account
from schema.accounts.auth_types import AuthPayload
from schema.accounts.basics import Locale
from schema.accounts.sessions import client_of, signed_in_by
from schema.accounts.types import Account, Viewer
from schema.context import Info
from schema.errors import UserError, mutate
from schema.payloads import OkPayload
from schema.relay import from_global_id


@strawberry.input(description="The token of a verification link.")
class VerifyEmailInput:
    token: str = strawberry.field(description="The `token` query parameter of the mailed link.")


@strawberry.input(description="A new password for the signed-in person.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password as it is now.")
    new_password: str = strawberry.field(description="10 to 256 characters, two kinds of characters, not the current one.")


@strawberry.input(description="Where to mail a password-reset link.")
class RequestPasswordResetInput:
    email: str = strawberry.field(description="The login's address; any address gets the same answer.")


@strawberry.input(description="A new password set with a mailed reset token.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The `token` query parameter of the mailed link.")
    new_password: str = strawberry.field(description="10 to 256 characters, two kinds of characters.")
    two_factor_code: Optional[str] = strawberry.field(
        default=None, description="Needed when the login has two-factor sign-in on: the mailbox alone is one factor.")


@strawberry.input(description="Move the signed-in person's login to another address.")
class RequestEmailChangeInput:
    new_email: str = strawberry.field(description="The new address; it is proven before the change takes effect.")
    password: str = strawberry.field(description="The person's password.")


@strawberry.input(description="The token of an email-change link.")
class ConfirmEmailChangeInput:
    token: str = strawberry.field(description="The `token` query parameter of the link mailed to the new address.")
    password: str | None = strawberry.field(default=None, description=(
        "The password of the login that asked for the change. Give it or `twoFactorCode`."))
    two_factor_code: str | None = strawberry.field(default=None, description=(
        "Instead of the password, for a login with two-factor sign-in on: a code of the authenticator app or "
        "an unused recovery code."))


@strawberry.input(description="Which of your sessions to end.")
class EndSessionInput:
    session_id: strawberry.ID = strawberry.field(description="A `Session.id` from `me.sessions`.")


@strawberry.input(description="The first code of a new authenticator.")
class ConfirmTwoFactorInput:
    code: str = strawberry.field(description="Six digits from the authenticator app.")


@strawberry.input(description="Turn two-factor sign-in off.")
class DisableTwoFactorInput:
    password: str = strawberry.field(description="The person's password.")
    code: str = strawberry.field(description="A current six-digit code, or an unused recovery code.")


@strawberry.input(description="What to change in the account the token acts in; left out: unchanged.")
class UpdateAccountInput:
    name: Optional[str] = strawberry.field(default=None, description="The organisation's name (owners and admins).")
    time_zone: Optional[str] = strawberry.field(
        default=None, description="A canonical IANA zone (owners); applies from now on, nothing stored is rewritten.")
    require_two_factor: Optional[bool] = strawberry.field(
        default=None, description="Require two-factor sign-in of every teammate (owners, who must have it on).")
    locale: Optional[Locale] = strawberry.field(
        default=None, description="The account's language (owners): mail, exports and invoices written from now "
                                  "on are in it; what was written before stays as it is.")


@strawberry.type(description="A new TOTP secret, pending until its first code confirms it.")
class TwoFactorEnrollmentPayload:
    secret: Optional[str] = strawberry.field(default=None, description="The TOTP secret (base32), shown once.")
    otpauth_uri: Optional[str] = strawberry.field(default=None, description="The same secret as an otpauth:// URI for a QR code.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success.")


@strawberry.type(description="Two-factor sign-in is on: the recovery codes, shown once.")
class TwoFactorConfirmationPayload:
    recovery_codes: Optional[list[str]] = strawberry.field(
        default=None, description="Ten single-use recovery codes, shown once: keep them somewhere safe.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success.")


@strawberry.type(description="The account as changed.")
class AccountPayload:
    account: Optional[Account] = strawberry.field(default=None, description="The account after the change.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success.")


def _ok(_: object) -> dict:
    return {"ok": True}


async def _viewer_if_signed_in_as(info: Info, user: UserRow) -> dict:
    """A mailed token proves an address, not who is calling: it signs no one in. A caller
    signed in as the same person gets their fresh viewer; anyone else only the success."""
    principal = info.context.principal
    if principal is None or principal.actor.user_id != user.id:
        return {}
    actor = principal.actor
    fresh = await UserRow.get(id=user.id)
    return {"viewer": Viewer.of(fresh, actor.kind, actor.account_id, session_id=principal.session_id)}


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(extensions=public() + rate_limited("verifyEmail"),
                         description=(
        "Prove the address with the token of the mailed link: what was given to it (shares, invitations) becomes usable. Public (the token is the proof; it signs no one in: the viewer comes back only to a caller already signed in as that person). Throttled (RATE_LIMITED). userErrors: TOKEN_INVALID (unknown, used or expired)."))
    async def verify_email(self, info: Info, input: Annotated[VerifyEmailInput, strawberry.argument(
            description="The token from the verification mail.")]) -> AuthPayload:
        ctx = info.context

        async def call():
            user = await addresses.verify_email(input.token, now=ctx.now, security_now=ctx.security_now)
            return await _viewer_if_signed_in_as(info, user)

        return await mutate(info, AuthPayload, call, lambda fields: fields)

    @strawberry.mutation(extensions=requires() + rate_limited("resendEmailVerification", policy="mail",
                                                              address_from="principal"),
                         description=(
        "Mail a new verification link to your own address; the previous link stops working. Any signed-in person. Throttled per address and client (RATE_LIMITED)."))
    async def resend_email_verification(self, info: Info) -> OkPayload:
        ctx = info.context
        return await mutate(info, OkPayload, lambda: addresses.resend_verification(
            ctx.actor.user_id, ctx.settings, security_now=ctx.security_now), _ok)

    @strawberry.mutation(extensions=requires() + rate_limited("changePassword", policy="password",
                                                              address_from="principal"),
                         description=(
        "Change your password, giving the current one: every other session and every access token issued before stop on the next request; this session gets new tokens. Audited. Throttled. userErrors: INVALID_CREDENTIALS (current password wrong), INVALID_INPUT (weak, or the same as the old one)."))
    async def change_password(self, info: Info, input: Annotated[ChangePasswordInput, strawberry.argument(
            description="The current password and the new one.")]) -> AuthPayload:
        ctx = info.context
        return await mutate(info, AuthPayload, lambda: signed_in_by(info, password_change.change_password(
            ctx.actor.user_id, ctx.principal.session_id, input.current_password, input.new_password,
            settings=ctx.settings, now=ctx.now, security_now=ctx.security_now)), lambda fields: fields)

    @strawberry.mutation(extensions=public() + rate_limited("requestPasswordReset", policy="mail",
                                                            address_from="input"),
                         description=(
        "Ask for a password reset: a registered address gets a single-use link valid for at most an hour; every address gets the same answer, after the same time, so it tells nothing. Public. Throttled per address and client (RATE_LIMITED)."))
    async def request_password_reset(self, info: Info, input: Annotated[RequestPasswordResetInput, strawberry.argument(
            description="The address to send a reset link to.")]) -> OkPayload:
        ctx = info.context
        return await mutate(info, OkPayload, lambda: at_least(
            ctx.settings.identity_response_floor_seconds, password_change.request_password_reset(
                input.email, now=ctx.now, security_now=ctx.security_now, settings=ctx.settings)), _ok)

    @strawberry.mutation(extensions=public() + rate_limited("resetPassword", two_factor_from="two_factor_code"),
                         description=(
        "Set a new password with the mailed token: every session ends, the address counts as proven, and a new session starts. Public (the token is the proof). Audited. Throttled. userErrors: TOKEN_INVALID, INVALID_INPUT (weak password), TWO_FACTOR_REQUIRED / TWO_FACTOR_INVALID (the login has two-factor on)."))
    async def reset_password(self, info: Info, input: Annotated[ResetPasswordInput, strawberry.argument(
            description="The token from the reset mail and the new password.")]) -> AuthPayload:
        ctx = info.context
        return await mutate(info, AuthPayload, lambda: signed_in_by(info, password_change.reset_password(
            input.token, input.new_password, settings=ctx.settings, now=ctx.now, security_now=ctx.security_now,
            two_factor_code=input.two_factor_code, client=client_of(info))), lambda fields: fields)

    @strawberry.mutation(extensions=requires() + rate_limited("requestEmailChange", policy="mail",
                                                              address_from="principal"),
                         description=(
        "Ask to move your login to a new address, giving your password: the new address gets a link that must be followed before anything changes; the old one is told. The same answer, the same notice to the old address and the same audit event whether or not the new address is taken (a taken address's owner is told, and gets no link). Any signed-in person. Throttled. userErrors: INVALID_CREDENTIALS, INVALID_INPUT (unreadable address)."))
    async def request_email_change(self, info: Info, input: Annotated[RequestEmailChangeInput, strawberry.argument(
            description="The new address and the current password.")]) -> OkPayload:
        ctx = info.context
        return await mutate(info, OkPayload, lambda: at_least(
            ctx.settings.identity_response_floor_seconds, email_change.request_email_change(
                ctx.actor.user_id, input.new_email, input.password, now=ctx.now, security_now=ctx.security_now,
                settings=ctx.settings)), _ok)

    @strawberry.mutation(extensions=requires() + rate_limited("confirmEmailChange", policy="password",
                                                              address_from="principal",
                                                              two_factor_from="two_factor_code"),
                         description=(
        "Move the login to the new address, proven by the mailed token; uniqueness is checked again now. Only the login that asked, signed in, giving its password or a second factor: the link opens the app, which sends the token with that person's access token. Anyone else's click changes nothing (TOKEN_INVALID). Shares waiting under the new address stay pending until their own invitation is accepted. Authorship already written keeps the address at the time. Audited. Throttled like logIn. userErrors: TOKEN_INVALID (unknown, used, expired, or another login's), INVALID_CREDENTIALS (password), TWO_FACTOR_INVALID, ALREADY_EXISTS."))
    async def confirm_email_change(self, info: Info, input: Annotated[ConfirmEmailChangeInput, strawberry.argument(
            description="The token from the mail sent to the new address.")]) -> AuthPayload:
        ctx = info.context

        async def call():
            user = await email_change.confirm_email_change(
                input.token, user_id=ctx.actor.user_id, password=input.password,
                two_factor_code=input.two_factor_code, now=ctx.now, security_now=ctx.security_now)
            return await _viewer_if_signed_in_as(info, user)

        return await mutate(info, AuthPayload, call, lambda fields: fields)

    @strawberry.mutation(extensions=requires(), description=(
        "End one of your sessions (me.sessions): its refresh and access tokens stop on the next request. Any signed-in person. userErrors: NOT_FOUND (not one of yours)."))
    async def end_session(self, info: Info, input: Annotated[EndSessionInput, strawberry.argument(
            description="The session to end.")]) -> OkPayload:
        ctx = info.context

        async def call():
            session_id = from_global_id(input.session_id, "Session", field="sessionId")
            return await sessions.end_session(ctx.actor.user_id, session_id, now=ctx.now,
                                              security_now=ctx.security_now)

        return await mutate(info, OkPayload, call, _ok)

    @strawberry.mutation(extensions=requires(),
                         description=(
        "Start two-factor sign-in: a new TOTP secret (RFC 6238) and its otpauth:// URI for an authenticator app, pending until confirmTwoFactorEnrollment. Any signed-in person with a proven address. userErrors: EMAIL_NOT_VERIFIED, ALREADY_EXISTS (two-factor is on already)."))
    async def start_two_factor_enrollment(self, info: Info) -> TwoFactorEnrollmentPayload:
        ctx = info.context
        return await mutate(info, TwoFactorEnrollmentPayload, lambda: two_factor.start_enrollment(
            ctx.actor.user_id, now=ctx.now), lambda e: {"secret": e.secret, "otpauth_uri": e.otpauth_uri})

    @strawberry.mutation(extensions=requires() + rate_limited("twoFactor", policy="twoFactor",
                                                              address_from="principal"),
                         description=(
        "Turn two-factor sign-in on with a valid code of the pending secret; answers ten single-use recovery codes, shown this once. Audited. Throttled per address and client. userErrors: TWO_FACTOR_INVALID, NOT_FOUND (no enrolment was started)."))
    async def confirm_two_factor_enrollment(self, info: Info, input: Annotated[ConfirmTwoFactorInput, strawberry.argument(
            description="A code from the authenticator app, proving the enrolment works.")]) -> TwoFactorConfirmationPayload:
        ctx = info.context
        return await mutate(info, TwoFactorConfirmationPayload, lambda: two_factor.confirm_enrollment(
            ctx.actor.user_id, input.code, now=ctx.now, security_now=ctx.security_now),
            lambda codes: {"recovery_codes": codes})

    @strawberry.mutation(extensions=requires() + rate_limited("twoFactor", policy="twoFactor",
                                                              address_from="principal"),
                         description=(
        "Turn two-factor sign-in off, giving the password and a current code or a recovery code. Audited. Throttled. userErrors: INVALID_CREDENTIALS, TWO_FACTOR_INVALID."))
    async def disable_two_factor(self, info: Info, input: Annotated[DisableTwoFactorInput, strawberry.argument(
            description="The password and a current two-factor or recovery code.")]) -> OkPayload:
        ctx = info.context
        return await mutate(info, OkPayload, lambda: two_factor.disable(
            ctx.actor.user_id, input.password, input.code, now=ctx.now, security_now=ctx.security_now), _ok)

    @strawberry.mutation(extensions=requires(Scope.TEAMMATES_MANAGE),
                         description=(
        "Change the account: its name (owners and admins), time zone, language and requireTwoFactor (owners; with it on, a teammate without two-factor can only enrol, read me and log out). A new time zone applies to months and days from now on; stored months, periods and prices stay as they were. Audited. userErrors: INVALID_INPUT."))
    async def update_account(self, info: Info, input: Annotated[UpdateAccountInput, strawberry.argument(
            description="The account settings to change; those left out stay as they are.")]) -> AccountPayload:
        ctx = info.context

        async def call():
            me = await UserRow.get(id=ctx.actor.user_id)
            change = AccountChange(name=input.name, time_zone=input.time_zone,
                                   require_two_factor=input.require_two_factor,
                                   locale=input.locale.value if input.locale else None)
            return await update_account(ctx.actor, change, now=ctx.now, catalog=ctx.catalog,
                                        actor_has_two_factor=me.two_factor_enabled)

        return await mutate(info, AccountPayload, call, lambda row: {"account": Account.from_model(row)})

