-- 0015 one clock and one queue (SPEC O4, O5), postgres.
-- An account's test clock: the latest business time it has been given outside
-- production (X-Casebook-Now, advanceTestClock); null means the wall clock.
ALTER TABLE "account" ADD COLUMN "test_clock" TIMESTAMPTZ;
-- Each account's events are numbered 1, 2, 3… in the announcing transactions, so a
-- receiver can order what it gets (O5).
CREATE TABLE "account_event_counter" (
    "account_id" BIGINT NOT NULL PRIMARY KEY REFERENCES "account" ("id") ON DELETE CASCADE,
    "last" BIGINT NOT NULL
);
-- No delivery waits behind another any more: the "is an earlier one unfinished" look
-- and its index are gone.
DROP INDEX IF EXISTS "idx_webhook_delivery_chain";
