-- 0023 (review): an invoice keeps the language it was written in (B5, L1). Invoices
-- issued before this column are printed in their account's language, as they were.
ALTER TABLE "invoice" ADD COLUMN "locale" VARCHAR(2);
