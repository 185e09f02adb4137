"""Mail (API.md Transport): queued in the outbox by the write that announces it, sent by
the worker through a transport the top hands in (adapters/mail.py: SMTP, or `.eml` files,
as MAIL_URL says).

A message gets its Message-ID when it is queued, so every retry of it carries the same
one and a receiver can drop a repeat."""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Awaitable, Callable

from infra.clock import utc_now
from infra.settings import Settings
from domain.outbox import ceiling
from domain.outbox.queue import Claimed, enqueue

MAIL = "mail"


class MailNotSent(Exception):
    """The transport refused or could not be reached; the worker tries again later."""


class TransportFailed(Exception):
    """A transport's own failure, in its words; sending adds which domain it was for."""


# Hands one message on, or raises TransportFailed (or MailNotSent, said as it stands).
MailTransport = Callable[[EmailMessage], Awaitable[None]]


async def queue_mail(to: str, subject: str, body: str, *, account_id: int | None = None,
                     own_security_notice: bool = False, now: datetime | None = None) -> int | None:
    """Queue one plain-text message. Call inside the transaction of the write it announces.
    None when the recipient's ceiling is reached (domain/outbox/ceiling.py):
    `own_security_notice` marks the few notices that go out all the same; `now`, the
    account's business time when the caller has it (else it is read)."""
    if not await ceiling.admit(to, always=own_security_notice):
        return None
    payload = {"to": to, "subject": subject, "body": body,
               "message_id": make_msgid(domain="casebook.invalid"), "date": format_datetime(utc_now())}
    return await enqueue(MAIL, payload, account_id=account_id, now=now)


def build_message(settings: Settings, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = payload["date"]
    message["Message-ID"] = payload["message_id"]
    message.set_content(payload["body"])
    return message


async def send(settings: Settings, transport: MailTransport, payload: dict[str, Any]) -> None:
    """Hand one queued message to the transport; raises MailNotSent when it could not."""
    message = build_message(settings, payload)
    try:
        await transport(message)
    except TransportFailed as error:
        # The domain only: addresses are personal data and logs travel far.
        raise MailNotSent(f"to a recipient at {payload['to'].rpartition('@')[2]}: {error}") from error


def mail_handler(settings: Settings, transport: MailTransport):  # noqa: ANN201 - a worker Handler
    async def deliver(message: Claimed) -> None:
        await send(settings, transport, message.payload)

    return deliver
