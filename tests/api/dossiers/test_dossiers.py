"""Dossiers, entries and measurements over the API (SPEC D1, D5, D6; API.md dossier
mutations). Bad input is a user error with a code, and nothing is written."""
from domain.dossiers.models import Dossier, Entry, EntryRevision, Measurement
from tests.support.dossiers import (
    ARCHIVE, DOSSIERS, UPDATE, add_entry, create, create_ok, practice, read, record, revise, teammate,
)

NOW = "2026-04-10T09:00:00+02:00"


async def test_d1_create_and_read_a_dossier_with_its_profile(api):
    owner = await practice(api, now=NOW)
    payload = await create(api, owner.token, "  Anna de Vries ", reference="AV-1", dateOfBirth="1990-02-03", now=NOW)
    assert payload["userErrors"] == []
    dossier = payload["dossier"]
    assert dossier["clientName"] == "Anna de Vries"
    assert (dossier["reference"], dossier["dateOfBirth"], dossier["archived"]) == ("AV-1", "1990-02-03", False)
    assert dossier["activeThisMonth"] is True
    assert (await read(api, owner.token, dossier["id"], now=NOW))["clientName"] == "Anna de Vries"


async def test_d1_update_changes_only_the_fields_sent_and_null_clears(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Bram", reference="B-1", dateOfBirth="2001-01-01", now=NOW)
    body = await api.data(UPDATE, {"input": {"dossierId": dossier_id, "reference": None}}, token=owner.token, now=NOW)
    assert body["updateDossier"]["userErrors"] == []
    dossier = body["updateDossier"]["dossier"]
    assert (dossier["clientName"], dossier["reference"], dossier["dateOfBirth"]) == ("Bram", None, "2001-01-01")


async def test_d5_revisions_keep_every_earlier_version_with_its_author(api):
    owner = await practice(api, now=NOW)
    member_token, membership_id = await teammate(api, owner.account_id, "ADMIN", email="admin@example.org")
    dossier_id = await create_ok(api, owner.token, "Cees", now=NOW)
    first = await add_entry(api, owner.token, dossier_id, "Intake done.", "REPORT", now="2026-04-10T10:00:00+02:00")
    assert first["userErrors"] == []
    entry = first["entry"]
    assert (entry["kind"], entry["body"], entry["version"]) == ("REPORT", "Intake done.", 1)
    assert entry["author"]["email"] == owner.owner_email

    second = await revise(api, member_token, entry["id"], "Intake done; follow-up in May.",
                          now="2026-04-11T10:00:00+02:00")
    assert second["userErrors"] == []
    revised = second["entry"]
    assert (revised["id"], revised["version"], revised["body"]) == (entry["id"], 2, "Intake done; follow-up in May.")
    assert revised["author"]["email"] == "admin@example.org"
    assert revised["writtenAt"] == "2026-04-11T08:00:00+00:00"
    assert [(r["version"], r["body"], r["author"]["email"], r["writtenAt"]) for r in revised["revisions"]] == [
        (1, "Intake done.", owner.owner_email, "2026-04-10T08:00:00+00:00"),
        (2, "Intake done; follow-up in May.", "admin@example.org", "2026-04-11T08:00:00+00:00"),
    ]
    assert await EntryRevision.all().count() == 2


async def test_d5_the_author_email_is_the_one_at_the_time(api):
    from domain.accounts.models import User

    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Dirk", now=NOW)
    entry = (await add_entry(api, owner.token, dossier_id, "Before.", now=NOW))["entry"]
    await User.filter(email=owner.owner_email).update(email="renamed@example.org")
    from tests.support.dossiers import token_for

    token = await token_for(api, await User.get(email="renamed@example.org"))
    revised = (await revise(api, token, entry["id"], "After.", now=NOW))["entry"]
    assert [r["author"]["email"] for r in revised["revisions"]] == [owner.owner_email, "renamed@example.org"]
    assert revised["revisions"][0]["author"]["userId"] == revised["revisions"][1]["author"]["userId"]


async def test_entries_are_a_connection_newest_first_with_opaque_cursors(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Eva", now=NOW)
    for n in range(5):
        await add_entry(api, owner.token, dossier_id, f"note {n}", now=NOW)
    query = """query($id: ID!, $after: String) { dossier(id: $id) {
        entries(first: 2, after: $after) { edges { cursor node { body } } pageInfo { hasNextPage endCursor } } } }"""
    seen, after = [], None
    while True:
        page = (await api.data(query, {"id": dossier_id, "after": after}, token=owner.token))["dossier"]["entries"]
        seen += [edge["node"]["body"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["note 4", "note 3", "note 2", "note 1", "note 0"]


async def test_entries_of_a_page_of_dossiers_are_loaded_in_one_query(api):
    """N+1 guard: the batch serves each dossier its own newest entries."""
    owner = await practice(api, now=NOW, tier="UNLIMITED")
    ids = [await create_ok(api, owner.token, f"Client {n:02d}", now=NOW) for n in range(3)]
    for n, dossier_id in enumerate(ids):
        for m in range(n + 1):
            await add_entry(api, owner.token, dossier_id, f"{n}-{m}", now=NOW)
    query = "{ dossiers { edges { node { clientName entries(first: 2) { edges { node { body } } pageInfo { hasNextPage } } } } } }"
    edges = (await api.data(query, token=owner.token))["dossiers"]["edges"]
    got = [([e["node"]["body"] for e in edge["node"]["entries"]["edges"]], edge["node"]["entries"]["pageInfo"]["hasNextPage"])
           for edge in edges]
    assert got == [(["0-0"], False), (["1-1", "1-0"], False), (["2-2", "2-1"], True)]


async def test_dossiers_list_is_ordered_by_name_and_pages_with_cursors(api):
    owner = await practice(api, now=NOW)
    for name in ["Zoe", "Adam|x", "Mia", "Mia"]:
        await create_ok(api, owner.token, name, now=NOW)
    names, after = [], None
    while True:
        page = (await api.data(DOSSIERS, {"first": 1, "after": after}, token=owner.token))["dossiers"]
        names += [edge["node"]["clientName"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(names) == sorted(["Zoe", "Adam|x", "Mia", "Mia"]) and len(names) == 4
    full = (await api.data(DOSSIERS, {"first": 10}, token=owner.token))["dossiers"]["edges"]
    assert [edge["node"]["clientName"] for edge in full] == names


async def test_d6_archiving_hides_from_the_list_and_blocks_writes(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Fenna", now=NOW)
    entry = (await add_entry(api, owner.token, dossier_id, "Kept.", now=NOW))["entry"]
    archived = (await api.data(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=owner.token, now=NOW))["archiveDossier"]
    assert archived["userErrors"] == [] and archived["dossier"]["archived"] is True

    assert (await api.data(DOSSIERS, token=owner.token))["dossiers"]["edges"] == []
    listed = (await api.data(DOSSIERS, {"archived": True}, token=owner.token))["dossiers"]["edges"]
    assert [edge["node"]["archived"] for edge in listed] == [True]
    assert (await read(api, owner.token, dossier_id))["entries"]["edges"][0]["node"]["body"] == "Kept."

    refusals = [
        (await add_entry(api, owner.token, dossier_id, "No.", now=NOW))["userErrors"],
        (await revise(api, owner.token, entry["id"], "No.", now=NOW))["userErrors"],
        (await record(api, owner.token, dossier_id))["userErrors"],
        (await api.data(UPDATE, {"input": {"dossierId": dossier_id, "clientName": "X"}}, token=owner.token))["updateDossier"]["userErrors"],
        (await api.data(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=owner.token))["archiveDossier"]["userErrors"],
    ]
    assert [[e["code"] for e in errors] for errors in refusals] == [["DOSSIER_ARCHIVED"]] * 5
    assert (await Entry.all().count(), await EntryRevision.all().count(), await Measurement.all().count()) == (1, 1, 0)
    assert (await Dossier.get()).client_name == "Fenna"


async def test_measurements_are_exact_decimals_with_their_author(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Gijs", now=NOW)
    for value in ["72.50", "0.1", 68, "-3.25", "100"]:
        payload = await record(api, owner.token, dossier_id, value)
        assert payload["userErrors"] == [], (value, payload)
    measurement = payload["measurement"]
    assert (measurement["metric"], measurement["value"], measurement["unit"]) == ("weight", "100", "kg")
    assert measurement["author"]["email"] == owner.owner_email
    values = [m["value"] for m in (await read(api, owner.token, dossier_id))["measurements"]]
    assert values == ["72.5", "0.1", "68", "-3.25", "100"]


async def test_bad_input_is_a_user_error_and_writes_nothing(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Hanna", now=NOW)
    entry = (await add_entry(api, owner.token, dossier_id, "One.", now=NOW))["entry"]
    before = (await Dossier.all().count(), await Entry.all().count(), await EntryRevision.all().count(),
              await Measurement.all().count())

    cases = [
        (await create(api, owner.token, "   ", now=NOW))["userErrors"],
        (await create(api, owner.token, "x" * 201, now=NOW))["userErrors"],
        (await create(api, owner.token, "Ok", reference="r" * 101, now=NOW))["userErrors"],
        (await create(api, owner.token, "Ok", dateOfBirth="2026-04-11", now=NOW))["userErrors"],
        (await api.data(UPDATE, {"input": {"dossierId": dossier_id, "clientName": None}}, token=owner.token))["updateDossier"]["userErrors"],
        (await add_entry(api, owner.token, dossier_id, "  ", now=NOW))["userErrors"],
        (await add_entry(api, owner.token, dossier_id, "x" * 100_001, now=NOW))["userErrors"],
        (await revise(api, owner.token, entry["id"], "", now=NOW))["userErrors"],
        (await record(api, owner.token, dossier_id, "NaN"))["userErrors"],
        (await record(api, owner.token, dossier_id, "Infinity"))["userErrors"],
        (await record(api, owner.token, dossier_id, "1e12"))["userErrors"],
        (await record(api, owner.token, dossier_id, "0.0000001"))["userErrors"],
        (await record(api, owner.token, dossier_id, "1", metric=""))["userErrors"],
        (await record(api, owner.token, dossier_id, "1", unit="u" * 33))["userErrors"],
        (await record(api, owner.token, dossier_id, "1", measured_at="2026-04-11T10:00:00+02:00"))["userErrors"],
        (await record(api, owner.token, dossier_id, "1", measured_at="2026-04-10T10:00:00"))["userErrors"],
    ]
    assert [[e["code"] for e in errors] for errors in cases] == [["INVALID_INPUT"]] * len(cases)
    assert cases[3][0]["field"] == ["dateOfBirth"]
    assert cases[8][0]["field"] == ["value"]
    after = (await Dossier.all().count(), await Entry.all().count(), await EntryRevision.all().count(),
             await Measurement.all().count())
    assert after == before


async def test_values_the_graphql_types_reject_never_reach_the_database(api):
    """Unknown entry kinds and non-numeric values fail the schema's enum / Decimal."""
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Ids", now=NOW)
    from tests.support.dossiers import ADD_ENTRY, RECORD

    body = await api(ADD_ENTRY, {"input": {"dossierId": dossier_id, "kind": "POEM", "body": "x"}}, token=owner.token)
    assert body["errors"] and body.get("data") is None
    body = await api(RECORD, {"input": {"dossierId": dossier_id, "metric": "w", "value": "heavy", "unit": "kg",
                                        "measuredAt": "2026-04-10T08:00:00+02:00"}}, token=owner.token)
    assert body["errors"] and body.get("data") is None
    assert (await Entry.all().count(), await Measurement.all().count()) == (0, 0)
