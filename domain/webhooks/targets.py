"""Where a webhook may go (T5, SSRF): checked when an endpoint is saved, and again at
every delivery, since DNS can change between the two.

In production an endpoint URL must be `https` and every address its host resolves to must
be a public one: no loopback, private (RFC 1918, unique-local), link-local, carrier-grade
NAT, reserved, multicast or cloud metadata address, also not when wrapped in an IPv6 form
(IPv4-mapped, 6to4, NAT64, Teredo). Outside production `http` and loopback are allowed as
well, for development and tests; the other non-public addresses stay refused everywhere.

At delivery the connection goes to the very address that was checked (`Pinned`): the
URL's host is replaced by that address, while the `Host` header and the TLS server name
(SNI and certificate check) keep the name. So a DNS answer that changes between the check
and the connect (DNS rebinding) cannot send the request anywhere else.

The address rules are here; asking DNS is an adapter (adapters/dns.py) handed in at start
by api/wiring.py. httpx's URL model parses the URL, so the rule reads it exactly as the
HTTP client that sends the delivery will (no request leaves from here)."""
from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from typing import Awaitable, Callable

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) → the addresses the host name resolves to; raises OSError when it does not.
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL = 2000
RESOLVE_TIMEOUT_SECONDS = 5.0
# Non-public addresses that `is_global` does not catch on every Python version, and
# metadata services that sit on public-looking addresses.
_BLOCKED = tuple(ipaddress.ip_network(net) for net in (
    "192.0.0.0/24",        # IETF protocol assignments (Oracle Cloud metadata: 192.0.0.192)
    "168.63.129.16/32",    # Azure wire server
    "100.64.0.0/10",       # carrier-grade NAT (Alibaba Cloud metadata: 100.100.100.200)
    "64:ff9b:1::/48",      # local-use NAT64
    "fd00:ec2::/32",       # AWS metadata over IPv6
    "::/96",               # IPv4-compatible IPv6 (deprecated; ::127.0.0.1 is loopback on some stacks)
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """The URL may not be called; the message says why in words a partner can act on."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
        if address.ipv4_mapped:
            return True
    if address.is_multicast or any(address in net for net in _BLOCKED if net.version == address.version):
        return False
    return address.is_global


def address_allowed(address: IPAddress, *, production: bool) -> bool:
    if is_public(address):
        return True
    if production:
        return False
    inner = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    return address.is_loopback or (inner is not None and inner.is_loopback)


@dataclass(frozen=True)
class Target:
    """A checked URL: its scheme, host (IDNA-encoded), port, and the netloc for `Host`."""

    url: httpx.URL
    host: str
    port: int
    netloc: str
    literal: IPAddress | None


def parse(url: str, *, production: bool) -> Target:
    """The URL's form: scheme, host, no credentials or fragment. Raises UnsafeTarget."""
    text = (url or "").strip()
    if not text or len(text) > MAX_URL:
        raise UnsafeTarget(f"Enter the endpoint's full URL (at most {MAX_URL} characters).")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in text):
        raise UnsafeTarget("The URL contains spaces or control characters.")
    try:
        parsed = httpx.URL(text)
        host = parsed.raw_host.decode("ascii")
        explicit_port = parsed.port
    except (httpx.InvalidURL, UnicodeError, ValueError) as error:
        raise UnsafeTarget("This is not a valid URL.") from error
    if explicit_port is not None and not 1 <= explicit_port <= 65535:
        raise UnsafeTarget("The port must be a number from 1 to 65535.")
    allowed_schemes = ("https",) if production else ("https", "http")
    if parsed.scheme not in allowed_schemes:
        raise UnsafeTarget("The URL must start with https://." if production
                           else "The URL must start with https:// or http://.")
    if not host:
        raise UnsafeTarget("The URL has no host.")
    if parsed.userinfo:
        raise UnsafeTarget("Put no user name or password in the URL; verify deliveries by their signature.")
    if parsed.fragment:
        raise UnsafeTarget("The URL must not have a #fragment.")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
        if host.endswith(".") or "." not in host and host != "localhost":
            raise UnsafeTarget("Use the host's full name.")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return Target(parsed, host, port, parsed.netloc.decode("ascii"), literal)


async def _unwired(host: str, port: int) -> list[str]:
    raise RuntimeError("no DNS resolver wired: the program's start calls api.wiring.wire()")


_resolver: Resolver = _unwired


def resolve_names_with(resolver: Resolver) -> None:
    """Where host names are looked up from now on (api/wiring.py hands it in)."""
    global _resolver
    _resolver = resolver


async def resolve(target: Target, *, production: bool) -> IPAddress:
    """The address to connect to: every address the host resolves to must be allowed
    (an attacker's DNS may answer a public and a private one); the first is used."""
    if target.literal is not None:
        addresses = [target.literal]
    else:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                answers = await _resolver(target.host, target.port)
            addresses = list(dict.fromkeys(ipaddress.ip_address(a.split("%")[0]) for a in answers))
        except (OSError, asyncio.TimeoutError, ValueError, UnicodeError) as error:
            raise UnsafeTarget(f"The host {target.host} cannot be resolved.") from error
        if not addresses:
            raise UnsafeTarget(f"The host {target.host} cannot be resolved.")
    for address in addresses:
        if not address_allowed(address, production=production):
            raise UnsafeTarget("The URL points to a private, loopback or otherwise internal address; "
                               "webhooks go to public addresses only." if production else
                               "The URL points to a private or internal address; webhooks go to public or "
                               "loopback addresses only.")
    return addresses[0]


async def check(url: str, *, production: bool) -> str:
    """Saving an endpoint: the URL, trimmed, when it may be called; UnsafeTarget if not."""
    target = parse(url, production=production)
    await resolve(target, production=production)
    # The delivery code's own first steps, so a URL it could not send to is refused now
    # rather than failing every delivery later.
    try:
        pinned = await pin(url, production=production)
        httpx.Request("POST", pinned.url, headers=pinned.headers, extensions=pinned.extensions)
    except UnsafeTarget:
        raise
    except (httpx.InvalidURL, ValueError, TypeError, OverflowError, UnicodeError) as error:
        raise UnsafeTarget("This URL cannot be called.") from error
    return str(target.url)


@dataclass(frozen=True)
class Pinned:
    """A request that connects to the checked address and names the host."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, str]


async def pin(url: str, *, production: bool) -> Pinned:
    target = parse(url, production=production)
    address = await resolve(target, production=production)
    connect_to = target.url.copy_with(host=str(address))
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    return Pinned(connect_to, {"host": target.netloc}, extensions)
