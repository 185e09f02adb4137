"""One probe per rule of auth/policy.py: the public operation that rule guards, tried by a
principal of the policy world, answered as "allowed" or the refusal's code ("hidden"
for a null or empty answer). A new rule gets its probe here; the matrix fails on a rule
without one unless it is listed in UNREACHABLE (no operation serves it yet)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from auth import policy
from auth.policy import Relation

_seq = itertools.count(1)
UNREACHABLE: set[str] = set()
MISSING_INVOICE = "SW52b2ljZTo5OTk5OTk"  # Invoice:999999

DOSSIER_CAPABILITIES = """query($id: ID!) { node(id: $id) { ... on Dossier { viewerCan {
  read write manage share export archive unarchive } } } }"""
ACCOUNT_CAPABILITIES = """query($id: ID!) { node(id: $id) { ... on Account { viewerCan {
  manageTeam manageBilling readBilling manageWebhooks exportAccount readAuditLog } } } }"""


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def observe(body: dict, path: tuple[str, ...], *, empty_is_hidden: bool = False) -> str:
    errors = body.get("errors")
    if errors:
        return (errors[0].get("extensions") or {}).get("code", "ERROR")
    value = _dig(body.get("data"), path)
    if isinstance(value, dict) and "userErrors" in value:
        return value["userErrors"][0]["code"] if value["userErrors"] else "allowed"
    return "hidden" if value is None or (empty_is_hidden and value == []) else "allowed"


@dataclass
class Probe:
    document: str
    path: tuple[str, ...]
    variables: Callable[[Any, Any, dict], dict]
    # Asked about one of the world account's dossiers (its relation decides).
    dossier_bound: bool = False
    # The operation changes the dossier when allowed: each try gets a fresh one.
    fresh: bool = False
    # Asked about the principal's own account (mutations acting where the token acts).
    own_account: bool = False
    # For holding a share: the table's holder rule instead of a relation.
    holder_rule: Callable[[Any, dict, policy.Facts], policy.Outcome] | None = None
    after: Callable[[Any, Any, str], Awaitable[None]] | None = None
    observer: Callable[[dict], str] | None = None
    # A list field that answers empty instead of refusing (the dossier always has some).
    empty_is_hidden: bool = False

    def facts(self, world: Any, who: Any, *, archived: bool, read_only: bool) -> policy.Facts:
        account_id = who.account_id if self.own_account else world.account_id
        relation = who.relation if self.dossier_bound else Relation.NONE
        own_read_only = read_only and (not self.own_account or who.account_id == world.account_id)
        return policy.Facts(account_id, relation, archived, own_read_only)

    async def run(self, api: Any, world: Any, who: Any, target: dict) -> str:
        body = await api(self.document, self.variables(world, who, target), token=who.token)
        observed = self.observer(body) if self.observer else observe(body, self.path,
                                                                      empty_is_hidden=self.empty_is_hidden)
        if observed == "allowed" and self.after is not None:
            await self.after(api, world, who.name)
        return observed


def _dossier(world, who, target):
    return {"id": target["dossier"]}


def _input(**fixed):
    def variables(world, who, target):
        return {"input": {"dossierId": target["dossier"], **fixed}}
    return variables


def _node_account(world, who, target):
    return {"id": world.account_gid()}


def _mutation(name: str, input_type: str, selection: str = "userErrors { code }") -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} }} }}"


async def _demote_spare_admin(api, world, _name) -> None:
    from schema.relay import to_global_id

    await api.data(_mutation("changeTeammateRole", "ChangeTeammateRoleInput"),
                   {"input": {"teammateId": to_global_id("Teammate", world.spare_admin_membership), "role": "ADMIN"}},
                   token=world.owner_token)


def _teammate(membership: str, role: str):
    def variables(world, who, target):
        from schema.relay import to_global_id

        return {"input": {"teammateId": to_global_id("Teammate", getattr(world, membership)), "role": role}}
    return variables


def _holds(principal, target, facts) -> policy.Outcome:
    """A share waiting for an address: its holder once proven (I1), or whoever manages
    the dossier's shares; anyone else gets the missing share's answer (D4)."""
    if policy.holds_share(principal, None, target["waiting email"]):
        return policy.Outcome.ALLOWED
    managing = policy.decide(principal, "share", "list", facts)
    if managing in (policy.Outcome.ALLOWED, policy.Outcome.TWO_FACTOR, policy.Outcome.UNAUTHENTICATED):
        return managing
    return policy.Outcome.HIDDEN


def _either(*paths: tuple[str, ...]) -> Callable[[dict], str]:
    """Teammates read it on their account (`node`), operators on any (`operatorAccount`,
    P3): either answer counts."""
    def observer(body: dict) -> str:
        data = body.get("data") or {}
        if any(_dig(data, path) is not None for path in paths):
            return "allowed"
        errors = body.get("errors")
        return (errors[0].get("extensions") or {}).get("code", "ERROR") if errors else "hidden"
    return observer


def _billing_read(body: dict) -> str:
    return _either(("node", "subscription"), ("operator",))(body)


class InvoiceProbe(Probe):
    """`invoice.read` through its three doors (B6): the invoices of the account (`node`
    or `operatorAccount`), the invoice by global id, and `GET /invoices/<id>.pdf`. Allowed
    only when all three serve it; refused only when all three refuse, `node` with the
    null and the route with the 404 a missing invoice gets (D4); anything else disagrees."""

    async def run(self, api: Any, world: Any, who: Any, target: dict) -> str:
        from domain.billing.invoices.models import Invoice
        from schema.relay import to_global_id

        listed = await super().run(api, world, who, target)
        row = await Invoice.filter(account_id=world.account_id).order_by("id").first()
        invoice = to_global_id("Invoice", row.id)
        node = await self._node(api, who, invoice)
        pdf = await self._pdf(api, who, invoice)
        if listed == node == pdf == "allowed":
            return "allowed"
        if "allowed" not in (listed, node, pdf) \
                and node == await self._node(api, who, MISSING_INVOICE) \
                and pdf == await self._pdf(api, who, MISSING_INVOICE):
            return listed
        return f"{DISAGREEING} (invoices: {listed}, node: {node}, PDF: {pdf})"

    @staticmethod
    async def _node(api: Any, who: Any, invoice: str) -> str:
        body = await api(INVOICE_NODE, {"id": invoice}, token=who.token)
        return observe(body, ("node", "number"))

    @staticmethod
    async def _pdf(api: Any, who: Any, invoice: str) -> str:
        headers = {"authorization": f"Bearer {who.token}"} if who.token else {}
        got = await api.http.get(f"/invoices/{invoice}.pdf", headers=headers)
        return "allowed" if got.status_code == 200 else f"{got.status_code} {got.text}"


def _later(world, who, target) -> dict:
    """Each advance a little further than the last: a test clock only moves forward (O4)."""
    from datetime import timedelta

    from infra.clock import utc_now

    return {"input": {"to": (utc_now() + timedelta(minutes=next(_seq))).isoformat()}}


NODE_ACCOUNT = "query($id: ID!) {{ node(id: $id) {{ ... on Account {{ {} }} }} }}"
INVOICE_NODE = "query($id: ID!) { node(id: $id) { ... on Invoice { number } } }"
# The operations of a rule answered differently (one allowed, another refused).
DISAGREEING = "disagreeing"
NODE_DOSSIER = "query($id: ID!) {{ node(id: $id) {{ ... on Dossier {{ {} }} }} }}"

PROBES: dict[str, Probe] = {
    "account.read": Probe("query($id: ID!) { node(id: $id) { id } }", ("node",), _node_account),
    "account.update": Probe(_mutation("updateAccount", "UpdateAccountInput"), ("updateAccount",),
                            lambda w, who, t: {"input": {"name": "Practice"}}, own_account=True),
    "account.configure": Probe(_mutation("updateAccount", "UpdateAccountInput"), ("updateAccount",),
                               lambda w, who, t: {"input": {"timeZone": "Europe/Amsterdam"}}, own_account=True),
    "account.export": Probe(_mutation("exportAccount", "ExportAccountInput"), ("exportAccount",),
                            lambda w, who, t: {"input": {"format": "ZIP"}}, own_account=True),
    "team.read": Probe(NODE_ACCOUNT.format("teammates { id }"), ("node", "teammates"), _node_account),
    "team.manage": Probe(_mutation("changeTeammateRole", "ChangeTeammateRoleInput"), ("changeTeammateRole",),
                         _teammate("unassigned_membership", "MEMBER")),
    "team.manage owners": Probe(_mutation("changeTeammateRole", "ChangeTeammateRoleInput"), ("changeTeammateRole",),
                                _teammate("spare_admin_membership", "OWNER"), after=_demote_spare_admin),
    "billing.read": Probe("query($id: ID!) { node(id: $id) { ... on Account { subscription { seats } } } "
                          "operator: operatorAccount(id: $id) { id } }", ("node", "subscription"), _node_account,
                          observer=_billing_read),
    "billing.manage": Probe(NODE_ACCOUNT.format("ledger { __typename }"), ("node", "ledger"), _node_account),
    "billing profile.read": Probe("query($id: ID!) { node(id: $id) { ... on Account { billingProfile { country } } } "
                                  "operator: operatorAccount(id: $id) { billingProfile { country } } }",
                                  ("node", "billingProfile"), _node_account,
                                  observer=_either(("node", "billingProfile"), ("operator", "billingProfile"))),
    "billing profile.manage": Probe(_mutation("updateBillingProfile", "UpdateBillingProfileInput"),
                                    ("updateBillingProfile",), lambda w, who, t: {"input": {"city": "Utrecht"}},
                                    own_account=True),
    "invoice.read": InvoiceProbe("query($id: ID!) { node(id: $id) { ... on Account { invoices { edges { cursor } } } } "
                                 "operator: operatorAccount(id: $id) { invoices { edges { cursor } } } }",
                                 ("node", "invoices"), _node_account,
                                 observer=_either(("node", "invoices"), ("operator", "invoices"))),
    "billing.operate": Probe("query($id: ID!) { operatorAccount(id: $id) { id } }", ("operatorAccount",),
                             _node_account),
    "webhooks.manage": Probe(NODE_ACCOUNT.format("webhookEndpoints { id }"), ("node", "webhookEndpoints"),
                             _node_account),
    "audit log.read": Probe(NODE_ACCOUNT.format("auditLog(first: 1) { edges { cursor } }"), ("node", "auditLog"),
                            _node_account),
    "dossier.create": Probe(_mutation("createDossier", "CreateDossierInput"), ("createDossier",),
                            lambda w, who, t: {"input": {"clientName": f"New client {next(_seq)}"}},
                            own_account=True),
    "dossier.read": Probe("query($id: ID!) { node(id: $id) { id } }", ("node",), _dossier, dossier_bound=True),
    "dossier.write": Probe(_mutation("updateDossier", "UpdateDossierInput"), ("updateDossier",),
                           _input(reference="R-1"), dossier_bound=True),
    "dossier.manage": Probe(NODE_DOSSIER.format("accessLog(first: 1) { edges { cursor } }"), ("node", "accessLog"),
                            _dossier, dossier_bound=True),
    "dossier.share": Probe(_mutation("shareDossier", "ShareDossierInput"), ("shareDossier",),
                           lambda w, who, t: {"input": {"dossierId": t["dossier"], "access": "VIEWER",
                                                        "email": f"outsider{next(_seq)}@example.org"}},
                           dossier_bound=True),
    "dossier.export": Probe(_mutation("exportDossier", "ExportDossierInput"), ("exportDossier",),
                            _input(format="JSON"), dossier_bound=True),
    "dossier.archive": Probe(_mutation("archiveDossier", "ArchiveDossierInput"), ("archiveDossier",), _input(),
                             dossier_bound=True, fresh=True),
    "dossier.unarchive": Probe(_mutation("unarchiveDossier", "UnarchiveDossierInput"), ("unarchiveDossier",),
                               _input(), dossier_bound=True, fresh=True),
    "dossier.delete": Probe(_mutation("deleteDossier", "DeleteDossierInput"), ("deleteDossier",), _input(),
                            dossier_bound=True, fresh=True),
    "entry.add": Probe(_mutation("addEntry", "AddEntryInput"), ("addEntry",), _input(kind="NOTE", body="Seen."),
                       dossier_bound=True),
    "entry.revise": Probe(_mutation("reviseEntry", "ReviseEntryInput"), ("reviseEntry",),
                          lambda w, who, t: {"input": {"entryId": t["entry"], "body": f"Revised {next(_seq)}."}},
                          dossier_bound=True),
    "measurement.record": Probe(_mutation("recordMeasurement", "RecordMeasurementInput"), ("recordMeasurement",),
                                lambda w, who, t: {"input": {"dossierId": t["dossier"], "metric": "weight",
                                                             "value": "72.5", "unit": "kg",
                                                             "measuredAt": "2026-01-10T08:00:00+01:00"}},
                                dossier_bound=True),
    "share.list": Probe(NODE_DOSSIER.format("shares { id }"), ("node", "shares"), _dossier, dossier_bound=True,
                        empty_is_hidden=True),
    "share.revoke": Probe(_mutation("revokeShare", "RevokeShareInput"), ("revokeShare",),
                          lambda w, who, t: {"input": {"shareId": t["share"]}}, dossier_bound=True, fresh=True),
    "share.hold": Probe("query($id: ID!) { node(id: $id) { id } }", ("node",),
                        lambda w, who, t: {"id": t["waiting share"]}, dossier_bound=True, holder_rule=_holds),
    "export.download": None,  # type: ignore[dict-item] - tried by test_t6_downloads_follow_the_table_…
    "test clock.advance": Probe(_mutation("advanceTestClock", "AdvanceTestClockInput"), ("advanceTestClock",),
                                _later, own_account=True),
    "session.manage": Probe("{ me { sessions { id } } }", ("me", "sessions"), lambda w, who, t: {},
                             empty_is_hidden=True),
}
PROBES = {name: probe for name, probe in PROBES.items() if probe is not None}
TRIED_ELSEWHERE = {"export.download"}
UNREACHABLE = UNREACHABLE | TRIED_ELSEWHERE
