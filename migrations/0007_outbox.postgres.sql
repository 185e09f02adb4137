-- 0007 the transactional outbox (SPEC O1), postgres: mail and other announcements are
-- inserted with the write that makes them and delivered by `casebook worker`.
CREATE TABLE "outbox_message" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(32) NOT NULL,
    "account_id" BIGINT,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "attempts" INT NOT NULL DEFAULT 0,
    "available_at" TIMESTAMPTZ NOT NULL,
    "leased_until" TIMESTAMPTZ,
    "leased_by" VARCHAR(64),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "delivered_at" TIMESTAMPTZ
);
-- The worker's claim reads pending messages in id order; delivered ones drop out of it.
CREATE INDEX "idx_outbox_pending" ON "outbox_message" ("id") WHERE "status" = 'pending';
CREATE INDEX "idx_outbox_failed" ON "outbox_message" ("kind") WHERE "status" = 'failed';
CREATE INDEX "idx_outbox_account" ON "outbox_message" ("account_id", "id");
