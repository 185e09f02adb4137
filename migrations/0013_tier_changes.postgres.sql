-- 0013 the active-client tier an account had, day by day (SPEC A6: a past month shows the
-- cap that month had), postgres. Backfilled from what the billing tables already record:
-- every period opened (its tier from its first day) and every applied tier increase (from
-- the day it was quoted for); rows that repeat the tier before them are left out.
CREATE TABLE "tier_change" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "effective_on" DATE NOT NULL,
    "cause" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_tier_change_account" ON "tier_change" ("account_id", "effective_on", "id");
INSERT INTO "tier_change" ("account_id", "tier", "effective_on", "cause", "created_at")
WITH "known" AS (
    SELECT "account_id", "tier", "period_start" AS "effective_on", 'period' AS "cause", "created_at"
    FROM "billing_period"
    UNION ALL
    SELECT "q"."account_id", "l"."to_value", "q"."computed_for", 'quote', "a"."created_at"
    FROM "quote_application" "a"
    JOIN "quote" "q" ON "q"."id" = "a"."quote_id"
    JOIN "quote_line" "l" ON "l"."quote_id" = "q"."id"
    WHERE "l"."change" = 'tier' AND "l"."effect" = 'now'
    UNION ALL
    -- A subscription without any recorded period: its tier today, from its period start.
    SELECT "s"."account_id", "s"."tier", "s"."period_start", 'period', "s"."created_at"
    FROM "subscription" "s"
    WHERE NOT EXISTS (SELECT 1 FROM "billing_period" "p" WHERE "p"."account_id" = "s"."account_id")
), "ordered" AS (
    SELECT *, LAG("tier") OVER (PARTITION BY "account_id" ORDER BY "effective_on", "created_at") AS "before"
    FROM "known"
)
SELECT "account_id", "tier", "effective_on", "cause", "created_at"
FROM "ordered"
WHERE "before" IS NULL OR "before" <> "tier"
ORDER BY "account_id", "effective_on", "created_at";
