-- 0004 billing (postgres): periods (renewal records), quotes and their lines, the append-only
-- ledger, scheduled changes, applied quotes (idempotency keys), operator discounts.
-- Frozen from the models; change only by a new migration.
CREATE TABLE "billing_period" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "period_start" DATE NOT NULL,
    "renews_on" DATE NOT NULL,
    "plan_code" VARCHAR(32) NOT NULL,
    "term" VARCHAR(16) NOT NULL,
    "seats" INT NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "price" DECIMAL(14,2) NOT NULL,
    "note" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "uid_billing_per_account_a822b3" UNIQUE ("account_id", "period_start")
);
CREATE TABLE "quote" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
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
    "due_now" DECIMAL(14,2) NOT NULL,
    "price_per_period_after" DECIMAL(14,2) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "created_by_user_id" BIGINT
);
CREATE TABLE "quote_line" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "position" INT NOT NULL,
    "change" VARCHAR(16) NOT NULL,
    "effect" VARCHAR(16) NOT NULL,
    "from_value" VARCHAR(32) NOT NULL,
    "to_value" VARCHAR(32) NOT NULL,
    "description" VARCHAR(300) NOT NULL,
    "explanation" TEXT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "effective_on" DATE NOT NULL,
    "remaining_days" INT,
    "period_days" INT,
    "exact" VARCHAR(100) NOT NULL,
    "quote_id" BIGINT NOT NULL REFERENCES "quote" ("id") ON DELETE CASCADE
);
CREATE TABLE "ledger_line" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "description" VARCHAR(300) NOT NULL,
    "quantity" INT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "period_start" DATE NOT NULL,
    "period_end" DATE NOT NULL,
    "quote_id" BIGINT,
    "exact" VARCHAR(100),
    "explanation" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE "scheduled_change" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "change" VARCHAR(16) NOT NULL,
    "from_value" VARCHAR(32) NOT NULL,
    "to_value" VARCHAR(32) NOT NULL,
    "description" VARCHAR(300) NOT NULL,
    "effective_on" DATE NOT NULL,
    "quote_id" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "uid_scheduled_c_account_a97670" UNIQUE ("account_id", "change")
);
CREATE TABLE "quote_application" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "idempotency_key" VARCHAR(200) NOT NULL,
    "quote_id" BIGINT NOT NULL UNIQUE,
    "charged" DECIMAL(14,2) NOT NULL,
    "result" JSONB NOT NULL,
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "uid_quote_appli_account_1541fa" UNIQUE ("account_id", "idempotency_key")
);
CREATE TABLE "account_discount" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "code" VARCHAR(32) NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "percent" DECIMAL(5,2) NOT NULL,
    "ends_on" DATE,
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "removed_at" TIMESTAMPTZ,
    "removed_by_user_id" BIGINT
);
CREATE INDEX "idx_quote_account" ON "quote" ("account_id", "id");
CREATE INDEX "idx_quote_line_quote" ON "quote_line" ("quote_id", "position");
CREATE INDEX "idx_ledger_line_account" ON "ledger_line" ("account_id", "period_end", "id");
CREATE INDEX "idx_account_discount_account" ON "account_discount" ("account_id", "code");
CREATE INDEX "idx_subscription_renews_on" ON "subscription" ("renews_on");
CREATE TRIGGER "ledger_line_no_update_delete" BEFORE UPDATE OR DELETE ON "ledger_line"
FOR EACH ROW EXECUTE FUNCTION casebook_append_only();
