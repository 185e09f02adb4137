"""Webhook endpoints and their deliveries (T5).

A delivery is one event for one endpoint: the exact body that is signed and sent (kept
as text, so every retry and replay sends the same bytes under the same `webhook-id`),
and what its attempts found. Its queue message is an `outbox_message` of kind `webhook`
(O5: one queue with mail and archives); this row is what partners see through the API."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

# Delivery statuses, as stored (the API's WebhookDeliveryStatus in lower case).
PENDING, FAILING, SUCCEEDED, FAILED = "pending", "failing", "succeeded", "failed"
UNFINISHED = (PENDING, FAILING)


class WebhookEndpoint(Model):
    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    url = fields.CharField(max_length=2000)
    # Event names, space-separated, or "*" for every event.
    events = fields.CharField(max_length=1000)
    enabled = fields.BooleanField(default=True)
    # The signing secret (whsec_…), encrypted at rest (domain.webhooks.vault).
    secret_encrypted = fields.TextField()
    # After a rotation the old secret keeps signing too, until it expires (grace period).
    previous_secret_encrypted = fields.TextField(null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    # Failures in a row since the last success, and when that run of failures began:
    # the threshold that disables an endpoint reads both (domain.webhooks.retries).
    consecutive_failures = fields.IntField(default=0)
    failing_since = fields.DatetimeField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    # "failing" (the service disabled it) or "manual" (someone did); null while enabled.
    disabled_reason = fields.CharField(max_length=16, null=True)
    created_by_user_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "webhook_endpoint"

    @property
    def event_names(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    endpoint = fields.ForeignKeyField("models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE)
    event = fields.CharField(max_length=64)
    # The Standard Webhooks `webhook-id`: one per event, the same on every retry and replay.
    message_id = fields.CharField(max_length=64)
    body = fields.TextField()
    # The dossier's id, or 0 for events about the account (teammates, subscription).
    # Nothing waits on it any more (O5): receivers order by the body's `sequence`.
    ordering_key = fields.BigIntField()
    status = fields.CharField(max_length=16, default=PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    # Unused since deliveries ride the outbox, whose message holds the lease (O5).
    leased_until = fields.DatetimeField(null=True)
    leased_by = fields.CharField(max_length=64, null=True)
    response_status = fields.IntField(null=True)
    # At most EXCERPT_CHARS of what the endpoint answered; nothing more is kept.
    response_excerpt = fields.CharField(max_length=600, null=True)
    last_error = fields.CharField(max_length=300, null=True)
    # The delivery this one re-sends (replayWebhookDelivery).
    replay_of_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
