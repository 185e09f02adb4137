"""What the API reads of a person's login."""
from __future__ import annotations

from datetime import datetime

from domain.identity.models import UserSession


async def sessions_of(user_id: int, *, security_now: datetime) -> list[UserSession]:
    """The person's live sessions, newest first (I4)."""
    return await UserSession.filter(user_id=user_id, ended_at__isnull=True,
                                    expires_at__gt=security_now).order_by("-created_at", "-id")
