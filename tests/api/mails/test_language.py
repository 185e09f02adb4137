"""An account's language (L1): chosen at sign-up (locale, else Accept-Language, else the
country, else EN), changed by owners only, and followed by the mails the account sends —
a share or an invitation in the sharing account's language, whatever the receiver's own."""
from domain.accounts.models import Account, User
from domain.audit.models import AuditEvent
from tests.api.auth.test_machine_credentials import _credential, _token
from tests.api.shares.test_shares import owner_with_dossier, share
from tests.support.dossiers import pk, teammate
from tests.support.flows import PASSWORD, SIGN_UP, sign_up
from tests.support.identity import (
    CHANGE_PASSWORD, CONFIRM_EMAIL_CHANGE, REQUEST_EMAIL_CHANGE, REQUEST_RESET, link_token, mails_to, top_code,
)
from tests.support.teammates import invite

ACCOUNT = "{ me { account { locale } } }"
UPDATE = """mutation($input: UpdateAccountInput!) { updateAccount(input: $input) {
  account { locale name } userErrors { code message field } } }"""


async def _sign_up(api, email, headers=None, **extra):
    variables = {"input": {"email": email, "password": PASSWORD, "name": "Olga", "accountName": "Praktijk",
                           **extra}}
    return (await api(SIGN_UP, variables, headers=headers or {}))["data"]["signUp"]


async def _locale_of(payload) -> str:
    return (await Account.get(id=pk(payload["viewer"]["account"]["id"]))).locale


async def test_l1_sign_up_takes_the_locale_asked_for_over_header_and_country(api, settings):
    payload = await _sign_up(api, "de@example.org", {"accept-language": "nl-NL"}, locale="DE", country="NL")
    assert payload["userErrors"] == []
    assert await _locale_of(payload) == "DE"
    me = await api.data(ACCOUNT, token=payload["accessToken"])
    assert me["me"]["account"]["locale"] == "DE"
    # The mail that proves the address is in the new account's language, link and all.
    [mail] = mails_to(settings, "de@example.org")
    assert mail["Subject"] == "Bestätigen Sie Ihre E-Mail-Adresse für Casebook"
    body = mail.get_content()
    assert body.startswith("Guten Tag,") and "/verify-email?token=" in body and "48 Stunden" in body


async def test_l1_without_a_locale_the_browser_s_language_then_the_country_decide(api):
    assert await _locale_of(await _sign_up(api, "a@example.org", {"accept-language": "nl-BE,nl;q=0.9,en;q=0.8"},
                                           country="DE")) == "NL"
    assert await _locale_of(await _sign_up(api, "b@example.org", {"accept-language": "fr-FR,fr"},
                                           country="AT")) == "DE"
    assert await _locale_of(await _sign_up(api, "c@example.org", country="nl")) == "NL"
    assert await _locale_of(await _sign_up(api, "d@example.org", {"accept-language": "fr"}, country="FR")) == "EN"
    assert await _locale_of(await _sign_up(api, "e@example.org")) == "EN"


async def test_l1_a_country_that_is_not_iso_3166_is_refused_and_nothing_is_created(api, settings):
    payload = await _sign_up(api, "xx@example.org", country="Netherlands")
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_INPUT", ["country"])]
    assert not await User.exists(email="xx@example.org")
    assert mails_to(settings, "xx@example.org") == []
    refused = await api(SIGN_UP, {"input": {"email": "yy@example.org", "password": PASSWORD, "name": "Y",
                                            "accountName": "P", "locale": "FR"}})
    assert refused.get("errors")  # not a value of the enum: refused before anything runs
    assert not await User.exists(email="yy@example.org")


async def test_l1_owners_change_the_language_admins_members_and_machines_cannot(api):
    owner = await sign_up(api)
    account_id = pk(owner["viewer"]["account"]["id"])
    changed = (await api.data(UPDATE, {"input": {"locale": "NL"}}, token=owner["accessToken"]))["updateAccount"]
    assert changed == {"account": {"locale": "NL", "name": changed["account"]["name"]}, "userErrors": []}
    event = await AuditEvent.filter(account_id=account_id, action="account.updated").order_by("-id").first()
    assert event.detail == {"from": {"locale": "EN"}, "to": {"locale": "NL"}}

    admin, _ = await teammate(api, account_id, "ADMIN")
    member, _ = await teammate(api, account_id, "MEMBER")
    assert top_code(await api(UPDATE, {"input": {"locale": "DE"}}, token=admin)) == "FORBIDDEN"
    assert top_code(await api(UPDATE, {"input": {"locale": "DE"}}, token=member)) == "FORBIDDEN"
    credential, secret = await _credential(api, owner["accessToken"])
    machine = (await _token(api, credential["clientId"], secret))["accessToken"]
    assert top_code(await api(UPDATE, {"input": {"locale": "DE"}}, token=machine)) in ("FORBIDDEN", "UNAUTHENTICATED")
    assert top_code(await api(UPDATE, {"input": {"locale": "DE"}})) == "UNAUTHENTICATED"
    assert (await Account.get(id=account_id)).locale == "NL"


