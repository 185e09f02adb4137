"""Mails about a person's own login (I1–I3): proving the address, the password, moving
the login to another address. In the person's language (domain.mails.language)."""
from __future__ import annotations

from domain.mails.letter import Mail, Text, letter


@letter("verification")
def verification(locale: str, *, link: str, hours: int) -> Mail:
    _ = Text(locale)
    return _.mail(
        "verification",
        _("Confirm your email address for Casebook"),
        _("Please confirm that this is your email address for Casebook by opening this link:"),
        link,
        _.plural("The link works for %(n)s hour and only once.", "The link works for %(n)s hours and only once.",
                 hours) + " " +
        _("Until then, nothing that others give to this address reaches your login."),
        _("If you did not sign up, you can ignore this mail."))


@letter("password_changed")
def password_changed(locale: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "password_changed",
        _("Your Casebook password was changed"),
        _("The password of your Casebook login was just changed, and every other session was signed out."),
        _("If you did not do this, reset your password at once."))


@letter("password_reset")
def password_reset(locale: str, *, link: str, minutes: int) -> Mail:
    _ = Text(locale)
    return _.mail(
        "password_reset",
        _("Reset your Casebook password"),
        _("Someone asked to reset the password of the Casebook login with this address. If it was you, choose "
          "a new password here:"),
        link,
        _.plural("The link works for %(n)s minute and only once.", "The link works for %(n)s minutes and only "
                 "once.", minutes) + " " + _("Resetting signs out every session."),
        _("If it was not you, ignore this mail: your password stays as it is."))


@letter("email_change_confirm")
def email_change_confirm(locale: str, *, link: str, hours: int, requester: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "email_change_confirm",
        _("Confirm your new email address for Casebook"),
        _("The Casebook login %(login)s asked to move to this address. If that is your login, open this link "
          "while signed in to it:", login=requester),
        link,
        _("The app asks for that login's password (or a two-factor code) before anything changes.") + " "
        + _.plural("The link works for %(n)s hour and only once.", "The link works for %(n)s hours and only once.",
                   hours),
        _("If %(login)s is not yours, ignore this mail: nothing changes, whoever opens the link.", login=requester))


@letter("email_change_taken")
def email_change_taken(locale: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "email_change_taken",
        _("Someone tried to move a Casebook login to your address"),
        _("Someone signed in to another Casebook login asked to move it to this address, which already belongs "
          "to your login. Nothing was changed and no link was sent; your login stays as it is."),
        _("You need not do anything. If this keeps happening, tell our support."))


@letter("email_change_requested")
def email_change_requested(locale: str, *, new_email: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "email_change_requested",
        _("Your Casebook address is about to change"),
        _("Someone signed in to your Casebook login asked to move it to %(address)s. Nothing changes until the "
          "new address is confirmed from its own mailbox.", address=new_email),
        _("If this was not you, reset your password now: that also cancels the change."))


@letter("email_changed")
def email_changed(locale: str, *, new_email: str) -> Mail:
    _ = Text(locale)
    return _.mail(
        "email_changed",
        _("Your Casebook address was changed"),
        _("Your Casebook login now uses %(address)s; mail about it goes there from now on.", address=new_email),
        _("If you did not do this, contact the practice that invited you or our support at once."))
