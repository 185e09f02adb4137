-- 0018 invoices (SPEC B1–B6), sqlite: billing profiles, a gapless number counter per
-- calendar year, invoices and credit notes with their lines, payments recorded apart.
-- Invoices, lines and payments are append-only like the ledger (B5). Accounts get their
-- billing profile at sign-up, or from the same defaults at their first invoice.
CREATE TABLE "billing_profile" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "account_id" BIGINT NOT NULL UNIQUE,
    "legal_name" VARCHAR(200) NOT NULL,
    "address_lines" JSON NOT NULL,
    "postal_code" VARCHAR(20),
    "city" VARCHAR(100),
    "country" VARCHAR(2) NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "vat_number" VARCHAR(20),
    "updated_at" TIMESTAMP NOT NULL
);
CREATE TABLE "invoice_counter" (
    "year" INT NOT NULL PRIMARY KEY,
    "last_number" INT NOT NULL
);
CREATE TABLE "invoice" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "account_id" BIGINT NOT NULL,
    "number" VARCHAR(32) NOT NULL UNIQUE,
    "year" INT NOT NULL,
    "sequence" INT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "issued_on" DATE NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "seller" JSON NOT NULL,
    "buyer" JSON NOT NULL,
    "vat_scheme" VARCHAR(16) NOT NULL,
    "reverse_charge" BOOL NOT NULL,
    "vat_breakdown" JSON NOT NULL,
    "net_total" VARCHAR(40) NOT NULL,
    "vat_total" VARCHAR(40) NOT NULL,
    "gross_total" VARCHAR(40) NOT NULL,
    "service_start" DATE NOT NULL,
    "service_end" DATE NOT NULL,
    "corrects_id" BIGINT REFERENCES "invoice" ("id"),
    "reason" TEXT,
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_invoice_year_sequence" UNIQUE ("year", "sequence")
);
CREATE TABLE "invoice_line" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "invoice_id" BIGINT NOT NULL REFERENCES "invoice" ("id"),
    "account_id" BIGINT NOT NULL,
    "position" INT NOT NULL,
    "ledger_line_id" BIGINT,
    "description" VARCHAR(300) NOT NULL,
    "period_start" DATE,
    "period_end" DATE,
    "quantity" INT NOT NULL,
    "net" VARCHAR(40) NOT NULL,
    "vat_rate" VARCHAR(40) NOT NULL
);
CREATE TABLE "invoice_payment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "invoice_id" BIGINT NOT NULL UNIQUE REFERENCES "invoice" ("id"),
    "account_id" BIGINT NOT NULL,
    "paid_on" DATE NOT NULL,
    "recorded_by_user_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL
);
CREATE INDEX "idx_invoice_account" ON "invoice" ("account_id", "id");
CREATE INDEX "idx_invoice_line_invoice" ON "invoice_line" ("invoice_id", "position");
CREATE INDEX "idx_invoice_corrects" ON "invoice" ("corrects_id");
CREATE TRIGGER "invoice_no_update" BEFORE UPDATE ON "invoice"
BEGIN SELECT RAISE(ABORT, 'invoice is append-only'); END;
CREATE TRIGGER "invoice_no_delete" BEFORE DELETE ON "invoice"
BEGIN SELECT RAISE(ABORT, 'invoice is append-only'); END;
CREATE TRIGGER "invoice_line_no_update" BEFORE UPDATE ON "invoice_line"
BEGIN SELECT RAISE(ABORT, 'invoice_line is append-only'); END;
CREATE TRIGGER "invoice_line_no_delete" BEFORE DELETE ON "invoice_line"
BEGIN SELECT RAISE(ABORT, 'invoice_line is append-only'); END;
CREATE TRIGGER "invoice_payment_no_update" BEFORE UPDATE ON "invoice_payment"
BEGIN SELECT RAISE(ABORT, 'invoice_payment is append-only'); END;
CREATE TRIGGER "invoice_payment_no_delete" BEFORE DELETE ON "invoice_payment"
BEGIN SELECT RAISE(ABORT, 'invoice_payment is append-only'); END;
