"""Webhook endpoints and deliveries as nodes: visible to whoever manages the webhooks of
the account they act in; to anyone else they do not exist (D4)."""
from __future__ import annotations

from auth import policy
from domain.webhooks.deliveries import visible_delivery
from domain.webhooks.endpoints import visible_endpoint
from schema.context import Info
from schema.nodes import register_node
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint


def _managing_account(info: Info) -> int | None:
    principal = info.context.principal
    account_id = getattr(policy.actor_of(principal), "account_id", None)
    if account_id is None or not policy.may(principal, "webhooks", "manage", policy.Facts(account_id)):
        return None
    return account_id


async def _endpoint_node(info: Info, pk: int) -> WebhookEndpoint | None:
    account_id = _managing_account(info)
    if account_id is None:
        return None
    row = await visible_endpoint(account_id, pk)
    return WebhookEndpoint.from_model(row) if row else None


async def _delivery_node(info: Info, pk: int) -> WebhookDelivery | None:
    account_id = _managing_account(info)
    if account_id is None:
        return None
    row = await visible_delivery(account_id, pk)
    return WebhookDelivery.from_model(row) if row else None


register_node("WebhookEndpoint", _endpoint_node)
register_node("WebhookDelivery", _delivery_node)
