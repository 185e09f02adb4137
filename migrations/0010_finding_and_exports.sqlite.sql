-- 0010 finding dossiers and exporting them (SPEC D7, D8), sqlite.
-- `search_text`: the dossier's folded name and reference (domain/dossiers/finding.py); the
-- data step 0010_finding_and_exports.py fills it for existing dossiers. SQLite matches it
-- with LIKE along the account's name index (the embedded default is one practice's size).
ALTER TABLE "dossier" ADD COLUMN "search_text" TEXT NOT NULL DEFAULT '';
CREATE TABLE "export" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "account_id" BIGINT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "format" VARCHAR(8) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "dossier_id" BIGINT,
    "requested_by_user_id" BIGINT NOT NULL,
    "requested_by_email" VARCHAR(254) NOT NULL,
    "includes_shares" INT NOT NULL,
    "includes_access_log" INT NOT NULL,
    "dossier_id_limit" BIGINT,
    "download_key" VARCHAR(64) NOT NULL UNIQUE,
    "file_name" VARCHAR(200),
    "size_bytes" BIGINT,
    "dossier_count" INT,
    "build_lease_until" TIMESTAMP,
    "error" VARCHAR(500),
    "created_at" TIMESTAMP NOT NULL,
    "requested_at" TIMESTAMP NOT NULL,
    "ready_at" TIMESTAMP,
    "expires_at" TIMESTAMP,
    "file_deleted_at" TIMESTAMP
);
CREATE INDEX "idx_export_requester" ON "export" ("requested_by_user_id", "id");
CREATE INDEX "idx_export_dossier" ON "export" ("dossier_id") WHERE "dossier_id" IS NOT NULL;
CREATE INDEX "idx_export_files" ON "export" ("expires_at") WHERE "file_name" IS NOT NULL AND "file_deleted_at" IS NULL;
CREATE INDEX "idx_export_pending" ON "export" ("requested_at") WHERE "status" = 'PENDING';
