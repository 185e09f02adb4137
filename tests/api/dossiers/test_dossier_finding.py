"""Finding dossiers (SPEC D7): search by part of the name or reference regardless of case
and accents, narrowed to the dossiers assigned to me, active this month, or archived —
combinable, paginated, and never past what the principal may see (D2, D3, D4)."""
import pytest

from domain.dossiers.finding import MAX_SEARCH
from domain.dossiers.models import Dossier
from tests.support.dossiers import (
    ARCHIVE, ASSIGN, UPDATE, add_entry, create_ok, global_id, guest, practice, share, teammate,
)

APRIL = "2026-04-10T09:00:00+02:00"
MAY = "2026-05-12T09:00:00+02:00"

FIND = """query($first: Int, $after: String, $search: String, $mine: Boolean, $active: Boolean,
               $archived: Boolean, $onlyArchived: Boolean) {
  dossiers(first: $first, after: $after, search: $search, assignedToMe: $mine, activeThisMonth: $active,
           includeArchived: $archived, archivedOnly: $onlyArchived) {
    edges { cursor node { id clientName reference archived } } pageInfo { hasNextPage endCursor } } }"""


async def find(api, token, *, now=APRIL, **variables) -> list[str]:
    body = await api.data(FIND, {"first": 50, **variables}, token=token, now=now)
    return [edge["node"]["clientName"] for edge in body["dossiers"]["edges"]]


async def test_d7_search_ignores_case_and_accents_on_both_sides(api):
    owner = await practice(api, now=APRIL)
    for name in ("Zoë Brontë", "ZOE ADAMS", "Émile Zola", "Bronwen Davies", "Łukasz Øster", "Anna Straße"):
        await create_ok(api, owner.token, name, now=APRIL)

    assert await find(api, owner.token, search="zoe") == ["Zoë Brontë", "ZOE ADAMS"][::-1]
    assert await find(api, owner.token, search="bronte") == ["Zoë Brontë"]
    assert await find(api, owner.token, search="BRONTË") == ["Zoë Brontë"]
    assert await find(api, owner.token, search="  émile ") == ["Émile Zola"]
    assert await find(api, owner.token, search="lukasz oster") == ["Łukasz Øster"]
    assert await find(api, owner.token, search="strasse") == ["Anna Straße"]
    assert await find(api, owner.token, search="bron") == ["Bronwen Davies", "Zoë Brontë"]
    assert await find(api, owner.token, search="zz") == []


async def test_d7_search_matches_part_of_the_reference_and_follows_updates(api):
    owner = await practice(api, now=APRIL)
    first = await create_ok(api, owner.token, "Anna", reference="DOS-2026-0042", now=APRIL)
    await create_ok(api, owner.token, "Bram", reference="DOS-2025-0007", now=APRIL)

    assert await find(api, owner.token, search="2026-00") == ["Anna"]
    assert await find(api, owner.token, search="dos-") == ["Anna", "Bram"]
    # A match never spans the name and the reference.
    assert await find(api, owner.token, search="anna dos") == []

    await api.data(UPDATE, {"input": {"dossierId": first, "clientName": "Renée", "reference": None}},
                   token=owner.token, now=APRIL)
    assert await find(api, owner.token, search="2026") == []
    assert await find(api, owner.token, search="renee") == ["Renée"]


async def test_d7_like_wildcards_in_a_search_are_plain_characters(api):
    owner = await practice(api, now=APRIL)
    await create_ok(api, owner.token, "Anna", reference="50%_A", now=APRIL)
    await create_ok(api, owner.token, "Bram", reference="50xxA", now=APRIL)
    await create_ok(api, owner.token, "Cees", reference="back\\slash", now=APRIL)
    assert await find(api, owner.token, search="50%_") == ["Anna"]
    assert await find(api, owner.token, search="%") == ["Anna"]
    assert await find(api, owner.token, search="_") == ["Anna"]
    assert await find(api, owner.token, search="k\\s") == ["Cees"]


@pytest.mark.parametrize("walk", [1000, 12, 3])
async def test_d7_a_search_pages_by_name_with_cursors(api, walk, monkeypatch):
    """Whether a page comes from walking the names or from the trigram index (PostgreSQL
    walks SEARCH_WALK names first), the pages are the same."""
    from domain.dossiers import access

    monkeypatch.setattr(access, "SEARCH_WALK", walk)
    owner = await practice(api, tier="UNLIMITED", now=APRIL)
    for n in range(8):
        await Dossier.create(account_id=owner.account_id, client_name=f"Aalders {n}", search_text=f"aalders {n}\n",
                             share_count=0, created_at=_now(), updated_at=_now())
    for n in range(25):
        await Dossier.create(account_id=owner.account_id, client_name=f"Jansen {n:02d}", search_text=f"jansen {n:02d}\n",
                             share_count=0, created_at=_now(), updated_at=_now())
    for n in range(10):
        await Dossier.create(account_id=owner.account_id, client_name=f"Other {n}", search_text=f"other {n}\n",
                             share_count=0, created_at=_now(), updated_at=_now())
    names, after = [], None
    while True:
        body = await api.data(FIND, {"first": 10, "after": after, "search": "JANSEN"}, token=owner.token, now=APRIL)
        names += [edge["node"]["clientName"] for edge in body["dossiers"]["edges"]]
        if not body["dossiers"]["pageInfo"]["hasNextPage"]:
            break
        after = body["dossiers"]["pageInfo"]["endCursor"]
    assert names == [f"Jansen {n:02d}" for n in range(25)]


