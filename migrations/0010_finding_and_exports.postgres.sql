-- 0010 finding dossiers and exporting them (SPEC D7, D8), postgres.
-- `search_text`: the dossier's folded name and reference (domain/dossiers/finding.py); the
-- data step 0010_finding_and_exports.py fills it for existing dossiers. pg_trgm's GIN index
-- serves substring search (LIKE '%term%') on it. CREATE EXTENSION needs a superuser or,
-- since PostgreSQL 13 (pg_trgm is a trusted extension), a role with CREATE on the database.
ALTER TABLE "dossier" ADD COLUMN "search_text" TEXT NOT NULL DEFAULT '';
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "idx_dossier_search_trgm" ON "dossier" USING GIN ("search_text" gin_trgm_ops);
CREATE TABLE "export" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "format" VARCHAR(8) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "dossier_id" BIGINT,
    "requested_by_user_id" BIGINT NOT NULL,
    "requested_by_email" VARCHAR(254) NOT NULL,
    "includes_shares" BOOLEAN NOT NULL,
    "includes_access_log" BOOLEAN NOT NULL,
    "dossier_id_limit" BIGINT,
    "download_key" VARCHAR(64) NOT NULL UNIQUE,
    "file_name" VARCHAR(200),
    "size_bytes" BIGINT,
    "dossier_count" INT,
    "build_lease_until" TIMESTAMPTZ,
    "error" VARCHAR(500),
    "created_at" TIMESTAMPTZ NOT NULL,
    "requested_at" TIMESTAMPTZ NOT NULL,
    "ready_at" TIMESTAMPTZ,
    "expires_at" TIMESTAMPTZ,
    "file_deleted_at" TIMESTAMPTZ
);
CREATE INDEX "idx_export_requester" ON "export" ("requested_by_user_id", "id");
CREATE INDEX "idx_export_dossier" ON "export" ("dossier_id") WHERE "dossier_id" IS NOT NULL;
CREATE INDEX "idx_export_files" ON "export" ("expires_at") WHERE "file_name" IS NOT NULL AND "file_deleted_at" IS NULL;
CREATE INDEX "idx_export_pending" ON "export" ("requested_at") WHERE "status" = 'PENDING';
