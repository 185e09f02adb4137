"""The typed context every resolver gets: request, settings, principal, clocks, loaders."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Any

from starlette.requests import Request
from strawberry.types import Info as _Info

from auth.audiences import Audience, may_see
from auth.principal import Principal
from auth.tokens import TokenService
from domain.core.actor import Actor
from domain.core.errors import Unauthenticated
from infra.settings import Settings
from domain.dossiers.reads import record_reads
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
    # The request sent X-Casebook-Now (outside production): it sets its account's test clock (O4).
    test_clock_sent: bool = False
    catalog: Any = None
    loaders: Loaders = field(default_factory=Loaders)
    response_extensions: dict[str, Any] = field(default_factory=dict)
    # Dossiers whose content this request showed, as (dossier id, account id): the access
    # log (P2) records them once, after execution and before the response (schema/executor.py).
    reads: set[tuple[int, int]] = field(default_factory=set)
    # The policy's audience answers this request got, by (audience, account id, own), with
    # the principal each was given to (schema.rules.sees).
    audience_answers: dict[tuple, tuple[Any, bool]] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        """The acting person; resolvers behind a permission check always have one."""
        if self.principal is None:
            raise Unauthenticated()
        return self.principal.actor

    @cached_property
    def sees_content(self) -> bool:
        """Whether this request's principal may see dossier content at all (T4, P3): asked
        once per request instead of once per entry. Only ever a shortcut to yes (a
        principal is set once, never taken away); a no is asked again in full."""
        return may_see(self.principal, Audience.CONTENT, None)

    def loader(self, batch):  # noqa: ANN001 - a batch function
        return self.loaders(batch)

    async def now_in(self, account_id: int) -> datetime:
        """Business time for something happening to `account_id` (O4). A request acting in
        the account already runs at its clock, and one that sent X-Casebook-Now at that
        time; anyone else (an operator) sees and acts on an account with a test clock at
        that clock, never the wall clock: renewals its clock has not reached stay undone."""
        acting_in = self.principal.actor.account_id if self.principal is not None else None
        if not self.settings.honours_test_clock or self.test_clock_sent or acting_in == account_id:
            return self.now
        from domain.core.account_clock import business_now

        return await business_now(account_id, wall=self.now)

    def note_read(self, dossier_id: int, account_id: int) -> None:
        self.reads.add((dossier_id, account_id))

    async def flush_reads(self) -> None:
        if not self.reads or self.principal is None:
            return
        reads, self.reads = self.reads, set()
        user_id = self.principal.actor.user_id
        await record_reads([(dossier_id, account_id, user_id, self.now) for dossier_id, account_id in sorted(reads)])


Info = _Info[Context, None]
