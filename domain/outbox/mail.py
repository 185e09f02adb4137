"""Mail (API.md Transport): queued in the outbox by the write that announces it, sent by
the worker through MAIL_URL — `smtp://[user:pass@]host:port` through an async SMTP
client, or `file:///dir` / `file://./relative` writing one RFC 5322 `.eml` file per
message (development, tests, and deployments that hand mail on).

A message gets its Message-ID when it is queued, so every retry of it carries the same
one and a receiver can drop a repeat; the file transport names the file after it, so a
repeated delivery rewrites the same file."""
from __future__ import annotations

import asyncio
import hashlib
import os
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from infra.clock import utc_now
from infra.settings import Settings
from domain.outbox import ceiling
from domain.outbox.queue import Claimed, enqueue

MAIL = "mail"
SMTP_TIMEOUT_SECONDS = 15


class MailNotSent(Exception):
    """The transport refused or could not be reached; the worker tries again later."""


async def queue_mail(to: str, subject: str, body: str, *, account_id: int | None = None,
                     own_security_notice: bool = False) -> int | None:
    """Queue one plain-text message. Call inside the transaction of the write it announces.
    None when the recipient's ceiling is reached (domain/outbox/ceiling.py):
    `own_security_notice` marks the few notices that go out all the same."""
    if not await ceiling.admit(to, always=own_security_notice):
        return None
    payload = {"to": to, "subject": subject, "body": body,
               "message_id": make_msgid(domain="casebook.invalid"), "date": format_datetime(utc_now())}
    return await enqueue(MAIL, payload, account_id=account_id)


def build_message(settings: Settings, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = payload["date"]
    message["Message-ID"] = payload["message_id"]
    message.set_content(payload["body"])
    return message


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


async def send(settings: Settings, payload: dict[str, Any]) -> None:
    """Hand one queued message to the transport; raises MailNotSent when it could not."""
    message = build_message(settings, payload)
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
        # The domain only: addresses are personal data and logs travel far.
        raise MailNotSent(f"to a recipient at {payload['to'].rpartition('@')[2]}: {error}") from error


def mail_handler(settings: Settings):  # noqa: ANN201 - a worker Handler
    async def deliver(message: Claimed) -> None:
        await send(settings, message.payload)

    return deliver
