-- 0017 an account's language (L1): mail, exports and invoices are written in it.
-- Accounts of before this migration keep what they had: English.
ALTER TABLE "account" ADD COLUMN "locale" VARCHAR(2) NOT NULL DEFAULT 'EN'
    CHECK ("locale" IN ('NL', 'DE', 'EN'));
