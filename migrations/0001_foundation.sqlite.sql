-- 0001 foundation (sqlite): users, accounts, memberships, invitations, audit log,
-- subscriptions, refresh tokens. Frozen from the models; edit only by a new migration.
CREATE TABLE "account" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "time_zone" VARCHAR(64) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" VARCHAR(254) NOT NULL UNIQUE,
    "name" VARCHAR(200) NOT NULL,
    "password_hash" VARCHAR(255),
    "token_version" INT NOT NULL,
    "is_operator" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE "invitation" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "role" VARCHAR(16),
    "share_id" BIGINT,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMP NOT NULL,
    "accepted_at" TIMESTAMP,
    "revoked_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "account_id" BIGINT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE,
    "invited_by_id" BIGINT REFERENCES "user" ("id") ON DELETE SET NULL
);
CREATE TABLE "membership" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "account_id" BIGINT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE,
    "user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_membership_account_a8d9d0" UNIQUE ("account_id", "user_id")
);
CREATE TABLE "audit_event" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT,
    "actor_user_id" BIGINT,
    "action" VARCHAR(64) NOT NULL,
    "subject" VARCHAR(128),
    "detail" JSON,
    "request_id" VARCHAR(64),
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE "subscription" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "plan_code" VARCHAR(32) NOT NULL,
    "term" VARCHAR(16) NOT NULL,
    "seats" INT NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "anchor_day" INT NOT NULL,
    "period_start" DATE NOT NULL,
    "renews_on" DATE NOT NULL,
    "cancels_on" DATE,
    "negotiated_seat_price" VARCHAR(40),
    "version" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "account_id" BIGINT NOT NULL UNIQUE REFERENCES "account" ("id") ON DELETE CASCADE
);
CREATE TABLE "refresh_token" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "account_id" BIGINT,
    "kind" VARCHAR(16) NOT NULL,
    "family" VARCHAR(36) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "used_at" TIMESTAMP,
    "revoked_at" TIMESTAMP,
    "expires_at" TIMESTAMP NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_refresh_tok_family_00f3ac" ON "refresh_token" ("family");
CREATE UNIQUE INDEX "uq_invitation_pending_teammate" ON "invitation" ("account_id", "email") WHERE "kind" = 'teammate' AND "accepted_at" IS NULL AND "revoked_at" IS NULL;
CREATE INDEX "idx_invitation_email" ON "invitation" ("email");
CREATE INDEX "idx_membership_user" ON "membership" ("user_id");
CREATE INDEX "idx_audit_event_account" ON "audit_event" ("account_id", "id");
CREATE INDEX "idx_refresh_token_user" ON "refresh_token" ("user_id");
CREATE TRIGGER "audit_event_no_update" BEFORE UPDATE ON "audit_event"
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER "audit_event_no_delete" BEFORE DELETE ON "audit_event"
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
