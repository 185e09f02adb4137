"""Every mail Casebook sends, in each of its three languages (L1): the subject, the
body's formal address, the link, and dates and counts written as the language writes
them. The registry (domain.mails.letter.MAILS) is every mail: nothing else queues one."""
import importlib
import pkgutil
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

import domain.mails
from domain.mails.letter import MAILS

# Letters register on import: import every module of the package, new ones too.
for _module in pkgutil.iter_modules(domain.mails.__path__):
    importlib.import_module(f"domain.mails.{_module.name}")

ROOT = Path(__file__).resolve().parents[3]
LINK = "https://app.example.org/some-page?token=tok_123-abc"
WHEN = datetime(2026, 5, 15, 9, 30, tzinfo=timezone.utc)   # 11:30 in Amsterdam and Berlin

# What each mail is given, as its caller gives it.
SAMPLES = {
    "verification": {"link": LINK, "hours": 48},
    "password_changed": {},
    "password_reset": {"link": LINK, "minutes": 60},
    "email_change_confirm": {"link": LINK, "hours": 24, "requester": "old@example.org"},
    "email_change_taken": {},
    "email_change_requested": {"new_email": "new@example.org"},
    "email_changed": {"new_email": "new@example.org"},
    "teammate_invitation": {"practice": "Praktijk De Linde", "role": "ADMIN", "link": LINK, "expires_at": WHEN,
                            "time_zone": "Europe/Amsterdam"},
    "share_invitation": {"practice": "Praktijk De Linde", "access": "CONTRIBUTOR", "link": LINK,
                         "expires_at": WHEN, "time_zone": "Europe/Amsterdam"},
    "share_notice": {"practice": "Praktijk De Linde", "access": "VIEWER", "app_url": "https://app.example.org"},
    "webhook_disabled": {"url": "https://hooks.example.net/casebook", "failing_since": WHEN, "failures": 1234,
                         "time_zone": "Europe/Berlin"},
}

SUBJECTS = {
    "verification": ("Confirm your email address for Casebook", "Bevestig uw e-mailadres voor Casebook",
                     "Bestätigen Sie Ihre E-Mail-Adresse für Casebook"),
    "password_changed": ("Your Casebook password was changed", "Uw Casebook-wachtwoord is gewijzigd",
                         "Ihr Casebook-Passwort wurde geändert"),
    "password_reset": ("Reset your Casebook password", "Stel een nieuw wachtwoord in voor Casebook",
                       "Setzen Sie Ihr Casebook-Passwort zurück"),
    "email_change_confirm": ("Confirm your new email address for Casebook",
                             "Bevestig uw nieuwe e-mailadres voor Casebook",
                             "Bestätigen Sie Ihre neue E-Mail-Adresse für Casebook"),
    "email_change_taken": ("Someone tried to move a Casebook login to your address",
                           "Iemand probeerde een Casebook-login naar uw adres te verhuizen",
                           "Jemand hat versucht, ein Casebook-Login auf Ihre Adresse umzustellen"),
    "email_change_requested": ("Your Casebook address is about to change",
                               "Het adres van uw Casebook-login gaat veranderen",
                               "Die Adresse Ihres Casebook-Logins soll sich ändern"),
    "email_changed": ("Your Casebook address was changed", "Het adres van uw Casebook-login is gewijzigd",
                      "Die Adresse Ihres Casebook-Logins wurde geändert"),
    "teammate_invitation": ("You are invited to the team of Praktijk De Linde on Casebook",
                            "U bent uitgenodigd voor het team van Praktijk De Linde in Casebook",
                            "Sie sind in Casebook in das Team von Praktijk De Linde eingeladen"),
    "share_invitation": ("A dossier was shared with you on Casebook", "Er is een dossier met u gedeeld in Casebook",
                         "In Casebook wurde ein Dossier für Sie freigegeben"),
    "share_notice": ("A dossier was shared with you on Casebook", "Er is een dossier met u gedeeld in Casebook",
                     "In Casebook wurde ein Dossier für Sie freigegeben"),
    "webhook_disabled": ("A webhook endpoint was disabled", "Een webhook-endpoint is uitgeschakeld",
                         "Ein Webhook-Endpunkt wurde deaktiviert"),
}
# Per language: greeting, closing, how the person is addressed, words English must not leave behind.
LANGUAGE = {
    "EN": ("Hello,", "Kind regards,\nCasebook", re.compile(r"\byou\b|\byour\b", re.I), ()),
    "NL": ("Goedendag,", "Met vriendelijke groet,\nCasebook", re.compile(r"\bu\b|\buw\b"),
           (" you ", " the ", "Hello", " je ", " jij ", " jouw ")),
    "DE": ("Guten Tag,", "Mit freundlichen Grüßen\nCasebook", re.compile(r"\bSie\b|\bIhr\w*\b"),
           (" you ", " the ", "Hello", " du ", " dich ", " dein")),
}
# Dates and counts in the body, as each language writes them.
DETAILS = {
    "verification": ("48 hours", "48 uur", "48 Stunden"),
    "password_reset": ("60 minutes", "60 minuten", "60 Minuten"),
    "email_change_confirm": ("24 hours", "24 uur", "24 Stunden"),
    "email_change_requested": ("new@example.org",) * 3,
    "email_changed": ("new@example.org",) * 3,
    "teammate_invitation": ("May 15, 2026, 11:30\u202fAM +0200", "15 mei 2026, 11:30 CEST", "15. Mai 2026, 11:30 MESZ"),
    "share_invitation": ("May 15, 2026, 11:30\u202fAM +0200", "15 mei 2026, 11:30 CEST", "15. Mai 2026, 11:30 MESZ"),
    "share_notice": ("https://app.example.org",) * 3,
    "webhook_disabled": ("May 15, 2026, 11:30\u202fAM +0200", "15 mei 2026, 11:30 CEST", "15. Mai 2026, 11:30 MESZ"),
}
ORDER = ("EN", "NL", "DE")


