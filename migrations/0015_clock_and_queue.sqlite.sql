-- 0015 one clock and one queue (SPEC O4, O5), sqlite.
-- An account's test clock: the latest business time it has been given outside
-- production (X-Casebook-Now, advanceTestClock); null means the wall clock.
ALTER TABLE "account" ADD COLUMN "test_clock" TIMESTAMP;
-- Each account's events are numbered 1, 2, 3… in the announcing transactions, so a
-- receiver can order what it gets (O5).
CREATE TABLE "account_event_counter" (
    "account_id" BIGINT NOT NULL PRIMARY KEY REFERENCES "account" ("id") ON DELETE CASCADE,
    "last" BIGINT NOT NULL
);
-- No delivery waits behind another any more: the "is an earlier one unfinished" look
-- and its index are gone.
DROP INDEX IF EXISTS "idx_webhook_delivery_chain";
-- One queue (O5): webhook deliveries ride outbox_message like mail and archives. A
-- message's lane (a webhook's endpoint) bounds how many of its messages are out at once.
ALTER TABLE "outbox_message" ADD COLUMN "lane" VARCHAR(64);
CREATE INDEX "idx_outbox_lane" ON "outbox_message" ("lane") WHERE "status" = 'pending' AND "lane" IS NOT NULL;
-- Deliveries still under way get their queue message; the delivery row keeps what the
-- API shows (status, attempts, response).
INSERT INTO "outbox_message" ("kind", "account_id", "payload", "status", "attempts", "available_at", "created_at", "lane")
SELECT 'webhook', d.account_id, json_object('delivery', d.id), 'pending', d.attempts, d.next_attempt_at, d.created_at, 'endpoint:' || d.endpoint_id
FROM "webhook_delivery" d WHERE d.status IN ('pending', 'failing') ORDER BY d.id;
