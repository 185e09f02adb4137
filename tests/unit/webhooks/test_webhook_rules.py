"""The pure rules of webhooks (T5): which addresses are public, the retry schedule and
disabling threshold, Standard Webhooks signatures (against the reference library), and
secrets sealed at rest."""
from __future__ import annotations

import ipaddress
import random
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from domain.webhooks import retries, signing, targets
from domain.webhooks.vault import SecretUnreadable, Vault
from tests.support.webhooks import FakeDns

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_are_allowed_everywhere(address):
    ip = ipaddress.ip_address(address)
    assert targets.address_allowed(ip, production=True) and targets.address_allowed(ip, production=False)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "::1", "::ffff:127.0.0.1",                                # loopback
    "10.0.0.1", "172.16.0.1", "192.168.1.1", "fd00::1", "::ffff:10.0.0.1",  # private
    "169.254.169.254", "fe80::1",                                          # link-local (metadata)
    "100.100.100.200", "192.0.0.192", "168.63.129.16", "fd00:ec2::254",    # clouds' metadata
    "0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255", "240.0.0.1", "198.18.0.1",
    "2002:7f00:1::", "2002:a00:1::", "64:ff9b::7f00:1", "64:ff9b::a00:1",  # 6to4, NAT64 wrapping
    "::127.0.0.1", "::7f00:1", "::10.0.0.1",                               # IPv4-compatible IPv6
])
def test_non_public_addresses_are_refused_in_production(address):
    assert not targets.address_allowed(ipaddress.ip_address(address), production=True)


def test_outside_production_loopback_is_allowed_and_the_rest_still_refused():
    assert targets.address_allowed(ipaddress.ip_address("127.0.0.1"), production=False)
    assert targets.address_allowed(ipaddress.ip_address("::1"), production=False)
    for address in ("10.0.0.1", "169.254.169.254", "192.168.1.1"):
        assert not targets.address_allowed(ipaddress.ip_address(address), production=False)


def test_pinning_connects_to_the_address_and_keeps_the_name():
    import asyncio

    with FakeDns({"hooks.example.org": ["93.184.216.34"]}):
        pinned = asyncio.run(targets.pin("https://hooks.example.org:8443/in?x=1", production=True))
    assert str(pinned.url) == "https://93.184.216.34:8443/in?x=1"
    assert pinned.headers == {"host": "hooks.example.org:8443"}
    assert pinned.extensions == {"sni_hostname": "hooks.example.org"}


def test_retries_back_off_exponentially_with_jitter():
    rng = random.Random(7)
    delays = [retries.retry_delay(n, rng).total_seconds() for n in range(1, 12)]
    bases = [min(6 * 3600, 10 * 3 ** (n - 1)) for n in range(1, 12)]
    for delay, base in zip(delays, bases):
        assert base * 0.8 <= delay <= base * 1.2
    assert len({round(d / b, 3) for d, b in zip(delays, bases)}) > 5  # jittered, not fixed


def test_retries_go_on_for_at_least_a_day_then_stop():
    created, now, attempts = NOW, NOW, 0
    rng = random.Random(1)
    while True:
        attempts += 1
        following = retries.next_attempt(created, attempts, now, rng)
        if following is None:
            break
        now = following
    assert now - created >= timedelta(days=1)
    assert now - created < timedelta(days=1, hours=8)
    assert 10 <= attempts <= 16


def test_the_disabling_threshold_needs_both_time_and_count():
    long_ago = NOW - retries.DISABLE_AFTER
    assert retries.should_disable(retries.DISABLE_AFTER_FAILURES, long_ago, NOW)
    assert not retries.should_disable(retries.DISABLE_AFTER_FAILURES - 1, long_ago, NOW)
    assert not retries.should_disable(500, NOW - timedelta(days=4), NOW)
    assert not retries.should_disable(500, None, NOW)


def test_signatures_match_the_reference_library():
    secret = signing.new_secret()
    body = '{"type":"dossier.created","data":{"accountId":"QWNjb3VudDox"}}'
    timestamp = int(NOW.timestamp())
    ours = signing.signature(secret, "msg_1", timestamp, body)
    assert ours == Webhook(secret).sign("msg_1", NOW, body)


def test_headers_carry_one_signature_per_secret_in_force():
    import time

    old, new = signing.new_secret(), signing.new_secret()
    body, now = '{"type":"dossier.updated"}', int(time.time())
    headers = signing.headers([new, old], "msg_2", now, body)
    assert headers["webhook-id"] == "msg_2" and headers["webhook-timestamp"] == str(now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)


def test_secrets_are_sealed_and_open_only_with_a_configured_key():
    secret = signing.new_secret()
    vault = Vault("a" * 40)
    sealed = vault.seal(secret)
    assert secret not in sealed and secret.removeprefix("whsec_") not in sealed
    assert vault.open(sealed) == secret
    assert Vault("b" * 40, previous=("a" * 40,)).open(sealed) == secret  # the key was replaced
    with pytest.raises(SecretUnreadable):
        Vault("b" * 40).open(sealed)
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretUnreadable):
        vault.open(tampered)