def test_l1_the_samples_cover_every_mail_casebook_sends():
    assert set(SAMPLES) == set(MAILS) == set(SUBJECTS)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("locale", ORDER)
def test_l1_every_mail_in_every_language(kind, locale):
    mail = MAILS[kind](locale, **SAMPLES[kind])
    greeting, closing, address, leftovers = LANGUAGE[locale]
    assert (mail.kind, mail.locale) == (kind, locale)
    assert mail.subject == SUBJECTS[kind][ORDER.index(locale)]
    assert mail.body.startswith(greeting + "\n\n") and mail.body.endswith(closing + "\n")
    assert address.search(mail.body), mail.body
    for word in leftovers:
        assert word not in f" {mail.body} ", (word, mail.body)
    if "link" in SAMPLES[kind]:
        assert f"\n\n{LINK}\n\n" in mail.body  # alone on its line, whole, so every mail client links it
    if kind in DETAILS:
        assert DETAILS[kind][ORDER.index(locale)] in mail.body, mail.body
    assert "%(" not in mail.body + mail.subject


def test_l1_share_mails_name_the_access_in_the_sharing_language():
    base = dict(practice="Praxis Sonne", link=LINK, expires_at=WHEN, time_zone="Europe/Berlin")
    assert "zum Lesen und Bearbeiten" in MAILS["share_invitation"]("DE", access="CONTRIBUTOR", **base).body
    assert "zum Lesen eines" in MAILS["share_invitation"]("DE", access="VIEWER", **base).body
    assert "te lezen en erin te schrijven" in MAILS["share_invitation"]("NL", access="CONTRIBUTOR", **base).body


def test_l1_counts_are_written_as_the_language_writes_numbers():
    mail = MAILS["webhook_disabled"]("DE", **SAMPLES["webhook_disabled"])
    assert "(1.234 Versuche in Folge)" in mail.body
    assert "(1,234 attempts in a row)" in MAILS["webhook_disabled"]("EN", **SAMPLES["webhook_disabled"]).body
    one = MAILS["webhook_disabled"]("NL", **{**SAMPLES["webhook_disabled"], "failures": 1})
    assert "(1 poging achter elkaar)" in one.body


def test_l1_nothing_queues_mail_but_the_letters():
    """A mail queued any other way would be English only and missing from the tests above."""
    callers = []
    for folder in ("domain", "auth", "api", "schema", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ("domain/outbox/mail.py", "domain/mails/letter.py"):
                continue
            if re.search(r"\bqueue_mail\s*\(", path.read_text(encoding="utf-8")):
                callers.append(relative)
    assert callers == [], f"queue mail through domain.mails (a registered letter and post): {callers}"