# Names and references whose words overlap: a term's word inside another word
# ("lotte" in "Charlotte"), one word twice in a name, a word longer than a search key
# (32 characters), accents, punctuation, words across the name.
_CROWD = [("Lotte Jansen", "REF-1"), ("Charlotte de Vries", None), ("Jan Jansen", "ref-12"),
          ("Anna Anna", None), ("Zoë Brontë", "BR-7"), ("Łukasz Øster", None), ("Ömer O'Brien", "ob-1"),
          ("Lotte", None), ("Lottermann Lotte", None), ("van den Berg", None), ("Berg van Dam", "VDB"),
          ("Ansje " + "y" * 40, None), ("Anna Straße", None), ("Hans Lotter", "lotte-2")]
_TERMS = ["lotte", "otte", "lott", "jansen", "ans", "anna", "zoe bronte", "bronte", "o'brien", "van den",
          "den berg", "berg", "y" * 35, "ansje " + "y" * 38, "strasse", "ref-1", "ref", "an", "a b", "xyz",
          "e v", "lotte j", "n lotte"]


@pytest.mark.parametrize("walk", [0, 2])
async def test_d7_a_search_finds_what_the_folded_text_holds_in_name_order(api, walk, monkeypatch):
    """Whichever way a page is found — on PostgreSQL, the search keys (migration 0027)
    once the walk of SEARCH_WALK names holds no page — every page in turn gives exactly
    the dossiers whose folded name or reference holds the term, in name order, archived
    ones only when asked, and a rename moves a dossier between terms."""
    from domain.dossiers import access
    from domain.dossiers.finding import search_term, search_text

    monkeypatch.setattr(access, "SEARCH_WALK", walk)
    owner = await practice(api, tier="UNLIMITED", now=APRIL)
    other = await practice(api, now=APRIL)
    await create_ok(api, other.token, "Lotte Elsewhere", now=APRIL)
    for name, reference in _CROWD:
        await create_ok(api, owner.token, name, reference=reference, now=APRIL)
    archived = await create_ok(api, owner.token, "Lotte Archived", now=APRIL)
    await api.data(ARCHIVE, {"input": {"dossierId": archived}}, token=owner.token, now=APRIL)

    async def every_page(term: str, **flags) -> list[str]:
        names, after = [], None
        while True:
            body = await api.data(FIND, {"first": 2, "after": after, "search": term, **flags},
                                  token=owner.token, now=APRIL)
            names += [edge["node"]["clientName"] for edge in body["dossiers"]["edges"]]
            if not body["dossiers"]["pageInfo"]["hasNextPage"]:
                return names
            after = body["dossiers"]["pageInfo"]["endCursor"]

    async def expected(term: str, *, archived_too: bool = False) -> list[str]:
        folded = search_term(term).folded
        rows = await Dossier.filter(account_id=owner.account_id).order_by("client_name", "id").values_list(
            "client_name", "reference", "archived_at")
        return [name for name, reference, archived_at in rows
                if folded in search_text(name, reference) and (archived_too or archived_at is None)]

    for term in _TERMS:
        assert await every_page(term) == await expected(term), term
    assert await every_page("lotte", archived=True) == await expected("lotte", archived_too=True)
    assert "Lotte Archived" in await expected("lotte", archived_too=True)

    renamed = (await Dossier.get(account_id=owner.account_id, client_name="Lotte Jansen")).id
    await api.data(UPDATE, {"input": {"dossierId": global_id("Dossier", renamed), "clientName": "Mila Jansen"}},
                   token=owner.token, now=APRIL)
    assert "Mila Jansen" in await every_page("jansen")
    assert await every_page("mila") == ["Mila Jansen"]
    assert "Mila Jansen" not in await every_page("lotte")


