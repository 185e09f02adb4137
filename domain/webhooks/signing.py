"""Standard Webhooks signatures (https://www.standardwebhooks.com): what a delivery's
`webhook-id`, `webhook-timestamp` and `webhook-signature` headers carry.

The signature — HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with the
secret's bytes (the base64 after `whsec_`), written `v1,<base64>` — is made by the
specification's reference library (`standardwebhooks`) rather than by hand. While an old
secret is in its grace period after a rotation, the header carries both signatures,
separated by a space, so receivers holding either verify."""
from __future__ import annotations

import base64
import secrets
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """A `webhook-id`: unique per event, kept on every retry and replay."""
    return "msg_" + secrets.token_hex(16)


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    return Webhook(secret).sign(message_id, datetime.fromtimestamp(timestamp, timezone.utc), body)


def headers(secrets_in_force: list[str], message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per secret in force."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_force),
    }
