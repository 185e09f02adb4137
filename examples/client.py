"""A Casebook client in a few lines, with a stock GraphQL client library (`gql`):
sign up → create a dossier → share it → quote a bigger plan → apply the quote.

    pip install "gql[httpx]"
    python examples/client.py http://127.0.0.1:8000/graphql

Every mutation answers `userErrors` (an empty list means success); problems with the
request itself (no token, a variable of the wrong type) are top-level errors with
`extensions.code`, which gql raises as TransportQueryError.
"""
from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Any

from gql import Client, gql
from gql.transport.httpx import HTTPXAsyncTransport

SIGN_UP = gql("""
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken userErrors { code message field } }
}""")

CREATE_DOSSIER = gql("""
mutation CreateDossier($input: CreateDossierInput!) {
  createDossier(input: $input) { dossier { id clientName } userErrors { code message field } }
}""")

SHARE_DOSSIER = gql("""
mutation ShareDossier($input: ShareDossierInput!) {
  shareDossier(input: $input) { share { id email access status } userErrors { code message field } }
}""")

QUOTE = gql("""
mutation Quote($input: SubscriptionChangeInput!) {
  quoteSubscriptionChange(input: $input) {
    quote { id dueNow { amount currency } pricePerPeriodAfter { amount currency } expiresAt
            lines { description amount { amount currency } } }
    userErrors { code message field }
  }
}""")

APPLY = gql("""
mutation Apply($input: ApplySubscriptionChangeInput!) {
  applySubscriptionChange(input: $input) {
    subscription { activeClientTier seats renewsOn }
    charged { amount currency }
    userErrors { code message field }
  }
}""")


class UserErrors(Exception):
    """A mutation refused what it was asked (`userErrors` not empty)."""


def payload(result: dict[str, Any], field: str) -> dict[str, Any]:
    answer = result[field]
    if answer["userErrors"]:
        raise UserErrors(f"{field}: {answer['userErrors']}")
    return answer


def client(url: str, token: str | None = None, **httpx_options: Any) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(transport=HTTPXAsyncTransport(url=url, headers=headers, **httpx_options))


async def run(url: str, *, email: str | None = None, **httpx_options: Any) -> dict[str, Any]:
    """The whole flow against the API at `url`; returns what a person would want to see.
    `httpx_options` go to httpx (the tests pass an in-process transport)."""
    email = email or f"demo-{uuid.uuid4().hex[:8]}@example.org"
    async with client(url, **httpx_options) as session:
        signed_up = payload(await session.execute(SIGN_UP, variable_values={"input": {
            "email": email, "password": "correct horse 42", "name": "Dana Dietician",
            "accountName": "Dana's Practice"}}), "signUp")

    async with client(url, signed_up["accessToken"], **httpx_options) as session:
        dossier = payload(await session.execute(CREATE_DOSSIER, variable_values={"input": {
            "clientName": "Chris Client", "reference": "C-001", "dateOfBirth": "1984-02-29"}}),
            "createDossier")["dossier"]
        share = payload(await session.execute(SHARE_DOSSIER, variable_values={"input": {
            "dossierId": dossier["id"], "email": "family@example.org", "access": "VIEWER"}}),
            "shareDossier")["share"]
        quote = payload(await session.execute(QUOTE, variable_values={"input": {
            "activeClientTier": "UP_TO_25"}}), "quoteSubscriptionChange")["quote"]
        applied = payload(await session.execute(APPLY, variable_values={"input": {
            "quoteId": quote["id"], "idempotencyKey": str(uuid.uuid4())}}), "applySubscriptionChange")
    return {"email": email, "dossier": dossier, "share": share, "quote": quote, "applied": applied}


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/graphql"
    outcome = asyncio.run(run(url))
    print(f"signed up {outcome['email']}")
    print(f"created dossier {outcome['dossier']['clientName']} ({outcome['dossier']['id']})")
    print(f"shared it with {outcome['share']['email']} as {outcome['share']['access']}: {outcome['share']['status']}")
    due = outcome["quote"]["dueNow"]
    print(f"quote {outcome['quote']['id']}: {due['amount']} {due['currency']} due now")
    for line in outcome["quote"]["lines"]:
        print(f"  {line['description']}: {line['amount']['amount']} {line['amount']['currency']}")
    charged = outcome["applied"]["charged"]
    print(f"applied: charged {charged['amount']} {charged['currency']}; tier now "
          f"{outcome['applied']['subscription']['activeClientTier']}")


if __name__ == "__main__":
    main()
