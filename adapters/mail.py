"""Mail transports (API.md Transport), chosen by MAIL_URL: `smtp://[user:pass@]host:port`
through an async SMTP client, or `file:///dir` / `file://./relative` writing one RFC 5322
`.eml` file per message (development, tests, and deployments that hand mail on).

The file transport names the file after the Message-ID, so a repeated delivery of one
message rewrites the same file."""
from __future__ import annotations

import asyncio
import hashlib
import os
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from domain.outbox.mail import MailNotSent, MailTransport, TransportFailed

SMTP_TIMEOUT_SECONDS = 15


def mail_directory(mail_url: str) -> Path:
    """`file:///abs/dir` → /abs/dir; `file://./rel` → ./rel."""
    return Path(unquote(mail_url[len("file://"):]) or ".")


def _write_eml(directory: Path, message: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:32] + ".eml"
    partial = directory / f".{name}.part"
    partial.write_bytes(message.as_bytes())
    # Rename last, so a reader of the directory never sees half a message.
    final = directory / name
    os.replace(partial, final)
    return final


def mail_transport(mail_url: str) -> MailTransport:
    """The transport MAIL_URL names. An unknown scheme (settings refuse one at start)
    leaves every message unsent, to be tried again once the setting is right."""

    async def to_files(message: EmailMessage) -> None:
        try:
            await asyncio.to_thread(_write_eml, mail_directory(mail_url), message)
        except OSError as error:
            raise TransportFailed(str(error)) from error

    async def over_smtp(message: EmailMessage) -> None:
        parts = urlsplit(mail_url)
        try:
            await aiosmtplib.send(
                message,
                hostname=parts.hostname or "localhost",
                port=parts.port or 25,
                username=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (OSError, aiosmtplib.SMTPException, asyncio.TimeoutError) as error:
            raise TransportFailed(str(error)) from error

    async def unsupported(message: EmailMessage) -> None:
        raise MailNotSent(f"unsupported MAIL_URL scheme in {mail_url.split(':')[0]!r}")

    if mail_url.startswith("file://"):
        return to_files
    if mail_url.startswith("smtp://"):
        return over_smtp
    return unsupported
