"""shareDossier, revokeShare, acceptInvitation for shares, me.shares, Share nodes, and
guest principals over the API (SPEC §4, D3, D4, G6, T2)."""
import base64
import json

from domain.dossiers.models import Dossier
from domain.shares.models import Share
from schema.relay import parse_global_id, to_global_id
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.shares import NOW, mails, token_in

SHARE = """
mutation($input: ShareDossierInput!) {
  shareDossier(input: $input) {
    share { id email access status createdAt dossier { id } }
    userErrors { code message field }
    quote { id }
  }
}"""
REVOKE = """
mutation($input: RevokeShareInput!) {
  revokeShare(input: $input) { revokedShareId userErrors { code message field } }
}"""
ACCEPT = """
mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { accessToken viewer { kind } userErrors { code message } }
}"""
MY_SHARES = "{ me { kind shares { id email access status dossier { id } } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Share { email status } } }"


async def owner_with_dossier(api, email: str, name: str = "Anna Client", **extra) -> dict:
    """A signed-up owner and one dossier of their account (made in the database)."""
    payload = await sign_up(api, email, **extra)
    account_id = parse_global_id(payload["viewer"]["account"]["id"])[1]
    row = await Dossier.create(account_id=account_id, client_name=name, created_at=NOW, updated_at=NOW)
    return {"token": payload["accessToken"], "account_id": account_id, "dossier": row,
            "dossier_id": to_global_id("Dossier", row.id)}


async def share(api, owner: dict, email: str, access: str = "VIEWER") -> dict:
    variables = {"input": {"dossierId": owner["dossier_id"], "email": email, "access": access}}
    return (await api.data(SHARE, variables, token=owner["token"]))["shareDossier"]


async def guest_accepts(api, settings, email: str) -> str:
    """The invited outsider creates a login from the mailed link; returns their token."""
    [mail] = [m for m in mails(settings) if f"To: {email}" in m]
    variables = {"input": {"token": token_in(mail), "password": PASSWORD, "name": "Gran"}}
    accepted = (await api.data(ACCEPT, variables))["acceptInvitation"]
    assert accepted["userErrors"] == [], accepted["userErrors"]
    assert accepted["viewer"]["kind"] == "GUEST"
    return accepted["accessToken"]


