-- 0011 webhooks for partner systems (SPEC T5), postgres: endpoints an account subscribes
-- to its events, and one delivery per event and endpoint (also the webhook queue).
CREATE TABLE "webhook_endpoint" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE,
    "url" VARCHAR(2000) NOT NULL,
    "events" VARCHAR(1000) NOT NULL,
    "enabled" BOOL NOT NULL DEFAULT TRUE,
    "secret_encrypted" TEXT NOT NULL,
    "previous_secret_encrypted" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ,
    "consecutive_failures" INT NOT NULL DEFAULT 0,
    "failing_since" TIMESTAMPTZ,
    "disabled_at" TIMESTAMPTZ,
    "disabled_reason" VARCHAR(16),
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_webhook_endpoint_account" ON "webhook_endpoint" ("account_id", "id");
CREATE TABLE "webhook_delivery" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "endpoint_id" BIGINT NOT NULL REFERENCES "webhook_endpoint" ("id") ON DELETE CASCADE,
    "event" VARCHAR(64) NOT NULL,
    "message_id" VARCHAR(64) NOT NULL,
    "body" TEXT NOT NULL,
    "ordering_key" BIGINT NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "attempts" INT NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ,
    "last_attempt_at" TIMESTAMPTZ,
    "leased_until" TIMESTAMPTZ,
    "leased_by" VARCHAR(64),
    "response_status" INT,
    "response_excerpt" VARCHAR(600),
    "last_error" VARCHAR(300),
    "replay_of_id" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "finished_at" TIMESTAMPTZ
);
-- The worker's look for due deliveries reads unfinished ones only, soonest first.
CREATE INDEX "idx_webhook_delivery_due" ON "webhook_delivery" ("next_attempt_at", "id")
    WHERE "status" IN ('pending', 'failing');
-- "Is an earlier delivery of this endpoint about this dossier still unfinished?"
CREATE INDEX "idx_webhook_delivery_chain" ON "webhook_delivery" ("endpoint_id", "ordering_key", "id")
    WHERE "status" IN ('pending', 'failing');
-- An endpoint's deliveries, newest first (the deliveries connection; cascading deletes).
CREATE INDEX "idx_webhook_delivery_endpoint" ON "webhook_delivery" ("endpoint_id", "id");
-- Pruning finished deliveries once they are old.
CREATE INDEX "idx_webhook_delivery_finished" ON "webhook_delivery" ("finished_at")
    WHERE "finished_at" IS NOT NULL;
