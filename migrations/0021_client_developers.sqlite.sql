-- 0021 for client developers (issue 23). Paged lists read only their page, both ways:
-- a dossier's measurement series by when measured (of one metric, or of all) and an
-- account's charges by id; their totalCount is one count along the same index.
CREATE INDEX "idx_measurement_history" ON "measurement" ("dossier_id", "measured_at", "id");
CREATE INDEX "idx_measurement_metric_history" ON "measurement" ("dossier_id", "metric", "measured_at", "id");
CREATE INDEX "idx_ledger_line_account_id" ON "ledger_line" ("account_id", "id");
-- The query-cost budget of each principal and anonymous client (api/budget.py) when
-- REDIS_URL is unset: the moment its bucket would be empty again (GCRA's theoretical
-- arrival time, in milliseconds), and whether the last request was refused.
CREATE TABLE "cost_budget" (
    "key" VARCHAR(100) NOT NULL PRIMARY KEY,
    "drained_until_ms" BIGINT NOT NULL,
    "refused" BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX "idx_cost_budget_drained" ON "cost_budget" ("drained_until_ms");
