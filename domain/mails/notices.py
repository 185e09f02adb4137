"""Mails that tell an account's owners something happened on its own (T5: a webhook
endpoint disabled after failing). In the account's language."""
from __future__ import annotations

from datetime import datetime

from domain.core.locale_format import format_moment, format_number
from domain.mails.letter import Mail, Text, letter


@letter("webhook_disabled")
def webhook_disabled(locale: str, *, url: str, failing_since: datetime | None, failures: int,
                     time_zone: str) -> Mail:
    _ = Text(locale)
    since = format_moment(failing_since, locale, time_zone, with_zone=True) if failing_since else "—"
    return _.mail(
        "webhook_disabled",
        _("A webhook endpoint was disabled"),
        _.plural("Casebook stopped sending events to a webhook endpoint of your account, because every delivery "
                 "to it has failed since %(since)s (%(count)s attempt in a row).",
                 "Casebook stopped sending events to a webhook endpoint of your account, because every delivery "
                 "to it has failed since %(since)s (%(count)s attempts in a row).",
                 failures, since=since, count=format_number(failures, locale)),
        _("Endpoint: %(url)s", url=url),
        _("Deliveries that were still queued for it are marked failed. Once the receiving system works again, "
          "enable the endpoint (updateWebhookEndpoint with enabled: true) and replay the deliveries it missed "
          "(replayWebhookDelivery)."))
