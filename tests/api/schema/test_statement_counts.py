"""No N+1: a list query sends a fixed number of SQL statements, the same for 5
items as for 50 — every relation a list can reach goes through a DataLoader."""
from __future__ import annotations

from collections import Counter

import pytest

from domain.shares.models import Share
from tests.support.flows import sign_up
from tests.support.seed import NOW, seed_practice
from tests.conftest import ON_POSTGRES
from tests.support.statements import shapes, statements_of

AT = "2026-04-20T12:00:00+02:00"  # business time: the month the seed's dossiers are active in

DOSSIER_PAGE = """query($n: Int!) { dossiers(first: $n) { pageInfo { hasNextPage endCursor } edges { cursor node {
  id clientName reference archived activeThisMonth
  entries(first: 5) { edges { node { id kind body version writtenAt author { userId email } } } }
  shares { id email status access dossier { id } }
  assignees { id role addedAt user { id email name } }
  measurements { metric value unit author { email } }
} } } }"""

ONE_DOSSIER = """query($id: ID!, $n: Int!) { dossier(id: $id) { clientName
  entries(first: $n) { pageInfo { hasNextPage } edges { node { body author { email }
    revisions { version body author { email } writtenAt } } } }
  measurements { value author { email } } shares { email } assignees { user { email } } } }"""

ACCOUNT = """{ account { name teammates { role addedAt user { email } }
  usage { count limit activeDossiers { clientName entries(first: 2) { edges { node { body } } } } }
  auditLog(first: 50) { edges { node { action } } } } }"""

VIEWER_SHARES = """{ me { shares { email status dossier { clientName
  entries(first: 3) { edges { node { body author { email } } } } } } } }"""


def explain(small: list[str], large: list[str]) -> str:
    """Which statements the larger request repeats (the N+1 culprit)."""
    grown = Counter(shapes(large)) - Counter(shapes(small))
    return "statements that grew with the items:\n" + "\n".join(
        f"  +{count}  {shape}" for shape, count in grown.most_common(5))


def assert_fixed(small: list[str], large: list[str]) -> None:
    assert len(large) == len(small), explain(small, large)


async def test_the_dossier_page_sends_as_many_statements_for_50_dossiers_as_for_5(api):
    few, many = await seed_practice(api, 5), await seed_practice(api, 50)
    small = await statements_of(api, DOSSIER_PAGE, {"n": 5}, token=few.token, now=AT)
    large = await statements_of(api, DOSSIER_PAGE, {"n": 50}, token=many.token, now=AT)
    assert_fixed(small, large)


async def test_the_brief_s_dossier_list_query_is_fixed(api):
    query = """{ dossiers(first: 50) { edges { node { entries(first: 5) { edges { node { author { email } } } }
      shares { email } assignees { id } } } } }"""
    few, many = await seed_practice(api, 5), await seed_practice(api, 50)
    assert_fixed(await statements_of(api, query, token=few.token, now=AT),
                 await statements_of(api, query, token=many.token, now=AT))


async def test_one_dossier_with_50_entries_costs_the_same_as_with_5(api):
    practice = await seed_practice(api, 1, entries=50, revisions=3)
    dossier_id = (await api.data("{ dossiers(first: 1) { edges { node { id } } } }",
                                 token=practice.token, now=AT))["dossiers"]["edges"][0]["node"]["id"]
    small = await statements_of(api, ONE_DOSSIER, {"id": dossier_id, "n": 5}, token=practice.token, now=AT)
    large = await statements_of(api, ONE_DOSSIER, {"id": dossier_id, "n": 50}, token=practice.token, now=AT)
    assert_fixed(small, large)


async def test_the_account_page_is_fixed_in_teammates_and_active_dossiers(api):
    few = await seed_practice(api, 5, teammates=4)
    many = await seed_practice(api, 50, teammates=49)
    assert_fixed(await statements_of(api, ACCOUNT, token=few.token, now=AT),
                 await statements_of(api, ACCOUNT, token=many.token, now=AT))


async def _shared_with_a_paid_user(api, practice, count: int) -> str:
    """A paid user of another account holding `count` active shares of the practice (G3)."""
    other = await sign_up(api)
    from domain.accounts.models import User

    user = await User.get(email=other["viewer"]["user"]["email"])
    await Share.bulk_create([
        Share(account_id=practice.account_id, dossier_id=d, email=user.email, user_id=user.id,
              access="VIEWER", status="ACTIVE", created_by_user_id=practice.user_id, created_at=NOW)
        for d in practice.dossier_ids[:count]])
    return other["accessToken"]


async def test_the_viewer_s_shares_are_fixed_in_the_number_of_shared_dossiers(api):
    few, many = await seed_practice(api, 5), await seed_practice(api, 50)
    few_token = await _shared_with_a_paid_user(api, few, 5)
    many_token = await _shared_with_a_paid_user(api, many, 50)
    assert_fixed(await statements_of(api, VIEWER_SHARES, token=few_token, now=AT),
                 await statements_of(api, VIEWER_SHARES, token=many_token, now=AT))


