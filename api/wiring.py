"""Composition of the program's parts: who listens to domain events, to what happens to
people and to dossiers being erased, and which adapter looks up webhook hosts. The domain
announces without knowing its listeners (domain/events.py, domain/accounts/person_hooks.py,
domain/dossiers/erasure_hooks.py); this is the one place that names them. The ASGI app,
`casebook worker` and the tests call `wire()` at start. (The worker's senders — mail,
webhook HTTP — are handed to its handlers in api/worker.py.)"""
from __future__ import annotations

from adapters.dns import system_resolver
from domain import events
from domain.accounts import person_hooks
from domain.dossiers import erasure_hooks
from domain.live import publish as live
from domain.shares import invitations as share_invitations
from domain.shares.paid_status import paid_status_changed
from domain.shares.service import ending_with_dossier
from domain.webhooks import fanout, targets
from domain.webhooks.targets import Resolver


def wire(*, resolver: Resolver = system_resolver) -> None:
    """Subscribe every listener; safe to call more than once. `resolver` answers webhook
    host names (a test without DNS hands in its table)."""
    events.subscribe(fanout.on_event)
    # Shares wait for an address to be proven (I1), follow their holder's address, are
    # re-balanced when the holder joins or leaves a team (G5), and are taken up through
    # share invitations.
    person_hooks.listen(address_proven=share_invitations.take_up_shares,
                        address_changed=share_invitations.follow_address_change,
                        paid_status_may_have_changed=paid_status_changed,
                        invitation_kinds={share_invitations.SHARE: share_invitations.accept_share_invitation})
    # Erasing a dossier ends its shares (D6, G2, G5).
    erasure_hooks.listen(ending_with_dossier)
    events.subscribe(live.on_event)  # live updates to open streams, after commit (T7)
    targets.resolve_names_with(resolver)  # checked against T5's address rules at save and at delivery
