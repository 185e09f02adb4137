"""The context of a WebSocket connection: the request context plus what the connection
was opened with. Each delivery refreshes the principal, clocks and loaders, so an update
is resolved exactly as a query by that principal would be at that moment."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auth.principal import Principal
from infra.clock import utc_now
from domain.dossiers.access import accesses
from schema.context import Context
from schema.loaders import Loaders


@dataclass
class LiveContext(Context):
    # `connection_init`'s payload (strawberry fills it in).
    connection_params: dict[str, Any] = field(default_factory=dict)
    # The bearer token the connection was authenticated with; None before connection_init.
    live_token: str | None = None

    def begin_delivery(self, principal: Principal, dossier: Any = None) -> None:
        """`dossier`: the DossierAccess just decided for this principal, so resolving
        the update does not read it again."""
        self.principal = principal
        self.security_now = utc_now()
        self.now = self.security_now
        # Nothing cached from an earlier delivery. (`reads` is left alone: another
        # subscription of this connection may be resolving; each execution flushes its own.)
        self.loaders = Loaders()
        if dossier is not None:
            self.loaders(accesses).prime((principal.actor, dossier.row.id), dossier)
        self.__dict__.pop("sees_content", None)
