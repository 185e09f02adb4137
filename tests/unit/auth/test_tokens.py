"""Tampered and foreign tokens never verify (SPEC T3; API.md Tokens): the algorithm is
pinned, `kid` only names configured keys, iss/aud/exp/nbf/sub/typ are required and checked."""
import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth.tokens import ACCESS, REQUIRED_CLAIMS, TokenInvalid, TokenService
from infra.settings import Settings

SECRET = "unit-test-secret-0123456789abcdef0123456789"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
BASE = Settings(jwt_secret=SECRET)


def service(**overrides) -> TokenService:
    return TokenService(BASE.replace(**overrides))


def access_token(tokens: TokenService, *, now: datetime = NOW, ttl: int = 900, typ: str = ACCESS) -> str:
    token, _ = tokens.encode(typ, "42", {"kind": "paid", "acc": "7", "ver": 1, "scope": "dossiers:read"}, now, ttl)
    return token


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _hs256_with_key(claims: dict, key: bytes, kid) -> str:
    """Sign by hand: pyjwt refuses a PEM key as an HMAC secret, or a non-string kid."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid is not None else {})}
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_a_genuine_token_verifies_with_all_claims():
    tokens = service()
    claims = tokens.decode(access_token(tokens), ACCESS, NOW)
    assert set(REQUIRED_CLAIMS) <= set(claims)
    assert claims["sub"] == "42" and claims["typ"] == "access" and jwt.get_unverified_header(access_token(tokens))["kid"] == "k1"


def test_alg_none_is_refused():
    tokens = service()
    forged = jwt.encode(claims_of(access_token(tokens)), None, algorithm="none", headers={"kid": "k1"})
    with pytest.raises(TokenInvalid):
        tokens.decode(forged, ACCESS, NOW)


def test_a_token_signed_with_another_key_is_refused():
    tokens = service()
    forged = jwt.encode(claims_of(access_token(tokens)), "attacker-secret-0123456789abcdef01234567",
                        algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(TokenInvalid):
        tokens.decode(forged, ACCESS, NOW)


@pytest.mark.parametrize("kid", ["k0", "../../dev/null", "", None, 1])
def test_an_unknown_kid_is_refused(kid):
    tokens = service()
    # Signed by hand with the right secret: pyjwt refuses to even write a non-string kid.
    forged = _hs256_with_key(claims_of(access_token(tokens)), SECRET.encode(), kid)
    with pytest.raises(TokenInvalid):
        tokens.decode(forged, ACCESS, NOW)


@pytest.mark.parametrize("setting, value", [("jwt_audience", "another-api"), ("jwt_issuer", "someone-else")])
def test_wrong_audience_or_issuer_is_refused(setting, value):
    foreign = access_token(service(**{setting: value}))
    with pytest.raises(TokenInvalid):
        service().decode(foreign, ACCESS, NOW)


def test_an_expired_token_is_refused():
    tokens = service()
    old = access_token(tokens, now=NOW - timedelta(hours=2), ttl=900)
    with pytest.raises(TokenInvalid):
        tokens.decode(old, ACCESS, NOW)


def test_a_token_not_valid_yet_is_refused():
    tokens = service()
    future = access_token(tokens, now=NOW + timedelta(hours=1))
    with pytest.raises(TokenInvalid):
        tokens.decode(future, ACCESS, NOW)


@pytest.mark.parametrize("missing", REQUIRED_CLAIMS)
def test_a_token_missing_a_required_claim_is_refused(missing):
    tokens = service()
    claims = claims_of(access_token(tokens))
    del claims[missing]
    forged = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(TokenInvalid):
        tokens.decode(forged, ACCESS, NOW)


@pytest.mark.parametrize("typ", ["refresh", "invitation", "ACCESS", ""])
def test_other_token_types_never_pass_as_access_tokens(typ):
    tokens = service()
    with pytest.raises(TokenInvalid):
        tokens.decode(access_token(tokens, typ=typ), ACCESS, NOW)


def test_garbage_is_refused():
    tokens = service()
    for token in ("", "a.b.c", "not a jwt", access_token(tokens)[:-3]):
        with pytest.raises(TokenInvalid):
            tokens.decode(token, ACCESS, NOW)


@pytest.fixture
def rsa_key_file(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "signing.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    public = tmp_path / "public.pem"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, public


def test_rs256_with_a_key_file_signs_and_verifies_and_refuses_key_confusion(rsa_key_file):
    private, public = rsa_key_file
    tokens = service(jwt_algorithm="RS256", jwt_secret="", jwt_private_key_file=str(private), jwt_key_id="rsa1")
    token = access_token(tokens)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "rsa1", "typ": "JWT"}
    assert tokens.decode(token, ACCESS, NOW)["sub"] == "42"
    # HS256 "signed" with the public key: the classic algorithm-confusion attack.
    confused = _hs256_with_key(claims_of(token), public.read_bytes(), "rsa1")
    with pytest.raises(TokenInvalid):
        tokens.decode(confused, ACCESS, NOW)
    with pytest.raises(TokenInvalid):
        tokens.decode(access_token(service()), ACCESS, NOW)  # an HS256 token of the same issuer


def test_rs256_verifies_with_configured_public_key_files(rsa_key_file, tmp_path):
    private, public = rsa_key_file
    signer = service(jwt_algorithm="RS256", jwt_private_key_file=str(private), jwt_key_id="old")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    new_private = tmp_path / "new.pem"
    new_private.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    rotated = service(jwt_algorithm="RS256", jwt_private_key_file=str(new_private), jwt_key_id="new",
                      jwt_public_key_files=(f"old={public}",))
    assert rotated.decode(access_token(signer), ACCESS, NOW)["sub"] == "42"
    assert jwt.get_unverified_header(access_token(rotated))["kid"] == "new"


def test_kid_rotation_keeps_old_tokens_valid_until_the_old_secret_is_dropped():
    """T3: a new key is introduced while tokens signed with the old one still verify."""
    old = service(jwt_key_id="2025", jwt_secret="old-secret-0123456789abcdef0123456789ab")
    issued_before = access_token(old)
    rotated = service(jwt_key_id="2026", jwt_secret="new-secret-0123456789abcdef0123456789ab",
                      jwt_previous_secrets=("2025:old-secret-0123456789abcdef0123456789ab",))
    assert rotated.decode(issued_before, ACCESS, NOW)["sub"] == "42"
    fresh = access_token(rotated)
    assert jwt.get_unverified_header(fresh)["kid"] == "2026"
    with pytest.raises(TokenInvalid):
        old.decode(fresh, ACCESS, NOW)
    dropped = service(jwt_key_id="2026", jwt_secret="new-secret-0123456789abcdef0123456789ab")
    with pytest.raises(TokenInvalid):
        dropped.decode(issued_before, ACCESS, NOW)
    # A previous key's kid paired with the current secret is still just a wrong signature.
    mixed = jwt.encode(claims_of(fresh), "new-secret-0123456789abcdef0123456789ab", algorithm="HS256",
                       headers={"kid": "2025"})
    with pytest.raises(TokenInvalid):
        rotated.decode(mixed, ACCESS, NOW)


def test_a_token_verified_once_is_still_refused_once_it_has_expired():
    """Verification is remembered per token; expiry is not: it is checked on
    every use against the security clock."""
    tokens = service()
    token = access_token(tokens, ttl=3600)
    assert tokens.decode(token, ACCESS, NOW)["sub"] == "42"
    with pytest.raises(TokenInvalid):
        tokens.decode(token, ACCESS, NOW + timedelta(seconds=3700))


def test_a_remembered_token_does_not_pass_as_another_type_and_a_changed_one_is_checked_afresh():
    tokens = service()
    token = access_token(tokens)
    tokens.decode(token, ACCESS, NOW)
    with pytest.raises(TokenInvalid):
        tokens.decode(token, "refresh", NOW)
    head, body, signature = token.split(".")
    with pytest.raises(TokenInvalid):
        tokens.decode(f"{head}.{body}.{signature[:-2]}AA", ACCESS, NOW)
    claims = tokens.decode(token, ACCESS, NOW)
    claims["sub"] = "changed by a caller"
    assert tokens.decode(token, ACCESS, NOW)["sub"] == "42"
