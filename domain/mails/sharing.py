"""Mails that bring a person in: a teammate invitation, a share (an invitation for a
person without a login, a notice for one with). In the language of the account that
sent them (L1). The client's name stays out of every mail (it is health data)."""
from __future__ import annotations

from datetime import datetime

from domain.core.locale_format import format_moment
from domain.core.translations import N_
from domain.mails.letter import Mail, Text, letter

ROLES = {"OWNER": N_("owner"), "ADMIN": N_("administrator"), "MEMBER": N_("member")}


@letter("teammate_invitation")
def teammate_invitation(locale: str, *, practice: str, role: str, link: str, expires_at: datetime,
                        time_zone: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "teammate_invitation",
        _("You are invited to the team of %(practice)s on Casebook", practice=practice),
        _("%(practice)s has invited you to join its team on Casebook as %(role)s.", practice=practice,
          role=_(ROLES.get(role, ROLES["MEMBER"]))),
        _("Open this link to accept the invitation:"),
        link,
        _("The link works until %(until)s and only once.",
          until=format_moment(expires_at, locale, time_zone, with_zone=True)),
        _("If you did not expect this mail, you can ignore it."))


def _access(_: Text, practice: str, access: str) -> str:
    if access == "CONTRIBUTOR":
        return _("%(practice)s has given you free access to read and write a client dossier on Casebook.",
                 practice=practice)
    return _("%(practice)s has given you free access to read a client dossier on Casebook.", practice=practice)


@letter("share_invitation")
def share_invitation(locale: str, *, practice: str, access: str, link: str, expires_at: datetime,
                     time_zone: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "share_invitation",
        _("A dossier was shared with you on Casebook"),
        _access(_, practice, access),
        _("Open this link to accept it and create your login:"),
        link,
        _("The link works until %(until)s and only once.",
          until=format_moment(expires_at, locale, time_zone, with_zone=True)),
        _("If you did not expect this mail, you can ignore it."))


@letter("share_notice")
def share_notice(locale: str, *, practice: str, access: str, app_url: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "share_notice",
        _("A dossier was shared with you on Casebook"),
        _access(_, practice, access),
        _("Sign in at %(url)s to find it among your dossiers.", url=app_url))
