"""Signing secrets at rest (T5). The service must sign with an endpoint's secret, so it
cannot keep only a hash as it does for tokens: secrets are encrypted with AES-256-GCM
under a key derived (HKDF-SHA256) from WEBHOOK_SECRET_KEY. A database dump alone then
yields no secret; the key lives in the deployment's settings, not in the database.

Stored form: `v1.<key id>.<base64url(nonce ‖ ciphertext)>`. The key id names which
configured key encrypted it, so a key can be replaced: put the old one in
WEBHOOK_PREVIOUS_SECRET_KEYS, and secrets encrypted under it still open (each is sealed
under the new key at its next rotation)."""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from infra.settings import Settings

# Outside production only, when WEBHOOK_SECRET_KEY is unset (production refuses to start).
DEVELOPMENT_KEY = "casebook-development-webhook-key-not-for-production"
_INFO = b"casebook webhook signing secrets v1"
_AAD = b"webhook_endpoint.secret"


class SecretUnreadable(Exception):
    """The key that sealed a secret is not configured any more, or the text was altered."""


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM


def _derive(material: str) -> _Key:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material.encode())
    return _Key(hashlib.sha256(raw).hexdigest()[:8], AESGCM(raw))


class Vault:
    def __init__(self, current: str, previous: tuple[str, ...] = ()) -> None:
        self._current = _derive(current)
        self._keys = {key.kid: key for key in [_derive(k) for k in previous] + [self._current]}

    @classmethod
    def from_settings(cls, settings: Settings) -> "Vault":
        return cls(settings.webhook_secret_key or DEVELOPMENT_KEY, settings.webhook_previous_secret_keys)

    def seal(self, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._current.aead.encrypt(nonce, secret.encode(), _AAD)
        return f"v1.{self._current.kid}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, stored: str) -> str:
        version, _, rest = stored.partition(".")
        kid, _, blob = rest.partition(".")
        key = self._keys.get(kid)
        if version != "v1" or key is None:
            raise SecretUnreadable(f"no configured key with id {kid!r}")
        try:
            raw = base64.urlsafe_b64decode(blob.encode())
            return key.aead.decrypt(raw[:12], raw[12:], _AAD).decode()
        except (InvalidTag, ValueError) as error:
            raise SecretUnreadable("the sealed secret does not open") from error
