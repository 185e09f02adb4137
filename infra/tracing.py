"""The id of the request being served, for logs and audit events."""
from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("casebook_request_id", default=None)
