"""The matrix generated from the policy's table (SPEC T6, issue 20): every rule of
auth/policy.py × every principal kind of tests/support/policy_world.py × each condition
(two-factor required and not enrolled, an archived dossier, a cancelled subscription,
production, proven and unproven addresses, shares active, revoked and pending, machine credentials
with each scope), each tried through the public API — GraphQL mutations and fields,
`node` by global id, the download route — and asserted:

* allowed exactly where the table allows;
* where the table hides the object (D4), the very answer a missing id gets;
* the state's own code where the object's state refuses (archived, read-only);
* `viewerCan` true exactly where the operation was carried out.

The expected outcome is `auth.policy.decide` asked with the principal as the API sees
it and the relation the world states for it; the observed one is the API's answer."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from auth import policy
from auth.policy import Outcome
from auth.principal import principal_from_token
from auth.tokens import TokenService
from domain.accounts.models import Account
from domain.billing.models import Subscription
from infra.clock import utc_now
from tests.conftest import deliver_outbox
from tests.support.policy_world import World, Who, build, fresh_dossier
from tests.support.policy_probes import (ACCOUNT_CAPABILITIES, DISAGREEING, DOSSIER_CAPABILITIES, PROBES, UNREACHABLE,
                                        Probe)

MISSING_DOSSIER = "RG9zc2llcjo5OTk5OTk"  # Dossier:999999


async def _principal(api, who: Who):
    if who.token is None:
        return None
    return await principal_from_token(TokenService(api.app.state.settings), who.token, utc_now())


def _agrees(outcome: Outcome, observed: str, missing: str | None) -> bool:
    if outcome is Outcome.ALLOWED:
        return observed == "allowed"
    if observed == "allowed" or observed.startswith(DISAGREEING):
        return False
    if outcome is Outcome.HIDDEN:
        return missing is None or observed == missing
    expected = {Outcome.UNAUTHENTICATED: "UNAUTHENTICATED", Outcome.TWO_FACTOR: "TWO_FACTOR_REQUIRED",
                Outcome.ARCHIVED: "DOSSIER_ARCHIVED", Outcome.NOT_ARCHIVED: "DOSSIER_NOT_ARCHIVED",
                Outcome.READ_ONLY: "ACCOUNT_READ_ONLY"}.get(outcome)
    return expected is None or observed == expected


async def _run_pass(api, world: World, condition: str, names: list[str], *, archived_too: bool,
                    read_only: bool, mismatches: list[str], seen: set[str]) -> None:
    targets = {False: await fresh_dossier(api, world)}
    if archived_too:
        targets[True] = await fresh_dossier(api, world, archived=True)
    for name in names:
        who = world.people[name]
        principal = await _principal(api, who)
        for rule in policy.TABLE:
            probe: Probe | None = PROBES.get(rule.name)
            if probe is None:
                continue
            seen.add(rule.name)
            for archived, target in targets.items():
                if not probe.dossier_bound and archived:
                    continue
                if probe.fresh:
                    target = await fresh_dossier(api, world, archived=archived)
                facts = probe.facts(world, who, archived=archived, read_only=read_only)
                outcome = policy.decide(principal, rule.resource, rule.action, facts)
                if probe.holder_rule:
                    outcome = probe.holder_rule(principal, target, facts)
                observed = await probe.run(api, world, who, target)
                missing = None
                if outcome is Outcome.HIDDEN and probe.dossier_bound:
                    missing = await probe.run(api, world, who, {**target, "dossier": MISSING_DOSSIER,
                                                                "entry": MISSING_DOSSIER, "share": MISSING_DOSSIER,
                                                                "waiting share": MISSING_DOSSIER})
                if not _agrees(outcome, observed, missing):
                    state = "archived" if archived else "active"
                    mismatches.append(f"[{condition}, {state}] {who.name} · {rule.name}: table says {outcome.value}, "
                                      f"API answered {observed}" + (f" (a missing id: {missing})" if missing else ""))
        await _viewer_can_agrees(api, world, who, principal, targets, read_only, condition, mismatches)


async def _viewer_can_agrees(api, world, who, principal, targets, read_only, condition, mismatches) -> None:
    """viewerCan answers what the operations did: the same facts, the same rule."""
    for archived, target in targets.items():
        body = await api(DOSSIER_CAPABILITIES, {"id": target["dossier"]}, token=who.token)
        node = (body.get("data") or {}).get("node")
        if node is None:
            continue  # not visible: no capabilities to show (D4)
        for field_name, (resource, action) in policy.DOSSIER_CAPABILITIES.items():
            facts = policy.Facts(world.account_id, who.relation, archived, read_only)
            expected = policy.decide(principal, resource, action, facts) is Outcome.ALLOWED
            probe = PROBES[f"{resource}.{action}"]
            fresh = await fresh_dossier(api, world, archived=archived) if probe.fresh else target
            done = await probe.run(api, world, who, fresh) == "allowed"
            camel = "".join(part.capitalize() if i else part for i, part in enumerate(field_name.split("_")))
            if not (node["viewerCan"][camel] == expected == done):
                mismatches.append(f"[{condition}] {who.name} · Dossier.viewerCan.{camel}: {node['viewerCan'][camel]}, "
                                  f"the table {expected}, the operation {'done' if done else 'refused'}")
    if not who.teammate_of_world:
        return
    body = await api(ACCOUNT_CAPABILITIES, {"id": world.account_gid()}, token=who.token)
    node = (body.get("data") or {}).get("node")
    for field_name, (resource, action) in policy.ACCOUNT_CAPABILITIES.items():
        probe = PROBES[f"{resource}.{action}"]
        done = await probe.run(api, world, who, targets[False]) == "allowed"
        camel = "".join(part.capitalize() if i else part for i, part in enumerate(field_name.split("_")))
        shown = bool(node and node["viewerCan"][camel])
        if shown != done:
            mismatches.append(f"[{condition}] {who.name} · Account.viewerCan.{camel}: {shown}, the operation "
                              f"{'done' if done else 'refused'}")


async def _production_pass(api, settings, world: World, mismatches: list[str]) -> None:
    """O4: the table never allows `test clock.advance` in production, whoever asks."""
    from api.app import create_app
    from infra.settings import Environment
    from tests.conftest import Api

    production = Api(create_app(settings.replace(env=Environment.PRODUCTION), manage_db=False), deliver=False)
    probe = PROBES["test clock.advance"]
    clock = (await Account.get(id=world.account_id)).test_clock
    try:
        for who in world.people.values():
            principal = await _principal(api, who)
            facts = probe.facts(world, who, archived=False, read_only=False)._replace(production=True)
            outcome = policy.decide(principal, "test clock", "advance", facts)
            observed = await probe.run(production, world, who, {})
            if outcome is Outcome.ALLOWED or not _agrees(outcome, observed, None):
                mismatches.append(f"[production] {who.name} · test clock.advance: table says {outcome.value}, "
                                  f"API answered {observed}")
    finally:
        await production.http.aclose()
    if (await Account.get(id=world.account_id)).test_clock != clock:
        mismatches.append("[production] the account's test clock moved")


@pytest.mark.slow
async def test_t6_every_principal_every_rule_every_condition_through_the_api(api, settings):
    api.deliver = False
    world = await build(api)
    everyone = list(world.people)
    teammates = [name for name, who in world.people.items() if who.teammate_of_world and who.user_id]
    mismatches: list[str] = []
    seen: set[str] = set()

    await _run_pass(api, world, "as is", everyone, archived_too=True, read_only=False, mismatches=mismatches,
                    seen=seen)

    await Account.filter(id=world.account_id).update(require_two_factor=True)
    await _run_pass(api, world, "two-factor required, not enrolled", teammates, archived_too=False,
                    read_only=False, mismatches=mismatches, seen=seen)
    await Account.filter(id=world.account_id).update(require_two_factor=False)

    yesterday = date.today() - timedelta(days=1)
    await Subscription.filter(account_id=world.account_id).update(cancels_on=yesterday)
    await _run_pass(api, world, "subscription cancelled and ended", teammates, archived_too=False,
                    read_only=True, mismatches=mismatches, seen=seen)

    await _production_pass(api, settings, world, mismatches)

    assert mismatches == [], "\n".join(mismatches)
    # Every rule is tried, but for those whose operations are not served yet.
    assert {rule.name for rule in policy.TABLE} - seen == UNREACHABLE


async def test_t6_downloads_follow_the_table_for_every_principal(api):
    """`GET /exports/<key>`: one's own export while the table allows the download (and the
    dossier is still readable); anyone else's answers like a key that does not exist."""
    from tests.support.exports import download

    api.deliver = False
    world = await build(api)
    target = await fresh_dossier(api, world)
    urls: dict[str, str] = {}
    for name, who in world.people.items():
        body = await api(EXPORT, {"id": target["dossier"]}, token=who.token)
        payload = (body.get("data") or {}).get("exportDossier")
        if payload and not payload["userErrors"]:
            urls[name] = payload["export"]["id"]
    await deliver_outbox(api.app.state.settings)
    own_urls = {}
    for name, export_id in urls.items():
        node = await api.data(EXPORT_URL, {"id": export_id}, token=world.people[name].token)
        own_urls[name] = node["node"]["downloadUrl"]
    missing = await download(api, "/exports/" + "A" * 43, world.owner_token)

    mismatches = []
    for condition in ("as is", "two-factor required, not enrolled"):
        if condition != "as is":
            await Account.filter(id=world.account_id).update(require_two_factor=True)
        for name, who in world.people.items():
            principal = await _principal(api, who)
            facts = policy.Facts(world.account_id, who.relation)
            may = policy.may(principal, "export", "download") and policy.may(principal, "dossier", "read", facts)
            if name in own_urls:
                got = await download(api, own_urls[name], who.token)
                if (got.status_code == 200) != may:
                    mismatches.append(f"[{condition}] {name}: own export {got.status_code}, the table {may}")
            if name != "owner" and who.token:
                got = await download(api, own_urls["owner"], who.token)
                if got.status_code != 404 or got.content != missing.content:
                    mismatches.append(f"[{condition}] {name}: the owner's export answered {got.status_code}")
    assert mismatches == [], "\n".join(mismatches)


EXPORT = """mutation($id: ID!) { exportDossier(input: {dossierId: $id, format: JSON}) {
  export { id } userErrors { code } } }"""
EXPORT_URL = "query($id: ID!) { node(id: $id) { ... on Export { downloadUrl } } }"