def _now():
    from datetime import datetime, timezone

    return datetime(2026, 4, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("term", ["", "   ", "x" * (MAX_SEARCH + 1), "a\x00b"])
async def test_d7_an_empty_or_over_long_search_is_invalid_input(api, term):
    owner = await practice(api, now=APRIL)
    body = await api(FIND, {"search": term}, token=owner.token, now=APRIL)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert body["errors"][0]["extensions"]["field"] == ["search"]


async def test_d7_the_longest_search_allowed_is_accepted(api):
    owner = await practice(api, now=APRIL)
    await create_ok(api, owner.token, "y" * 200, now=APRIL)
    assert await find(api, owner.token, search="Y" * MAX_SEARCH) == ["y" * 200]


async def test_d7_search_never_reaches_past_visibility(api):
    """Another account's dossiers and unshared ones stay out (D4); a guest finds only
    what is shared with them; a member only their assigned dossiers."""
    owner = await practice(api, now=APRIL)
    other = await practice(api, now=APRIL)
    shared = await create_ok(api, owner.token, "Zoë Shared", now=APRIL)
    await create_ok(api, owner.token, "Zoë Private", now=APRIL)
    await create_ok(api, other.token, "Zoë Elsewhere", now=APRIL)
    guest_token, guest_user = await guest(api)
    await share(shared, guest_user)
    member_token, _ = await teammate(api, owner.account_id)

    assert await find(api, owner.token, search="zoe") == ["Zoë Private", "Zoë Shared"]
    assert await find(api, other.token, search="zoe") == ["Zoë Elsewhere"]
    assert await find(api, guest_token, search="zoe") == ["Zoë Shared"]
    assert await find(api, member_token, search="zoe") == []


async def test_d7_assigned_to_me_for_members_owners_and_guests(api):
    owner = await practice(api, now=APRIL)
    member_token, membership_id = await teammate(api, owner.account_id)
    from domain.accounts.models import Membership

    owner_membership = await Membership.get(account_id=owner.account_id, role="OWNER")
    mine = await create_ok(api, owner.token, "Anna", now=APRIL)
    theirs = await create_ok(api, owner.token, "Bram", now=APRIL)
    await create_ok(api, owner.token, "Cees", now=APRIL)
    for dossier, membership in ((mine, owner_membership.id), (theirs, membership_id)):
        assign = await api.data(ASSIGN, {"input": {"dossierId": dossier, "teammateId": global_id("Teammate", membership)}},
                                token=owner.token, now=APRIL)
        assert assign["assignTeammate"]["userErrors"] == []
    guest_token, guest_user = await guest(api)
    await share(mine, guest_user)

    assert await find(api, owner.token, mine=True) == ["Anna"]
    assert await find(api, owner.token, mine=False) == ["Bram", "Cees"]
    assert await find(api, owner.token) == ["Anna", "Bram", "Cees"]
    assert await find(api, member_token, mine=True) == ["Bram"]
    assert await find(api, member_token, mine=False) == []
    assert await find(api, guest_token, mine=True) == []
    assert await find(api, guest_token, mine=False) == ["Anna"]


async def test_d7_active_this_month_follows_the_account_s_month(api):
    owner = await practice(api, tier="UNLIMITED", now=APRIL)
    april_only = await create_ok(api, owner.token, "Anna", now=APRIL)
    await create_ok(api, owner.token, "Bram", now=APRIL)
    touched = await create_ok(api, owner.token, "Cees", now=APRIL)
    await add_entry(api, owner.token, touched, "Seen in May.", now=MAY)

    assert await find(api, owner.token, active=True) == ["Anna", "Bram", "Cees"]
    assert await find(api, owner.token, active=True, now=MAY) == ["Cees"]
    assert await find(api, owner.token, active=False, now=MAY) == ["Anna", "Bram"]
    assert april_only


async def test_d7_around_the_turn_of_a_month_each_account_s_time_zone_decides(api):
    """At 2026-04-30 13:00 UTC it is already May in Auckland and still April in Amsterdam:
    an April dossier of each account is active "this month" only in Amsterdam (A1)."""
    turn = "2026-04-30T13:00:00+00:00"
    amsterdam = await practice(api, now=APRIL)
    auckland = await practice(api, now=APRIL, time_zone="Pacific/Auckland")
    await create_ok(api, amsterdam.token, "Amsterdam client", now=APRIL)
    shared = await create_ok(api, auckland.token, "Auckland client", now=APRIL)
    reader_token, reader = await guest(api)
    await share(shared, reader)
    await share(await create_ok(api, amsterdam.token, "Amsterdam shared", now=APRIL), reader)

    assert await find(api, amsterdam.token, active=True, now=turn) == ["Amsterdam client", "Amsterdam shared"]
    assert await find(api, auckland.token, active=True, now=turn) == []
    assert await find(api, reader_token, active=True, now=turn) == ["Amsterdam shared"]
    assert await find(api, reader_token, active=False, now=turn) == ["Auckland client"]


async def test_d7_filters_combine_with_archived_and_each_other(api):
    owner = await practice(api, tier="UNLIMITED", now=APRIL)
    archived = await create_ok(api, owner.token, "Zoë Archived", now=APRIL)
    await create_ok(api, owner.token, "Zoë Current", now=APRIL)
    await create_ok(api, owner.token, "Bram Current", now=APRIL)
    assert (await api.data(ARCHIVE, {"input": {"dossierId": archived}}, token=owner.token,
                           now=APRIL))["archiveDossier"]["userErrors"] == []

    assert await find(api, owner.token, search="zoe") == ["Zoë Current"]
    assert await find(api, owner.token, search="zoe", archived=True) == ["Zoë Archived", "Zoë Current"]
    assert await find(api, owner.token, search="zoe", onlyArchived=True) == ["Zoë Archived"]
    assert await find(api, owner.token, onlyArchived=True, active=True) == ["Zoë Archived"]
    assert await find(api, owner.token, search="current", active=True, mine=False) == ["Bram Current", "Zoë Current"]
    assert await find(api, owner.token, search="current", active=False) == []
