"""The typed context every resolver gets: request, settings, principal, clocks, loaders."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from strawberry.types import Info as _Info

from auth.principal import Principal
from auth.tokens import TokenService
from domain.core.actor import Actor
from auth.permissions import Unauthenticated
from domain.core.settings import Settings
from schema.loaders import Loaders


@dataclass
class Context:
    request: Request | None
    settings: Settings
    tokens: TokenService
    # Business time: months, periods, quotes, timestamps written (X-Casebook-Now may move it).
    now: datetime
    # Real time: token expiry and rate limits. Never moved by a test clock.
    security_now: datetime
    request_id: str
    principal: Principal | None = None
    catalog: Any = None
    loaders: Loaders = field(default_factory=Loaders)
    services: dict[str, Any] = field(default_factory=dict)
    response_extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        """The acting person; resolvers behind a permission check always have one."""
        if self.principal is None:
            raise Unauthenticated()
        return self.principal.actor

    def loader(self, batch):  # noqa: ANN001 - a batch function
        return self.loaders(batch)


Info = _Info[Context, None]