def claims(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


async def test_an_outsider_accepts_a_share_and_signs_in_as_a_read_only_guest(api, settings):
    owner = await owner_with_dossier(api, "owner@example.org")
    given = await share(api, owner, "Gran@Example.net")
    assert given["userErrors"] == [] and given["quote"] is None
    assert given["share"]["email"] == "gran@example.net"
    assert (given["share"]["access"], given["share"]["status"]) == ("VIEWER", "PENDING")
    assert given["share"]["dossier"] == {"id": owner["dossier_id"]}  # the owner sees it

    token = await guest_accepts(api, settings, "gran@example.net")

    assert (claims(token)["kind"], claims(token)["scope"]) == ("guest", "dossiers:read")
    me = (await api.data(MY_SHARES, token=token))["me"]
    assert me["kind"] == "GUEST"
    assert [(s["id"], s["status"], s["dossier"]) for s in me["shares"]] == [
        (given["share"]["id"], "ACTIVE", {"id": owner["dossier_id"]})]


async def test_a_person_with_a_login_sees_the_share_at_once(api):
    owner = await owner_with_dossier(api, "owner@example.org")
    friend = await sign_up(api, "friend@example.org")
    given = await share(api, owner, "friend@example.org", "CONTRIBUTOR")
    assert given["share"]["status"] == "ACTIVE"
    me = (await api.data(MY_SHARES, token=friend["accessToken"]))["me"]
    assert [(s["access"], s["dossier"]) for s in me["shares"]] == [("CONTRIBUTOR", {"id": owner["dossier_id"]})]


async def test_revoking_bites_on_the_guests_next_request_with_the_old_token(api, settings):
    """G6: the access token issued before the revocation reads nothing afterwards."""
    owner = await owner_with_dossier(api, "owner@example.org")
    given = await share(api, owner, "gran@example.net")
    token = await guest_accepts(api, settings, "gran@example.net")
    node = {"id": owner["dossier_id"]}
    assert (await api.data("query($id: ID!) { node(id: $id) { id } }", node, token=token))["node"] == node
    listed = (await api.data("{ dossiers { edges { node { id clientName } } } }", token=token))["dossiers"]
    assert listed["edges"] == [{"node": {"id": owner["dossier_id"], "clientName": "Anna Client"}}]

    revoked = (await api.data(REVOKE, {"input": {"shareId": given["share"]["id"]}}, token=owner["token"]))
    assert revoked["revokeShare"] == {"revokedShareId": given["share"]["id"], "userErrors": []}

    assert (await api.data(MY_SHARES, token=token))["me"]["shares"] == []
    assert (await api.data("query($id: ID!) { node(id: $id) { id } }", node, token=token))["node"] is None
    assert (await api.data("query($id: ID!) { dossier(id: $id) { id } }", node, token=token))["dossier"] is None
    assert (await api.data("{ dossiers { edges { node { id } } } }", token=token))["dossiers"]["edges"] == []
    assert (await api.data(NODE, {"id": given["share"]["id"]}, token=token))["node"] is None


async def test_a_guest_calling_any_write_mutation_is_forbidden(api, settings):
    """D3, T2: every mutation that needs a scope beyond dossiers:read answers FORBIDDEN
    to a guest, whatever its input."""
    owner = await owner_with_dossier(api, "owner@example.org")
    await share(api, owner, "gran@example.net")
    token = await guest_accepts(api, settings, "gran@example.net")

    checked = []
    for name, document, variables in write_mutations():
        body = await api(document, variables, token=token)
        codes = [error.get("extensions", {}).get("code") for error in body.get("errors") or []]
        assert codes == ["FORBIDDEN"], (name, body)
        checked.append(name)
    assert {"shareDossier", "revokeShare", "inviteTeammate", "removeTeammate"} <= set(checked)
    assert await Share.all().count() == 1


async def test_bad_input_is_a_user_error_and_writes_nothing(api):
    owner = await owner_with_dossier(api, "owner@example.org")
    other = await owner_with_dossier(api, "other@example.org")
    theirs = (await share(api, other, "x@example.net"))["share"]["id"]
    cases = [
        ({"email": "no-at-sign"}, "INVALID_INPUT", ["email"]),
        ({"email": "OWNER@example.org"}, "INVALID_INPUT", ["email"]),
        ({"email": "friend@example.net", "access": "CONTRIBUTOR"}, "INVALID_INPUT", ["access"]),
        ({"dossierId": other["dossier_id"]}, "NOT_FOUND", ["dossierId"]),
        ({"dossierId": "bm90IGFuIGlk"}, "NOT_FOUND", ["dossierId"]),
    ]
    for override, code, field in cases:
        variables = {"input": {"dossierId": owner["dossier_id"], "email": "friend@example.net",
                               "access": "VIEWER", **override}}
        payload = (await api.data(SHARE, variables, token=owner["token"]))["shareDossier"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], override
        assert payload["share"] is None
    assert await Share.filter(account_id=owner["account_id"]).count() == 0

    # An unknown access level is not even a valid request (ShareAccess is an enum).
    variables = {"input": {"dossierId": owner["dossier_id"], "email": "friend@example.net", "access": "OWNER"}}
    body = await api(SHARE, variables, token=owner["token"])
    assert body["errors"] and not body.get("data")

    revoked = (await api.data(REVOKE, {"input": {"shareId": theirs}}, token=owner["token"]))["revokeShare"]
    assert revoked["revokedShareId"] is None
    assert [(e["code"], e["field"]) for e in revoked["userErrors"]] == [("NOT_FOUND", ["shareId"])]
    assert await Share.filter(revoked_at__isnull=True).count() == 1


async def test_the_fourth_account_is_refused_with_the_way_out(api):
    """G2 over the API: GUEST_DOSSIER_LIMIT_REACHED, whose message points to a paid seat."""
    owners = [await owner_with_dossier(api, f"owner{i}@example.org") for i in range(4)]
    for owner in owners[:3]:
        assert (await share(api, owner, "gran@example.net"))["userErrors"] == []
    refused = await share(api, owners[3], "gran@example.net")
    assert refused["share"] is None
    [error] = refused["userErrors"]
    assert error["code"] == "GUEST_DOSSIER_LIMIT_REACHED" and "paid teammate" in error["message"]
    # Q5: the quote for one more seat, for the account that was refused.
    from domain.billing.models import Quote

    quote = await Quote.get(id=parse_global_id(refused["quote"]["id"])[1])
    assert (quote.account_id, quote.seats) == (owners[3]["account_id"], 2)


async def test_a_share_node_is_seen_by_its_holder_and_the_dossiers_managers_only(api, settings):
    owner = await owner_with_dossier(api, "owner@example.org")
    stranger = await sign_up(api, "stranger@example.org")
    share_id = (await share(api, owner, "gran@example.net"))["share"]["id"]
    token = await guest_accepts(api, settings, "gran@example.net")

    for seer in (owner["token"], token):
        assert (await api.data(NODE, {"id": share_id}, token=seer))["node"]["email"] == "gran@example.net"
    assert (await api.data(NODE, {"id": share_id}, token=stranger["accessToken"]))["node"] is None


async def test_g5_removing_the_last_seat_suspends_shares_beyond_three(api, settings):
    """G5 end to end: a coach shared into five dossiers of five accounts loses their only
    seat; signing in again they are a guest with three ACTIVE and two SUSPENDED shares."""
    home = await owner_with_dossier(api, "home@example.org", seats=2)
    invite = """mutation($input: InviteTeammateInput!) { inviteTeammate(input: $input) { userErrors { code } } }"""
    sent = await api.data(invite, {"input": {"email": "coach@example.org", "role": "MEMBER"}}, token=home["token"])
    assert sent["inviteTeammate"]["userErrors"] == []
    [mail] = [m for m in mails(settings) if "To: coach@example.org" in m]
    joined = (await api.data(ACCEPT, {"input": {"token": token_in(mail), "password": PASSWORD,
                                                "name": "Coach"}}))["acceptInvitation"]
    assert joined["viewer"]["kind"] == "PAID"
    for i in range(5):
        owner = await owner_with_dossier(api, f"sharer{i}@example.org")
        assert (await share(api, owner, "coach@example.org", "CONTRIBUTOR"))["share"]["status"] == "ACTIVE"

    team = "{ me { account { teammates { id user { email } } } } }"
    mates = (await api.data(team, token=home["token"]))["me"]["account"]["teammates"]
    [coach] = [m["id"] for m in mates if m["user"]["email"] == "coach@example.org"]
    remove = "mutation($input: RemoveTeammateInput!) { removeTeammate(input: $input) { userErrors { code } } }"
    assert (await api.data(remove, {"input": {"teammateId": coach}}, token=home["token"]))["removeTeammate"][
        "userErrors"] == []

    again = await log_in(api, "coach@example.org")
    assert again["viewer"]["kind"] == "GUEST"
    shares = (await api.data(MY_SHARES, token=again["accessToken"]))["me"]["shares"]
    assert [s["status"] for s in shares] == ["ACTIVE"] * 3 + ["SUSPENDED"] * 2
    assert [s["dossier"] is None for s in shares] == [False] * 3 + [True] * 2


# --- every write mutation of the served schema, with placeholder input -----------------

def write_mutations():
    """(name, document, variables) for every mutation that needs a scope a guest lacks."""
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType
    from strawberry.permission import PermissionExtension

    from auth.permissions import HasScopes
    from auth.scopes import GUEST_SCOPES
    from schema.schema import schema

    def needs_more_than_guest(field) -> bool:
        for extension in getattr(field, "extensions", None) or []:
            if isinstance(extension, PermissionExtension):
                for permission in extension.permissions:
                    if isinstance(permission, HasScopes) and set(permission.scopes) - GUEST_SCOPES:
                        return True
        return False

    def sample(kind):
        if isinstance(kind, GraphQLNonNull):
            return sample(kind.of_type)
        if isinstance(kind, GraphQLList):
            return [sample(kind.of_type)]
        if isinstance(kind, GraphQLEnumType):
            return next(iter(kind.values))
        if isinstance(kind, GraphQLInputObjectType):
            return {name: sample(f.type) for name, f in kind.fields.items() if isinstance(f.type, GraphQLNonNull)}
        assert isinstance(kind, GraphQLScalarType)
        return {"Int": 1, "Float": 1.0, "Boolean": True, "Date": "2026-05-01", "DateTime": "2026-05-01T10:00:00+00:00",
                "Decimal": "1.5", "ID": to_global_id("Dossier", 1)}.get(kind.name, "x@example.org")

    naming = schema.config.name_converter
    declared = {naming.get_graphql_name(f): f for f in schema.get_type_by_name("Mutation").fields}
    for name, field in schema._schema.mutation_type.fields.items():
        if not needs_more_than_guest(declared[name]):
            continue
        params = ", ".join(f"${arg}: {spec.type}" for arg, spec in field.args.items())
        call = ", ".join(f"{arg}: ${arg}" for arg in field.args)
        document = f"mutation{f'({params})' if params else ''} {{ {name}{f'({call})' if call else ''} {{ __typename }} }}"
        yield name, document, {arg: sample(spec.type) for arg, spec in field.args.items()}


async def test_a_dossiers_shares_are_listed_for_its_managers_only(api, settings):
    """Dossier.shares: the owner sees who has access; the guest holding a share sees []."""
    owner = await owner_with_dossier(api, "owner@example.org")
    await share(api, owner, "gran@example.net")
    await share(api, owner, "aunt@example.net")
    token = await guest_accepts(api, settings, "gran@example.net")
    query = "query($id: ID!) { dossier(id: $id) { shares { email status } } }"

    seen = (await api.data(query, {"id": owner["dossier_id"]}, token=owner["token"]))["dossier"]["shares"]
    assert seen == [{"email": "gran@example.net", "status": "ACTIVE"},
                    {"email": "aunt@example.net", "status": "PENDING"}]
    assert (await api.data(query, {"id": owner["dossier_id"]}, token=token))["dossier"]["shares"] == []


async def test_a_cancelled_account_gives_no_new_access_but_can_take_it_away(api):
    """S9: after its cancellation date an account writes nothing, shares included;
    revoking stays possible (it only protects the client)."""
    from datetime import date

    from domain.billing.models import Subscription

    owner = await owner_with_dossier(api, "owner@example.org")
    given = await share(api, owner, "gran@example.net")
    await Subscription.filter(account_id=owner["account_id"]).update(cancels_on=date(2026, 5, 1))
    after = "2026-05-02T09:00:00+02:00"

    variables = {"input": {"dossierId": owner["dossier_id"], "email": "aunt@example.net", "access": "VIEWER"}}
    refused = (await api.data(SHARE, variables, token=owner["token"], now=after))["shareDossier"]
    assert [e["code"] for e in refused["userErrors"]] == ["ACCOUNT_READ_ONLY"]
    revoked = await api.data(REVOKE, {"input": {"shareId": given["share"]["id"]}}, token=owner["token"], now=after)
    assert revoked["revokeShare"]["userErrors"] == []
    assert await Share.filter(revoked_at__isnull=True).count() == 0
