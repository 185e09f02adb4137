-- 0004 billing (sqlite): periods (renewal records), quotes and their lines, the append-only
-- ledger, scheduled changes, applied quotes (idempotency keys), operator discounts.
-- Frozen from the models; change only by a new migration.
CREATE TABLE "billing_period" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "period_start" DATE NOT NULL,
    "renews_on" DATE NOT NULL,
    "plan_code" VARCHAR(32) NOT NULL,
    "term" VARCHAR(16) NOT NULL,
    "seats" INT NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "price" VARCHAR(40) NOT NULL,
    "note" TEXT,
    "created_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_billing_per_account_a822b3" UNIQUE ("account_id", "period_start")
);
CREATE TABLE "quote" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "subscription_version" INT NOT NULL,
    "plan_code" VARCHAR(32) NOT NULL,
    "term" VARCHAR(16) NOT NULL,
    "seats" INT NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "computed_for" DATE NOT NULL,
    "period_start" DATE NOT NULL,
    "renews_on" DATE NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "due_now" VARCHAR(40) NOT NULL,
    "price_per_period_after" VARCHAR(40) NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "created_by_user_id" BIGINT
);
CREATE TABLE "quote_line" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "position" INT NOT NULL,
    "change" VARCHAR(16) NOT NULL,
    "effect" VARCHAR(16) NOT NULL,
    "from_value" VARCHAR(32) NOT NULL,
    "to_value" VARCHAR(32) NOT NULL,
    "description" VARCHAR(300) NOT NULL,
    "explanation" TEXT NOT NULL,
    "amount" VARCHAR(40) NOT NULL,
    "effective_on" DATE NOT NULL,
    "remaining_days" INT,
    "period_days" INT,
    "exact" VARCHAR(100) NOT NULL,
    "quote_id" BIGINT NOT NULL REFERENCES "quote" ("id") ON DELETE CASCADE
);
CREATE TABLE "ledger_line" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "description" VARCHAR(300) NOT NULL,
    "quantity" INT NOT NULL,
    "amount" VARCHAR(40) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "period_start" DATE NOT NULL,
    "period_end" DATE NOT NULL,
    "quote_id" BIGINT,
    "exact" VARCHAR(100),
    "explanation" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE "scheduled_change" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "change" VARCHAR(16) NOT NULL,
    "from_value" VARCHAR(32) NOT NULL,
    "to_value" VARCHAR(32) NOT NULL,
    "description" VARCHAR(300) NOT NULL,
    "effective_on" DATE NOT NULL,
    "quote_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_scheduled_c_account_a97670" UNIQUE ("account_id", "change")
);
CREATE TABLE "quote_application" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "idempotency_key" VARCHAR(200) NOT NULL,
    "quote_id" BIGINT NOT NULL UNIQUE,
    "charged" VARCHAR(40) NOT NULL,
    "result" JSON NOT NULL,
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_quote_appli_account_1541fa" UNIQUE ("account_id", "idempotency_key")
);
CREATE TABLE "account_discount" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "code" VARCHAR(32) NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "percent" VARCHAR(40) NOT NULL,
    "ends_on" DATE,
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    "removed_at" TIMESTAMP,
    "removed_by_user_id" BIGINT
);
CREATE INDEX "idx_quote_account" ON "quote" ("account_id", "id");
CREATE INDEX "idx_quote_line_quote" ON "quote_line" ("quote_id", "position");
CREATE INDEX "idx_ledger_line_account" ON "ledger_line" ("account_id", "period_end", "id");
CREATE INDEX "idx_account_discount_account" ON "account_discount" ("account_id", "code");
CREATE INDEX "idx_subscription_renews_on" ON "subscription" ("renews_on");
CREATE TRIGGER "ledger_line_no_update" BEFORE UPDATE ON "ledger_line"
BEGIN SELECT RAISE(ABORT, 'ledger_line is append-only'); END;
CREATE TRIGGER "ledger_line_no_delete" BEFORE DELETE ON "ledger_line"
BEGIN SELECT RAISE(ABORT, 'ledger_line is append-only'); END;
