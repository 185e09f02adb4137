"""JWTs: the one place that signs and verifies them (T3).

The algorithm is pinned from settings, never read from the token; `kid` is only looked up
among configured keys; `typ` keeps refresh and invitation tokens from passing as access
tokens; `iss`, `aud`, `exp`, `nbf`, `sub` are required."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from infra.settings import HMAC_ALGORITHMS, Settings

ACCESS = "access"
REQUIRED_CLAIMS = ["exp", "nbf", "iat", "iss", "aud", "sub", "typ", "jti"]


class TokenInvalid(Exception):
    """Any reason a token is not accepted; callers answer UNAUTHENTICATED without detail."""


class TokenExpired(TokenInvalid):
    """A token that verified (our key, our issuer and audience) but whose time is over:
    told apart so a client knows to refresh (O6)."""


@dataclass(frozen=True)
class KeyRing:
    algorithm: str
    signing_kid: str
    signing_key: Any
    verification_keys: dict[str, Any]

    @classmethod
    def from_settings(cls, settings: Settings) -> "KeyRing":
        if settings.jwt_algorithm in HMAC_ALGORITHMS:
            keys = {}
            for pair in settings.jwt_previous_secrets:
                kid, _, secret = pair.partition(":")
                if kid and secret:
                    keys[kid] = secret.encode()
            # Last, so an old entry can never replace the current signing key.
            keys[settings.jwt_key_id] = settings.jwt_secret.encode()
            return cls(settings.jwt_algorithm, settings.jwt_key_id, keys[settings.jwt_key_id], keys)
        private = Path(settings.jwt_private_key_file).read_bytes()
        keys: dict[str, Any] = {}
        for entry in settings.jwt_public_key_files:
            # "kid=path" or a bare path whose file stem is the kid
            kid, sep, path = entry.partition("=")
            if not sep:
                path, kid = entry, Path(entry).stem
            keys[kid] = Path(path).read_bytes()
        if settings.jwt_key_id not in keys:
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_pem_private_key(private, password=None)
            keys[settings.jwt_key_id] = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        return cls(settings.jwt_algorithm, settings.jwt_key_id, private, keys)


class TokenService:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.keys = KeyRing.from_settings(settings)
        # Verifying a signature is a twentieth of a small request's CPU, and a client sends
        # the same access token for minutes: a token verified once is remembered (failures
        # are not), and its expiry is checked again on every use below.
        self._verified = lru_cache(maxsize=4096)(self._verify)

    def encode(self, typ: str, subject: str, claims: dict[str, Any], now: datetime,
               ttl_seconds: int) -> tuple[str, datetime]:
        expires = now + timedelta(seconds=ttl_seconds)
        payload = {
            "typ": typ,
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": subject,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
            **claims,
        }
        token = jwt.encode(payload, self.keys.signing_key, algorithm=self.keys.algorithm,
                           headers={"kid": self.keys.signing_kid, "typ": "JWT"})
        return token, expires

    def decode(self, token: str, typ: str, now: datetime) -> dict[str, Any]:
        claims = dict(self._verified(token, typ))
        # pyjwt checks exp/nbf against the wall clock; `now` is real (security) time too.
        if claims["exp"] < now.timestamp() - 5:
            raise TokenExpired("expired")
        return claims

    def _verify(self, token: str, typ: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if not isinstance(kid, str) or kid not in self.keys.verification_keys:
                raise TokenInvalid("unknown key")
            claims = jwt.decode(
                token,
                self.keys.verification_keys[kid],
                algorithms=[self.keys.algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": REQUIRED_CLAIMS},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as error:
            # pyjwt checks the signature, issuer and audience before the expiry.
            raise TokenExpired(str(error)) from error
        except jwt.InvalidTokenError as error:
            raise TokenInvalid(str(error)) from error
        if claims.get("typ") != typ:
            raise TokenInvalid("wrong token type")
        return claims