async def test_l1_an_owner_changes_only_their_own_account(api):
    first, second = await sign_up(api, locale="DE"), await sign_up(api, locale="DE")
    await api.data(UPDATE, {"input": {"locale": "EN"}}, token=first["accessToken"])
    assert await _locale_of(first) == "EN" and await _locale_of(second) == "DE"


async def test_l1_a_share_mail_follows_the_sharing_account_not_the_receiver(api, settings):
    # The receiver runs a Dutch practice of her own; a German practice shares with her.
    await sign_up(api, "oma@example.org", locale="NL")
    german = await owner_with_dossier(api, "praxis@example.org", locale="DE")
    assert (await share(api, german, "oma@example.org"))["userErrors"] == []
    notice = mails_to(settings, "oma@example.org")[-1]
    assert notice["Subject"] == "In Casebook wurde ein Dossier für Sie freigegeben"
    assert "kostenlosen Zugang zum Lesen eines Klientendossiers" in notice.get_content()
    assert "Anna Client" not in notice.get_content()  # the client's name stays out of mail

    # Someone with no login gets the invitation, in Dutch from a Dutch practice, with its date.
    dutch = await owner_with_dossier(api, "praktijk@example.org", locale="NL")
    assert (await share(api, dutch, "kleinzoon@example.net", "VIEWER"))["userErrors"] == []
    [invitation] = mails_to(settings, "kleinzoon@example.net")
    body = invitation.get_content()
    assert invitation["Subject"] == "Er is een dossier met u gedeeld in Casebook"
    assert "/accept-invitation?token=" in body and "De link werkt tot " in body
    assert any(month in body for month in ("januari", "februari", "maart", "april", "mei", "juni", "juli",
                                            "augustus", "september", "oktober", "november", "december"))


async def test_l1_a_teammate_invitation_is_in_the_inviting_account_s_language(api, settings):
    owner = await sign_up(api, locale="NL", seats=2)
    assert (await invite(api, owner["accessToken"], "nieuw@example.org", "ADMIN"))["userErrors"] == []
    [mail] = mails_to(settings, "nieuw@example.org")
    assert mail["Subject"].startswith("U bent uitgenodigd voor het team van ")
    assert "als beheerder" in mail.get_content() and "/accept-invitation?token=" in mail.get_content()


async def test_l1_mail_about_a_person_s_own_login_is_in_their_account_s_language(api, settings):
    await sign_up(api, "sie@example.org", locale="DE")
    await api.data(REQUEST_RESET, {"e": "sie@example.org"})
    reset = mails_to(settings, "sie@example.org")[-1]
    assert reset["Subject"] == "Setzen Sie Ihr Casebook-Passwort zurück"
    assert "/reset-password?token=" in reset.get_content() and "Minuten" in reset.get_content()


async def test_l1_address_and_password_mails_are_in_the_person_s_language(api, settings):
    me = await sign_up(api, "ik@example.org", locale="NL")
    await sign_up(api, "bezet@example.org", locale="DE")
    token = me["accessToken"]

    # An address that belongs to someone else: its owner is told, in their language.
    await api.data(REQUEST_EMAIL_CHANGE, {"e": "bezet@example.org", "p": PASSWORD}, token=token)
    assert mails_to(settings, "bezet@example.org")[-1]["Subject"] == \
        "Jemand hat versucht, ein Casebook-Login auf Ihre Adresse umzustellen"

    await api.data(REQUEST_EMAIL_CHANGE, {"e": "nieuw@example.org", "p": PASSWORD}, token=token)
    [confirm] = mails_to(settings, "nieuw@example.org")
    assert confirm["Subject"] == "Bevestig uw nieuwe e-mailadres voor Casebook"
    assert "/confirm-email?token=" in confirm.get_content() and " uur " in confirm.get_content()
    assert mails_to(settings, "ik@example.org")[-1]["Subject"] == "Het adres van uw Casebook-login gaat veranderen"
    assert "nieuw@example.org" in mails_to(settings, "ik@example.org")[-1].get_content()

    done = await api.data(CONFIRM_EMAIL_CHANGE, {"t": link_token(settings, "nieuw@example.org", "confirm-email")},
                          token=token)
    assert done["confirmEmailChange"]["userErrors"] == []
    assert mails_to(settings, "ik@example.org")[-1]["Subject"] == "Het adres van uw Casebook-login is gewijzigd"

    changed = await api.data(CHANGE_PASSWORD, {"c": PASSWORD, "n": "another horse 43"}, token=token)
    assert changed["changePassword"]["userErrors"] == []
    assert mails_to(settings, "nieuw@example.org")[-1]["Subject"] == "Uw Casebook-wachtwoord is gewijzigd"
