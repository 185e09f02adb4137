"""Given-steps shared by API tests: signing up, logging in."""
from __future__ import annotations

import itertools

SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) {
    accessToken refreshToken expiresAt
    viewer { kind user { id email } account { id name timeZone } }
    userErrors { code message field }
  }
}"""

LOG_IN = """
mutation($input: LogInInput!) {
  logIn(input: $input) { accessToken refreshToken viewer { kind account { id } } userErrors { code message } }
}"""

PASSWORD = "correct horse 42"
_counter = itertools.count(1)


async def sign_up(api, email: str | None = None, *, now: str | None = None, verified: bool = True,
                  **extra) -> dict:
    """A new owner with a new account; returns the signUp payload (tokens, viewer). By
    default the address is then proven, as if the person had followed the mailed link
    (I1); `verified=False` leaves it unproven."""
    email = email or f"owner{next(_counter)}@example.org"
    variables = {"input": {"email": email, "password": PASSWORD, "name": "Olga Owner",
                           "accountName": "Practice " + email.split("@")[0], **extra}}
    payload = (await api.data(SIGN_UP, variables, now=now))["signUp"]
    assert payload["userErrors"] == [], payload["userErrors"]
    if verified:
        from datetime import datetime, timezone

        from domain.accounts.models import User

        await User.filter(email=email.strip().lower()).update(email_verified_at=datetime.now(timezone.utc))
    return payload


async def log_in(api, email: str, password: str = PASSWORD) -> dict:
    return (await api.data(LOG_IN, {"input": {"email": email, "password": password}}))["logIn"]
