"""Machine credentials for partner systems (SPEC T4): their own account, their own
scopes, rotated and revoked with effect on the next request."""
from domain.accounts.models import User
from auth.models import MachineCredential
from tests.support.flows import sign_up

CREATE = """mutation($input: CreateMachineCredentialInput!) { createMachineCredential(input: $input) {
  credential { id clientId scopes } clientSecret userErrors { code field } } }"""
ROTATE = """mutation($id: ID!) { rotateMachineCredential(input: {credentialId: $id}) {
  credential { id rotatedAt } clientSecret userErrors { code } } }"""
REVOKE = """mutation($id: ID!) { revokeMachineCredential(input: {credentialId: $id}) {
  revokedCredentialId userErrors { code } } }"""
ISSUE = """mutation($id: String!, $secret: String!) { issueMachineToken(input: {clientId: $id, clientSecret: $secret}) {
  accessToken userErrors { code } } }"""
CREATE_DOSSIER = """mutation { createDossier(input: {clientName: "Via partner"}) { dossier { id } userErrors { code } } }"""
ADD_ENTRY = """mutation($id: ID!) { addEntry(input: {dossierId: $id, kind: NOTE, body: "From the partner system"}) {
  entry { author { email } } userErrors { code } } }"""
DOSSIERS = "{ dossiers(first: 10) { edges { node { clientName } } } }"
SEATS = "{ account { subscription { seatsUsed } machineCredentials { clientId } } }"


async def _credential(api, owner_token, scopes=("dossiers:read", "dossiers:write")):
    payload = (await api.data(CREATE, {"input": {"name": "Partner", "scopes": list(scopes)}},
                              token=owner_token))["createMachineCredential"]
    assert payload["userErrors"] == []
    return payload["credential"], payload["clientSecret"]


async def _token(api, client_id, secret):
    return (await api.data(ISSUE, {"id": client_id, "secret": secret}))["issueMachineToken"]


