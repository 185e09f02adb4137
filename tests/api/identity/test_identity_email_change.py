"""requestEmailChange / confirmEmailChange (SPEC I3, D5): the password is needed, the new
address is proven before it takes effect, the old one is told, uniqueness is checked
again at confirmation, history keeps the address at the time, taken-up shares follow."""
import statistics
import time

import pytest

from domain.accounts.models import User
from domain.audit.models import AuditEvent
from domain.dossiers.models import Dossier
from domain.shares.models import Share
from schema.relay import parse_global_id, to_global_id
from tests.api.shares.test_shares import owner_with_dossier, share
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.identity import (
    CONFIRM_EMAIL_CHANGE, ME, REQUEST_EMAIL_CHANGE, REQUEST_RESET, codes, link_token, mails_to,
)
from tests.support.teammates import mails

ADD_ENTRY = """mutation($d: ID!) { addEntry(input: {dossierId: $d, kind: NOTE, body: "seen"}) {
  entry { id author { email } } userErrors { code } } }"""
ENTRY = "query($id: ID!) { node(id: $id) { ... on Entry { author { email } } } }"


async def _request(api, token: str, new: str, password: str = PASSWORD) -> dict:
    return (await api.data(REQUEST_EMAIL_CHANGE, {"e": new, "p": password}, token=token))["requestEmailChange"]


async def test_the_new_address_is_proven_before_the_change_and_the_old_one_is_told(api, settings):
    me = await sign_up(api, "old-address@example.org")
    assert await _request(api, me["accessToken"], " New-Address@Example.org ") == {"ok": True, "userErrors": []}
    assert (await User.get(id=parse_global_id(me["viewer"]["user"]["id"])[1])).email == "old-address@example.org"
    [notice] = [m for m in mails_to(settings, "old-address@example.org") if "about to change" in m["Subject"]]
    assert "new-address@example.org" in notice.get_content()
    token = link_token(settings, "new-address@example.org", "confirm-email")

    done = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token}, token=me["accessToken"]))["confirmEmailChange"]
    assert done["userErrors"] == []
    assert done["viewer"]["user"] == {"email": "new-address@example.org", "emailVerified": True}
    assert any("was changed" in m["Subject"] for m in mails_to(settings, "old-address@example.org"))
    assert (await log_in(api, "new-address@example.org"))["userErrors"] == []
    assert codes(await log_in(api, "old-address@example.org")) == ["INVALID_CREDENTIALS"]
    fresh = await log_in(api, "new-address@example.org")
    again = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token}, token=fresh["accessToken"]))["confirmEmailChange"]
    assert codes(again) == ["TOKEN_INVALID"]
    assert await AuditEvent.filter(action="auth.email_changed").count() == 1


async def test_refusals_write_nothing_and_mail_nothing(api, settings):
    await sign_up(api, "occupied@example.org")
    cases = [("elsewhere@example.org", "not my password 1", "INVALID_CREDENTIALS"),
             ("SELF", PASSWORD, "INVALID_INPUT"),  # the address it has already
             ("p\u0430ypal@example.org", PASSWORD, "INVALID_INPUT"),
             ("x@machines.casebook.invalid", PASSWORD, "INVALID_INPUT"), ("nope", PASSWORD, "INVALID_INPUT")]
    for n, (new, password, code) in enumerate(cases):
        # One person per case: asking for a change is throttled per address (I7).
        me = await sign_up(api, f"stay{n}@example.org")
        before = len(mails(settings))
        new = f"stay{n}@example.org" if new == "SELF" else new
        assert codes(await _request(api, me["accessToken"], new, password)) == [code], new
        assert len(mails(settings)) == before
        assert (await User.get(email=f"stay{n}@example.org")).email == f"stay{n}@example.org"


async def test_the_requester_cannot_tell_whether_the_new_address_has_a_login(api, settings):
    """I3 (review F2): a free and a taken address give the requester the same answer, the
    same notice in their own mailbox and the same audit event (P1); the taken address
    gets a notice to its owner and no link that could move a login onto it."""
    await sign_up(api, "registered@example.org")
    seen = {}
    for n, target in enumerate(("unregistered@example.org", "registered@example.org")):
        me = await sign_up(api, f"curious{n}@example.org")
        before = len(mails(settings))
        answer = await _request(api, me["accessToken"], target)
        user_id = parse_global_id(me["viewer"]["user"]["id"])[1]
        events = await AuditEvent.filter(action="auth.email_change_requested", actor_user_id=user_id)
        old_box = [(m["Subject"], m.get_content().replace(f"curious{n}@", "curious@"))
                   for m in mails_to(settings, f"curious{n}@example.org")
                   if "about to change" in m["Subject"]]
        seen[target] = (answer, old_box, [(e.detail, e.subject) for e in events], len(mails(settings)) - before)
    assert seen["unregistered@example.org"][0] == seen["registered@example.org"][0] == {"ok": True, "userErrors": []}
    free_box, taken_box = seen["unregistered@example.org"][1], seen["registered@example.org"][1]
    assert len(free_box) == len(taken_box) == 1
    assert free_box[0][1].replace("unregistered@", "registered@") == taken_box[0][1]
    assert seen["unregistered@example.org"][2] == [({"to": "unregistered@example.org"}, "user:%s" % (
        await User.get(email="curious0@example.org")).id)]
    assert seen["registered@example.org"][2] == [({"to": "registered@example.org"}, "user:%s" % (
        await User.get(email="curious1@example.org")).id)]
    assert seen["unregistered@example.org"][3] == seen["registered@example.org"][3] == 2

    [notice] = [m for m in mails_to(settings, "registered@example.org") if "tried to move" in m["Subject"]]
    assert "confirm-email" not in notice.get_content() and "token=" not in notice.get_content()
    assert (await User.get(email="curious1@example.org")).email == "curious1@example.org"
    assert await User.filter(email="registered@example.org").count() == 1


