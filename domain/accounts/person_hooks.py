"""What the areas built on accounts do when something happens to a person, inside the
transaction that made it happen: an address is proven, an address changes, the person's
paid status may have changed, an invitation of another area's kind is accepted.

Accounts announce these and know none of the listeners: the top of the program
(api/wiring.py) registers them (the shares area today), so accounts never imports the
areas above it. Announcing before anything is registered is a wiring mistake and fails
loudly rather than silently leaving shares behind."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    from domain.accounts.models import Invitation, User

AddressProven = Callable[["User", datetime], Awaitable[None]]
AddressChanged = Callable[[Any, int, str, str, datetime], Awaitable[None]]
PaidStatusMayHaveChanged = Callable[[int, datetime], Awaitable[None]]
InvitationTaker = Callable[["Invitation", "User", datetime], Awaitable[None]]


@dataclass
class _Listeners:
    address_proven: list[AddressProven] = field(default_factory=list)
    address_changed: list[AddressChanged] = field(default_factory=list)
    paid_status: list[PaidStatusMayHaveChanged] = field(default_factory=list)
    invitation_kinds: dict[str, InvitationTaker] = field(default_factory=dict)
    wired: bool = False


_listeners = _Listeners()


def listen(*, address_proven: AddressProven | None = None, address_changed: AddressChanged | None = None,
           paid_status_may_have_changed: PaidStatusMayHaveChanged | None = None,
           invitation_kinds: dict[str, InvitationTaker] | None = None) -> None:
    """Register an area's listeners; registering the same function twice keeps one."""
    for listener, into in ((address_proven, _listeners.address_proven),
                           (address_changed, _listeners.address_changed),
                           (paid_status_may_have_changed, _listeners.paid_status)):
        if listener is not None and listener not in into:
            into.append(listener)
    _listeners.invitation_kinds.update(invitation_kinds or {})
    _listeners.wired = True


def _require_wiring() -> None:
    if not _listeners.wired:
        raise RuntimeError("no area listens to what happens to people: call api.wiring.wire() at start")


async def address_proven(user: "User", now: datetime) -> None:
    """I1: what waited for this address may now become the person's."""
    _require_wiring()
    for listener in _listeners.address_proven:
        await listener(user, now)


async def address_changed(conn: Any, user_id: int, old: str, new: str, now: datetime) -> None:
    """What the person holds by login follows them to the new address."""
    _require_wiring()
    for listener in _listeners.address_changed:
        await listener(conn, user_id, old, new, now)


async def paid_status_may_have_changed(user_id: int, now: datetime) -> None:
    """G5: the person joined or left a team."""
    _require_wiring()
    for listener in _listeners.paid_status:
        await listener(user_id, now)


async def take_up_invitation(invitation: "Invitation", user: "User", now: datetime) -> None:
    """The area that gave an invitation of this kind hands over what it stands for."""
    _require_wiring()
    taker = _listeners.invitation_kinds.get(invitation.kind)
    if taker is None:
        raise RuntimeError(f"no area takes up invitations of kind {invitation.kind!r}")
    await taker(invitation, user, now)
