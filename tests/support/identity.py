"""Given-steps for identity (I1–I5): the mailed links, the identity mutations."""
from __future__ import annotations

import re

import pyotp

from tests.support.teammates import mails

VERIFY = """mutation($t: String!) { verifyEmail(input: {token: $t}) {
  accessToken viewer { user { email emailVerified } } userErrors { code message field } } }"""
RESEND = "mutation { resendEmailVerification { ok userErrors { code message } } }"
CHANGE_PASSWORD = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  accessToken refreshToken viewer { user { email } } userErrors { code message field } } }"""
REQUEST_RESET = "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok userErrors { code message } } }"
RESET = """mutation($t: String!, $p: String!, $c: String) { resetPassword(input: {token: $t, newPassword: $p, twoFactorCode: $c}) {
  accessToken refreshToken viewer { user { email emailVerified } } userErrors { code message field } } }"""
REQUEST_EMAIL_CHANGE = """mutation($e: String!, $p: String!) { requestEmailChange(input: {newEmail: $e, password: $p}) {
  ok userErrors { code message field } } }"""
CONFIRM_EMAIL_CHANGE = """mutation($t: String!, $p: String = "correct horse 42", $c: String) {
  confirmEmailChange(input: {token: $t, password: $p, twoFactorCode: $c}) {
  viewer { user { email emailVerified } } userErrors { code message field } } }"""
LOG_IN_2FA = """mutation($e: String!, $p: String!, $c: String) { logIn(input: {email: $e, password: $p, twoFactorCode: $c}) {
  accessToken refreshToken viewer { kind } userErrors { code message field } } }"""
LOG_OUT = """mutation($t: String, $all: Boolean) { logOut(input: {refreshToken: $t, everywhere: $all}) {
  userErrors { code } } }"""
END_SESSION = "mutation($id: ID!) { endSession(input: {sessionId: $id}) { ok userErrors { code field } } }"
SESSIONS = "{ me { sessions { id createdAt lastUsedAt client current } } }"
START_2FA = "mutation { startTwoFactorEnrollment { secret otpauthUri userErrors { code message } } }"
CONFIRM_2FA = """mutation($c: String!) { confirmTwoFactorEnrollment(input: {code: $c}) {
  recoveryCodes userErrors { code message field } } }"""
DISABLE_2FA = """mutation($p: String!, $c: String!) { disableTwoFactor(input: {password: $p, code: $c}) {
  ok userErrors { code message field } } }"""
UPDATE_ACCOUNT = """mutation($input: UpdateAccountInput!) { updateAccount(input: $input) {
  account { name timeZone requireTwoFactor } userErrors { code message field } } }"""
ME = "{ me { user { email emailVerified twoFactorEnabled } account { id } } }"


def link_token(settings, email: str, page: str) -> str:
    """The token of the newest mail to `email` linking to `page` (verify-email, …)."""
    for message in reversed(mails(settings)):
        if message["To"] == email:
            found = re.search(rf"/{page}\?token=([A-Za-z0-9_\-]+)", message.get_content())
            if found:
                return found.group(1)
    raise AssertionError(f"no {page} mail to {email}")


def mails_to(settings, email: str) -> list:
    return [m for m in mails(settings) if m["To"] == email]


def codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def top_code(body: dict) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def enrol_two_factor(api, token: str) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-factor on for the token's person; returns their TOTP and recovery codes.
    The confirming code's time step is used up: wait for the next step before a login."""
    started = (await api.data(START_2FA, token=token))["startTwoFactorEnrollment"]
    assert started["userErrors"] == [], started["userErrors"]
    totp = pyotp.TOTP(started["secret"])
    confirmed = (await api.data(CONFIRM_2FA, {"c": totp.now()}, token=token))["confirmTwoFactorEnrollment"]
    assert confirmed["userErrors"] == [], confirmed["userErrors"]
    return totp, confirmed["recoveryCodes"]


def next_code(totp: pyotp.TOTP) -> str:
    """A code of the step after the current one: accepted (one step of drift) and not
    used yet, without waiting 30 seconds."""
    import time

    return totp.at(time.time() + 30)