@pytest.mark.serial
async def test_the_timing_does_not_tell_a_taken_address_from_a_free_one(api, settings):
    """Both paths do the same work but one token row, and answer no sooner than the
    identity floor: the medians differ by less than the noise of a test machine."""
    await sign_up(api, "timed-taken@example.org")
    timings = {}
    for kind, target in (("free", "timed-free{}@example.org"), ("taken", "timed-taken@example.org")):
        durations = []
        for n in range(3):
            me = await sign_up(api, f"timer-{kind}{n}@example.org")  # one each: the door is throttled (I7)
            started = time.perf_counter()
            assert await _request(api, me["accessToken"], target.format(n)) == {"ok": True, "userErrors": []}
            durations.append(time.perf_counter() - started)
        timings[kind] = statistics.median(durations)
    floor = settings.identity_response_floor_seconds
    assert all(floor <= t < floor + 0.2 for t in timings.values()), timings
    assert abs(timings["free"] - timings["taken"]) < 0.05, timings


async def test_asking_for_a_taken_address_ends_the_pending_change_as_a_free_one_would(api, settings):
    """Otherwise the earlier link still working would tell the requester the second
    address is taken."""
    await sign_up(api, "owned@example.org")
    me = await sign_up(api, "wavering@example.org")
    await _request(api, me["accessToken"], "first-choice@example.org")
    first = link_token(settings, "first-choice@example.org", "confirm-email")
    await _request(api, me["accessToken"], "owned@example.org")
    refused = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": first}, token=me["accessToken"]))["confirmEmailChange"]
    assert codes(refused) == ["TOKEN_INVALID"]
    assert (await User.get(id=parse_global_id(me["viewer"]["user"]["id"])[1])).email == "wavering@example.org"


async def test_uniqueness_is_checked_again_at_confirmation(api, settings):
    me = await sign_up(api, "slowmover@example.org")
    await _request(api, me["accessToken"], "contested@example.org")
    token = link_token(settings, "contested@example.org", "confirm-email")
    await sign_up(api, "contested@example.org")  # someone else took it meanwhile
    refused = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token}, token=me["accessToken"]))["confirmEmailChange"]
    assert codes(refused) == ["ALREADY_EXISTS"]
    assert await User.filter(email="slowmover@example.org").exists()


async def test_a_reset_link_mailed_to_the_old_address_dies_with_the_change(api, settings):
    me = await sign_up(api, "moving@example.org")
    await api.data(REQUEST_RESET, {"e": "moving@example.org"})
    reset_token = link_token(settings, "moving@example.org", "reset-password")
    await _request(api, me["accessToken"], "moved@example.org")
    await api.data(CONFIRM_EMAIL_CHANGE, {"t": link_token(settings, "moved@example.org", "confirm-email")},
                   token=me["accessToken"])
    from tests.support.identity import RESET

    assert codes((await api.data(RESET, {"t": reset_token, "p": "new pass 4242"}))["resetPassword"]) == ["TOKEN_INVALID"]


async def test_history_keeps_the_address_at_the_time(api, settings):
    """D5: what was written before the change still names the old address."""
    me = await sign_up(api, "writer-old@example.org")
    account_id = parse_global_id(me["viewer"]["account"]["id"])[1]
    dossier = await Dossier.create(account_id=account_id, client_name="C", created_at=_now(), updated_at=_now())
    written = (await api.data(ADD_ENTRY, {"d": to_global_id("Dossier", dossier.id)}, token=me["accessToken"]))["addEntry"]
    await _request(api, me["accessToken"], "writer-new@example.org")
    await api.data(CONFIRM_EMAIL_CHANGE, {"t": link_token(settings, "writer-new@example.org", "confirm-email")},
                   token=me["accessToken"])
    fresh = await log_in(api, "writer-new@example.org")
    entry = (await api.data(ENTRY, {"id": written["entry"]["id"]}, token=fresh["accessToken"]))["node"]
    assert entry["author"]["email"] == "writer-old@example.org"
    again = (await api.data(ADD_ENTRY, {"d": to_global_id("Dossier", dossier.id)}, token=fresh["accessToken"]))["addEntry"]
    assert again["entry"]["author"]["email"] == "writer-new@example.org"


async def test_taken_up_shares_follow_the_person_and_waiting_ones_stay_with_the_address(api, settings):
    practice = await owner_with_dossier(api, "sharer@example.org")
    other = await owner_with_dossier(api, "sharer2@example.org")
    me = await sign_up(api, "holder-old@example.org")
    await share(api, practice, "holder-old@example.org")  # ACTIVE at once: proven login
    await api.data(REQUEST_EMAIL_CHANGE, {"e": "holder-new@example.org", "p": PASSWORD}, token=me["accessToken"])
    await api.data(CONFIRM_EMAIL_CHANGE, {"t": link_token(settings, "holder-new@example.org", "confirm-email")},
                   token=me["accessToken"])
    await share(api, other, "holder-old@example.org")  # given to the old address after the change
    user = await User.get(email="holder-new@example.org")
    held = await Share.filter(user_id=user.id, revoked_at__isnull=True)
    assert [(s.email, s.status) for s in held] == [("holder-new@example.org", "ACTIVE")]
    waiting = await Share.get(dossier_id=other["dossier"].id)
    assert (waiting.email, waiting.user_id, waiting.status) == ("holder-old@example.org", None, "PENDING")


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)
