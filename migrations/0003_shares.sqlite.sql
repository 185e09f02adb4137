-- 0003 shares (sqlite). Frozen from the models; change only by a new migration.
CREATE TABLE "guest_quota" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" VARCHAR(254) NOT NULL UNIQUE,
    "held" INT NOT NULL
);
CREATE TABLE "share" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "user_id" BIGINT,
    "access" VARCHAR(16) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    "revoked_at" TIMESTAMP,
    "dossier_id" BIGINT NOT NULL REFERENCES "dossier" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "uq_share_live_dossier_email" ON "share" ("dossier_id", "email") WHERE "revoked_at" IS NULL;
CREATE INDEX "idx_share_email" ON "share" ("email", "created_at", "id");
CREATE INDEX "idx_share_user" ON "share" ("user_id");
CREATE INDEX "idx_share_dossier" ON "share" ("dossier_id", "id");
