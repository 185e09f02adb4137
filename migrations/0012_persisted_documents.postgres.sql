-- 0012 persisted documents (postgres). GraphQL documents known by their SHA-256 (api/documents.py):
-- trusted ones registered with `casebook documents add` (run alone under
-- CASEBOOK_TRUSTED_DOCUMENTS=only), and Apollo automatic persisted queries when REDIS_URL is
-- unset (trusted = FALSE; expired and surplus rows pruned on write, oldest first).
CREATE TABLE "persisted_document" (
    "sha256" CHAR(64) NOT NULL PRIMARY KEY,
    "document" TEXT NOT NULL,
    "trusted" BOOL NOT NULL DEFAULT FALSE,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX "idx_persisted_document_apq" ON "persisted_document" ("created_at") WHERE "trusted" = FALSE;
