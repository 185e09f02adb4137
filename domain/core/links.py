"""Links in mails point at the client app (PUBLIC_APP_URL), which takes the token from
the query parameter `token` (API.md Transport) and calls the matching mutation."""
from __future__ import annotations

from urllib.parse import urlencode

from infra.settings import Settings


def app_link(settings: Settings, page: str, token: str) -> str:
    return f"{settings.public_app_url}/{page}?{urlencode({'token': token})}"


def invitation_link(settings: Settings, token: str) -> str:
    return app_link(settings, "accept-invitation", token)
