-- 0002 dossiers (postgres). Frozen from the models; change only by a new migration.
CREATE TABLE "active_dossier" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "month" VARCHAR(7) NOT NULL,
    "dossier_id" BIGINT NOT NULL,
    "first_written_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "uid_active_doss_account_acc62c" UNIQUE ("account_id", "month", "dossier_id")
);
CREATE TABLE "active_month" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "month" VARCHAR(7) NOT NULL,
    "count" INT NOT NULL,
    CONSTRAINT "uid_active_mont_account_d9c2ab" UNIQUE ("account_id", "month")
);
CREATE TABLE "dossier" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "client_name" VARCHAR(200) NOT NULL,
    "reference" VARCHAR(100),
    "date_of_birth" DATE,
    "free_fields" JSONB,
    "archived_at" TIMESTAMPTZ,
    "share_count" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "account_id" BIGINT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE
);
CREATE TABLE "dossier_assignment" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "dossier_id" BIGINT NOT NULL REFERENCES "dossier" ("id") ON DELETE CASCADE,
    "membership_id" BIGINT NOT NULL REFERENCES "membership" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_dossier_ass_dossier_9046f6" UNIQUE ("dossier_id", "membership_id")
);
CREATE TABLE "dossier_read" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "dossier_id" BIGINT NOT NULL,
    "user_id" BIGINT NOT NULL,
    "read_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE "entry" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "current_version" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "dossier_id" BIGINT NOT NULL REFERENCES "dossier" ("id") ON DELETE CASCADE
);
CREATE TABLE "entry_revision" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "version" INT NOT NULL,
    "body" TEXT NOT NULL,
    "author_user_id" BIGINT NOT NULL,
    "author_email" VARCHAR(254) NOT NULL,
    "written_at" TIMESTAMPTZ NOT NULL,
    "entry_id" BIGINT NOT NULL REFERENCES "entry" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_entry_revis_entry_i_52101b" UNIQUE ("entry_id", "version")
);
CREATE TABLE "measurement" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT NOT NULL,
    "metric" VARCHAR(100) NOT NULL,
    "value" DECIMAL(18,6) NOT NULL,
    "unit" VARCHAR(32) NOT NULL,
    "measured_at" TIMESTAMPTZ NOT NULL,
    "author_user_id" BIGINT NOT NULL,
    "author_email" VARCHAR(254) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "dossier_id" BIGINT NOT NULL REFERENCES "dossier" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_dossier_account_name" ON "dossier" ("account_id", "client_name", "id");
CREATE INDEX "idx_dossier_assignment_membership" ON "dossier_assignment" ("membership_id");
CREATE INDEX "idx_entry_dossier" ON "entry" ("dossier_id", "id");
CREATE INDEX "idx_measurement_dossier" ON "measurement" ("dossier_id", "measured_at");
CREATE INDEX "idx_dossier_read_account" ON "dossier_read" ("account_id", "dossier_id", "id");
CREATE INDEX "idx_active_dossier_dossier" ON "active_dossier" ("dossier_id");