@pytest.mark.parametrize("n", [20])
async def test_a_dossier_page_needs_few_statements_in_absolute_terms(api, n):
    """Not only fixed but small: a guard against a loader per field per type."""
    practice = await seed_practice(api, n)
    statements = await statements_of(api, DOSSIER_PAGE, {"n": n}, token=practice.token, now=AT)
    assert len(statements) <= 20, "\n".join(shapes(statements))


async def test_the_benchmark_s_dossier_page_sends_fewer_statements_than_the_plain_endpoint(api):
    """The page of `make bench` (bench/queries.py) needs at most what bench/plain_app.py
    sends by hand: the principal, the page, entries, shares, assignees and the P2 insert
    (six); on PostgreSQL the entries, shares and assignees are one statement (read
    together from records, schema/record_completion.py): four."""
    from bench.queries import GRAPHQL_PAGE

    practice = await seed_practice(api, 20)
    # The first request with X-Casebook-Now sets the account's test clock (O4), once;
    # a request at the clock's time writes nothing.
    await api.data("{ __typename }", token=practice.token, now=AT)
    statements = await statements_of(api, GRAPHQL_PAGE, token=practice.token, now=AT)
    assert len(statements) <= (4 if ON_POSTGRES else 6), "\n".join(shapes(statements))


USAGE_HISTORY = """query($last: Int!) { account { usageHistory(last: $last) { month count limit
  activeDossiers { id clientName } } } }"""


async def _active_over_months(practice, months: int) -> None:
    """Every dossier of the practice active in each of the `months` months before April 2026 too."""
    from infra.clock import months_back
    from domain.dossiers.models import ActiveDossier, ActiveMonth

    past = months_back("2026-04", months + 1)[1:]
    await ActiveDossier.bulk_create([
        ActiveDossier(account_id=practice.account_id, month=month, dossier_id=d, first_written_at=NOW)
        for month in past for d in practice.dossier_ids])
    await ActiveMonth.bulk_create([ActiveMonth(account_id=practice.account_id, month=month,
                                               count=len(practice.dossier_ids)) for month in past])


async def test_usage_history_with_active_dossiers_is_fixed_in_months_and_dossiers(api):
    """A6: `usageHistory(last: 36) { activeDossiers }` reads the months' dossiers in one
    batch, not once per month."""
    few, many = await seed_practice(api, 5), await seed_practice(api, 50)
    await _active_over_months(few, 2)
    await _active_over_months(many, 35)
    small = await statements_of(api, USAGE_HISTORY, {"last": 3}, token=few.token, now=AT)
    large = await statements_of(api, USAGE_HISTORY, {"last": 36}, token=many.token, now=AT)
    assert_fixed(small, large)
    history = (await api.data(USAGE_HISTORY, {"last": 36}, token=many.token, now=AT))["account"]["usageHistory"]
    assert [len(month["activeDossiers"]) for month in history] == [50] * 36


ACCESS_LOGS = """query($n: Int!) { dossiers(first: $n) { edges { node { id
  accessLog(first: 3) { pageInfo { hasNextPage } edges { node { userId email readAt } } } } } } }"""


async def test_the_access_logs_of_a_dossier_list_are_one_read(api):
    """P2: `dossiers { accessLog }` is batched like the entries, not a query per dossier."""
    from domain.dossiers.models import DossierRead

    few, many = await seed_practice(api, 5), await seed_practice(api, 50)
    for practice in (few, many):
        await DossierRead.bulk_create([
            DossierRead(dossier_id=d, account_id=practice.account_id, user_id=practice.user_id, read_at=NOW)
            for d in practice.dossier_ids for _ in range(4)])
    small = await statements_of(api, ACCESS_LOGS, {"n": 5}, token=few.token, now=AT)
    large = await statements_of(api, ACCESS_LOGS, {"n": 50}, token=many.token, now=AT)
    assert_fixed(small, large)
    edges = (await api.data(ACCESS_LOGS, {"n": 50}, token=many.token, now=AT))["dossiers"]["edges"]
    assert all(len(e["node"]["accessLog"]["edges"]) == 3 and e["node"]["accessLog"]["pageInfo"]["hasNextPage"]
               for e in edges)


SEARCH_PAGE = """query($n: Int!, $search: String!) { dossiers(first: $n, search: $search, assignedToMe: false,
  activeThisMonth: true, includeArchived: true) { pageInfo { hasNextPage endCursor } edges { cursor node {
  id clientName reference archived activeThisMonth
  entries(first: 5) { edges { node { id body author { email } } } }
  shares { id email } assignees { id } } } } }"""


@pytest.mark.parametrize("search", ["client", "li"])
async def test_a_search_page_with_every_filter_is_fixed_in_the_dossiers_found(api, search):
    """D7: searching (a trigram-sized term and a short one) and narrowing add no statement
    per dossier found."""
    few, many = await seed_practice(api, 5), await seed_practice(api, 50)
    small = await statements_of(api, SEARCH_PAGE, {"n": 5, "search": search}, token=few.token, now=AT)
    large = await statements_of(api, SEARCH_PAGE, {"n": 50, "search": search}, token=many.token, now=AT)
    assert_fixed(small, large)
    found = (await api.data(SEARCH_PAGE, {"n": 50, "search": search}, token=many.token, now=AT))["dossiers"]
    assert len(found["edges"]) == 50