async def test_t4_a_partner_system_reads_and_writes_its_own_account_with_its_scopes(api):
    owner = (await sign_up(api))["accessToken"]
    credential, secret = await _credential(api, owner)
    token = (await _token(api, credential["clientId"], secret))["accessToken"]

    created = (await api.data(CREATE_DOSSIER, token=token))["createDossier"]
    entry = (await api.data(ADD_ENTRY, {"id": created["dossier"]["id"]}, token=token))["addEntry"]
    assert entry["entry"]["author"]["email"].startswith(credential["clientId"])  # D5: who wrote it
    listed = (await api.data(DOSSIERS, token=owner))["dossiers"]["edges"]
    assert [e["node"]["clientName"] for e in listed] == ["Via partner"]

    for forbidden in ('mutation { inviteTeammate(input: {email: "x@example.org", role: MEMBER}) { userErrors { code } } }',
                      "{ account { auditLog { edges { cursor } } } }",
                      "{ account { ledger { id } } }",
                      "{ account { teammates { user { email } } } }",
                      "{ account { subscription { seats } } }",
                      "{ account { usage { count } } }"):
        body = await api(forbidden, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", forbidden


async def test_t4_a_machine_is_not_a_seat(api):
    owner = (await sign_up(api))["accessToken"]
    credential, _ = await _credential(api, owner)
    account = (await api.data(SEATS, token=owner))["account"]
    assert account["subscription"]["seatsUsed"] == 1
    assert account["machineCredentials"] == [{"clientId": credential["clientId"]}]


async def test_t4_a_read_only_credential_cannot_write(api):
    owner = (await sign_up(api))["accessToken"]
    credential, secret = await _credential(api, owner, scopes=("dossiers:read",))
    token = (await _token(api, credential["clientId"], secret))["accessToken"]
    body = await api(CREATE_DOSSIER, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_t4_rotation_ends_the_old_secret_and_its_tokens_at_once(api):
    owner = (await sign_up(api))["accessToken"]
    credential, old_secret = await _credential(api, owner)
    old_token = (await _token(api, credential["clientId"], old_secret))["accessToken"]

    rotated = (await api.data(ROTATE, {"id": credential["id"]}, token=owner))["rotateMachineCredential"]

    assert (await api(DOSSIERS, token=old_token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refused = await _token(api, credential["clientId"], old_secret)
    assert refused["accessToken"] is None and refused["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    fresh = (await _token(api, credential["clientId"], rotated["clientSecret"]))["accessToken"]
    assert (await api.data(DOSSIERS, token=fresh))["dossiers"]["edges"] == []


async def test_t4_revocation_bites_on_the_next_request(api):
    owner = (await sign_up(api))["accessToken"]
    credential, secret = await _credential(api, owner)
    token = (await _token(api, credential["clientId"], secret))["accessToken"]
    revoked = (await api.data(REVOKE, {"id": credential["id"]}, token=owner))["revokeMachineCredential"]
    assert revoked["userErrors"] == []
    assert (await api(DOSSIERS, token=token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await _token(api, credential["clientId"], secret))["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_t4_bad_input_writes_nothing(api):
    owner = (await sign_up(api))["accessToken"]
    users_before = await User.all().count()
    for scopes, name in ((["billing:manage"], "P"), ([], "P"), (["dossiers:read"], "  ")):
        payload = (await api.data(CREATE, {"input": {"name": name, "scopes": scopes}}, token=owner))["createMachineCredential"]
        assert payload["userErrors"][0]["code"] == "INVALID_INPUT" and payload["clientSecret"] is None
    assert await MachineCredential.all().count() == 0
    assert await User.all().count() == users_before


async def test_t4_credentials_of_another_account_are_not_found(api):
    owner = (await sign_up(api))["accessToken"]
    other = (await sign_up(api))["accessToken"]
    credential, _ = await _credential(api, owner)
    payload = (await api.data(REVOKE, {"id": credential["id"]}, token=other))["revokeMachineCredential"]
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"


async def test_t4_writing_implies_reading_what_is_written(api):
    owner = (await sign_up(api))["accessToken"]
    credential, _ = await _credential(api, owner, scopes=("dossiers:write",))
    assert sorted(credential["scopes"]) == ["dossiers:read", "dossiers:write"]


async def test_t4_a_service_address_can_be_neither_invited_nor_shared_with(api):
    owner = (await sign_up(api))["accessToken"]
    credential, _ = await _credential(api, owner)
    address = f"{credential['clientId']}@machines.casebook.invalid"
    invite = ('mutation($email: String!) { inviteTeammate(input: {email: $email, role: MEMBER}) '
              '{ userErrors { code field } } }')
    payload = (await api.data(invite, {"email": address}, token=owner))["inviteTeammate"]
    assert payload["userErrors"] == [{"code": "INVALID_INPUT", "field": ["email"]}]


async def test_t4_token_exchanges_are_audited_like_sign_ins(api):
    from domain.audit.models import AuditEvent

    owner = (await sign_up(api))["accessToken"]
    credential, secret = await _credential(api, owner)
    await _token(api, credential["clientId"], secret)
    await _token(api, credential["clientId"], "wrong secret")
    actions = await AuditEvent.filter(subject=f"machine:{credential['clientId']}").values_list("action", flat=True)
    assert {"machine_credential.sign_in", "machine_credential.sign_in_failed"} <= set(actions)


SHARE = """mutation($id: ID!) { shareDossier(input: {dossierId: $id, email: "outsider@example.org", access: VIEWER}) {
  share { id } userErrors { code } } }"""
SHARES_OF = "query($id: ID!) { dossier(id: $id) { shares { email } } }"


async def test_t4_shares_name_outsiders_only_to_a_partner_that_manages_shares(api):
    """A partner with dossiers:read alone reads the dossier but not whom it is shared
    with (the field is for those who manage shares); with shares:manage it lists them."""
    owner = (await sign_up(api))["accessToken"]
    dossier = (await api.data(CREATE_DOSSIER, token=owner))["createDossier"]["dossier"]["id"]
    assert (await api.data(SHARE, {"id": dossier}, token=owner))["shareDossier"]["userErrors"] == []
    for scopes, expected in ((("dossiers:read",), []),
                             (("dossiers:read", "shares:manage"), [{"email": "outsider@example.org"}])):
        credential, secret = await _credential(api, owner, scopes)
        token = (await _token(api, credential["clientId"], secret))["accessToken"]
        assert (await api.data(SHARES_OF, {"id": dossier}, token=token))["dossier"]["shares"] == expected, scopes
        listed = await api.data("{ dossiers(first: 5) { edges { node { shares { email } } } } }", token=token)
        assert [edge["node"]["shares"] for edge in listed["dossiers"]["edges"]] == [expected], scopes
