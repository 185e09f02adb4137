-- 0007 the transactional outbox (SPEC O1), sqlite.
CREATE TABLE "outbox_message" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" VARCHAR(32) NOT NULL,
    "account_id" BIGINT,
    "payload" JSON NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "attempts" INT NOT NULL DEFAULT 0,
    "available_at" TIMESTAMP NOT NULL,
    "leased_until" TIMESTAMP,
    "leased_by" VARCHAR(64),
    "last_error" TEXT,
    "created_at" TIMESTAMP NOT NULL,
    "delivered_at" TIMESTAMP
);
CREATE INDEX "idx_outbox_pending" ON "outbox_message" ("id") WHERE "status" = 'pending';
CREATE INDEX "idx_outbox_failed" ON "outbox_message" ("kind") WHERE "status" = 'failed';
CREATE INDEX "idx_outbox_account" ON "outbox_message" ("account_id", "id");
