"""A mail: its kind, language, subject and body; the registry of every kind; the
translator letters are written with; and queuing one through the outbox (O1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from gettext import NullTranslations
from typing import Callable

from domain.core.locale_format import format_number
from domain.core.translations import N_, translations
from domain.outbox.mail import queue_mail


@dataclass(frozen=True)
class Mail:
    kind: str
    locale: str
    subject: str
    body: str


MAILS: dict[str, Callable[..., Mail]] = {}
GREETING = N_("Hello,")
CLOSING = N_("Kind regards,\nCasebook")


def letter(kind: str) -> Callable[[Callable[..., Mail]], Callable[..., Mail]]:
    def register(write: Callable[..., Mail]) -> Callable[..., Mail]:
        MAILS[kind] = write
        return write

    return register


class Text:
    """The translator of one locale, with the helpers every letter uses."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.catalog: NullTranslations = translations(locale)

    def __call__(self, message: str, **values: object) -> str:
        text = self.catalog.gettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values: object) -> str:
        # The form is chosen by n; the number is written as the language writes it (1.440).
        return self.catalog.ngettext(singular, plural, n) % {"n": format_number(n, self.locale), **values}

    def mail(self, kind: str, subject: str, *paragraphs: str) -> Mail:
        """Greeting, paragraphs and the closing line, one blank line between them."""
        body = "\n\n".join([self.catalog.gettext(GREETING), *paragraphs, self.catalog.gettext(CLOSING)]) + "\n"
        return Mail(kind=kind, locale=self.locale, subject=subject, body=body)


async def post(to: str, mail: Mail, *, account_id: int | None = None,
               own_security_notice: bool = False, now: datetime | None = None) -> int | None:
    """Queue the mail in the current transaction (O1); None when the recipient's ceiling
    stops it (`own_security_notice`: a login's own security notices go out all the same)."""
    return await queue_mail(to, mail.subject, mail.body, account_id=account_id,
                            own_security_notice=own_security_notice, now=now)

