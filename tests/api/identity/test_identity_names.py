"""Readable names (SPEC I6; review F8): person, account and client names refuse
invisible characters, direction overrides and words mixing scripts, through every door
a name comes in by, with an INVALID_INPUT user error naming the field; real names in
any one script, with accents, or one word per script, pass."""
from domain.accounts.models import Account, User
from domain.dossiers.models import Dossier
from tests.support.dossiers import UPDATE, create, create_ok, practice
from tests.support.flows import PASSWORD, SIGN_UP

LOOK_ALIKES = [
    "\u0408an Jansen",        # Cyrillic Ј in a Latin word
    "\u03a1raxis",            # Greek Ρ in a Latin word
    "Anna de Vrie\u0455",     # Cyrillic ѕ
    "\u202eevil",             # right-to-left override
    "Jan\u200bJansen",        # zero-width space
    "Jan\u2066Jansen",        # isolate
]
READABLE = ["Zo\u00eb Bront\u00eb", "M\u00fcller", "\u00c6r\u00f8", "\u0395\u03bb\u03ad\u03bd\u03b7",
            "\u0418\u0432\u0430\u043d", "\u0395\u03bb\u03ad\u03bd\u03b7 Smith", "\u4f50\u3005\u6728 \u306f\u306a\u3053",
            "O'Brien-Smith", "Praktijk De Linde #2"]


async def _sign_up(api, n: int, **override) -> dict:
    variables = {"input": {"email": f"named{n}@example.org", "password": PASSWORD, "name": "N",
                           "accountName": "A", **override}}
    return (await api.data(SIGN_UP, variables))["signUp"]


def _errors(payload: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_sign_up_refuses_look_alike_and_unreadable_names_naming_the_field(api):
    for n, bad in enumerate(LOOK_ALIKES):
        assert _errors(await _sign_up(api, n, name=bad)) == [("INVALID_INPUT", ["name"])], bad
        assert _errors(await _sign_up(api, n, accountName=bad)) == [("INVALID_INPUT", ["accountName"])], bad
    assert await User.all().count() == 0 and await Account.all().count() == 0


async def test_sign_up_keeps_real_names_in_any_one_script(api):
    for n, name in enumerate(READABLE):
        payload = await _sign_up(api, n, name=name, accountName=name)
        assert payload["userErrors"] == [], name
        assert payload["viewer"]["account"]["name"] == name
        assert (await User.get(email=f"named{n}@example.org")).name == name


async def test_a_client_name_is_checked_as_every_other_name(api):
    owner = await practice(api)
    dossier_id = await create_ok(api, owner.token, "Fenna")
    for bad in LOOK_ALIKES:
        created = await create(api, owner.token, bad)
        assert _errors(created) == [("INVALID_INPUT", ["clientName"])] and created["dossier"] is None, bad
        updated = (await api.data(UPDATE, {"input": {"dossierId": dossier_id, "clientName": bad}},
                                  token=owner.token))["updateDossier"]
        assert _errors(updated) == [("INVALID_INPUT", ["clientName"])], bad
    assert [d.client_name for d in await Dossier.all()] == ["Fenna"]
    for name in READABLE:
        assert (await create(api, owner.token, name))["dossier"]["clientName"] == name
