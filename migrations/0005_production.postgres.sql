-- 0005 production (postgres). Rate-limit counters (auth/rate_limit.py) when REDIS_URL is unset:
-- one row per key and fixed window; old windows are pruned as new ones are counted.
CREATE TABLE "rate_limit" (
    "key" VARCHAR(200) NOT NULL,
    "window_start" BIGINT NOT NULL,
    "count" INT NOT NULL,
    PRIMARY KEY ("key", "window_start")
);
CREATE INDEX "idx_rate_limit_window" ON "rate_limit" ("window_start");
