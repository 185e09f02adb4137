-- 0014 each rate-limit counter knows when its own window ends (I5, I7). Pruning by the
-- window of the counter being updated deleted the rows of longer windows: every minute's
-- sign-in counting wiped the 15-minute two-factor and the hour's mail counters. Rows of
-- before this migration get the longest window any limit may have (a day).
ALTER TABLE "rate_limit" ADD COLUMN "window_end" BIGINT NOT NULL DEFAULT 0;
UPDATE "rate_limit" SET "window_end" = "window_start" + 86400;
DROP INDEX "idx_rate_limit_window";
CREATE INDEX "idx_rate_limit_window_end" ON "rate_limit" ("window_end");
