-- 0013 the active-client tier an account had, day by day (SPEC A6), sqlite. Backfilled
-- like the postgres migration: periods opened, applied tier increases, repeats left out.
CREATE TABLE "tier_change" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "account_id" BIGINT NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "effective_on" DATE NOT NULL,
    "cause" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMP NOT NULL
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
