-- 0025 the query-cost budget keeps the latest time it has been told (api/budget.py).
-- Each process reads its clock before its request reaches the bucket; a request whose
-- reading was a moment older than one already counted saw the bucket a moment emptier
-- than it is, and a burst of exactly the budget got one request fewer than it pays for.
-- The bucket's time now never runs backwards: the later of the two readings counts.
ALTER TABLE "cost_budget" ADD COLUMN "clock_ms" BIGINT NOT NULL DEFAULT 0;
