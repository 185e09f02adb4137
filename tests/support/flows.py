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


async def sign_up(api, email: str | None = None, *, now: str | None = None, **extra) -> dict:
    """A new owner with a new account; returns the signUp payload (tokens, viewer)."""
    email = email or f"owner{next(_counter)}@example.org"
    variables = {"input": {"email": email, "password": PASSWORD, "name": "Olga Owner",
                           "accountName": "Practice " + email.split("@")[0], **extra}}
    payload = (await api.data(SIGN_UP, variables, now=now))["signUp"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def log_in(api, email: str, password: str = PASSWORD) -> dict:
    return (await api.data(LOG_IN, {"input": {"email": email, "password": password}}))["logIn"]
