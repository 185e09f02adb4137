"""Outgoing mail through MAIL_URL (API.md Transport): `smtp://[user:pass@]host:port`
through an async SMTP client, or `file:///dir` / `file://./relative` writing one RFC 5322
`.eml` file per message (development, tests, and deployments that hand mail on)."""
from __future__ import annotations

import asyncio
import logging
import os
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from domain.core.settings import Settings

log = logging.getLogger("casebook.mail")
SMTP_TIMEOUT_SECONDS = 15


class MailNotSent(Exception):
    """The transport refused or could not be reached; the caller decides what that means."""


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="casebook.invalid")
    message.set_content(body)
    return message


def mail_directory(mail_url: str) -> Path:
    """`file:///abs/dir` → /abs/dir; `file://./rel` → ./rel."""
    return Path(unquote(mail_url[len("file://"):]) or ".")


def _write_eml(directory: Path, message: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.eml"
    partial = directory / f".{name}.part"
    partial.write_bytes(message.as_bytes())
    # Rename last, so a reader of the directory never sees half a message.
    final = directory / name
    os.replace(partial, final)
    return final


async def _send_smtp(mail_url: str, message: EmailMessage) -> None:
    parts = urlsplit(mail_url)
    await aiosmtplib.send(
        message,
        hostname=parts.hostname or "localhost",
        port=parts.port or 25,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=SMTP_TIMEOUT_SECONDS,
    )


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises MailNotSent when it could not be handed over."""
    message = build_message(settings, to, subject, body)
    try:
        if settings.mail_url.startswith("file://"):
            await asyncio.to_thread(_write_eml, mail_directory(settings.mail_url), message)
        elif settings.mail_url.startswith("smtp://"):
            await _send_smtp(settings.mail_url, message)
        else:
            raise MailNotSent(f"unsupported MAIL_URL scheme in {settings.mail_url.split(':')[0]!r}")
    except MailNotSent:
        raise
    except (OSError, aiosmtplib.SMTPException, asyncio.TimeoutError) as error:
        raise MailNotSent(str(error)) from error


async def send_mail_or_log(settings: Settings, to: str, subject: str, body: str) -> bool:
    """For mail sent after a commit: a failure is logged, never raised, since what the
    mail announces (an invitation) is already stored and stays valid."""
    try:
        await send_mail(settings, to, subject, body)
    except MailNotSent as error:
        # The domain only: addresses are personal data and logs travel far.
        log.error("mail to a recipient at %s (%r) was not sent: %s", to.rpartition("@")[2], subject, error)
        return False
    return True
