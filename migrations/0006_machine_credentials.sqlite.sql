-- 0006 machine credentials for partner systems (T4), sqlite.
CREATE TABLE "machine_credential" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "client_id" VARCHAR(64) NOT NULL UNIQUE,
    "secret_hash" VARCHAR(64) NOT NULL,
    "scopes" VARCHAR(255) NOT NULL,
    "created_by_user_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    "rotated_at" TIMESTAMP,
    "revoked_at" TIMESTAMP,
    "service_user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_machine_credential_account" ON "machine_credential" ("account_id");
CREATE INDEX "idx_machine_credential_user" ON "machine_credential" ("service_user_id");
