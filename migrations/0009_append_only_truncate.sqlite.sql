-- 0009 append-only tables refuse TRUNCATE too (sqlite): nothing to do. SQLite has no
-- TRUNCATE; its "truncate optimisation" of a DELETE without WHERE is off for tables with
-- triggers, so the row triggers of 0001 and 0004 already refuse it (tested).
SELECT 1;
