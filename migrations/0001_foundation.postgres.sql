-- 0001 foundation (postgres): users, accounts, memberships, invitations, audit log,
-- subscriptions, refresh tokens. Frozen from the models; edit only by a new migration.
CREATE TABLE "account" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "time_zone" VARCHAR(64) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE "user" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "email" VARCHAR(254) NOT NULL UNIQUE,
    "name" VARCHAR(200) NOT NULL,
    "password_hash" VARCHAR(255),
    "token_version" INT NOT NULL,
    "is_operator" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE "invitation" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "role" VARCHAR(16),
    "share_id" BIGINT,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "accepted_at" TIMESTAMPTZ,
    "revoked_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "account_id" BIGINT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE,
    "invited_by_id" BIGINT REFERENCES "user" ("id") ON DELETE SET NULL
);
CREATE TABLE "membership" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "role" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "account_id" BIGINT NOT NULL REFERENCES "account" ("id") ON DELETE CASCADE,
    "user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_membership_account_a8d9d0" UNIQUE ("account_id", "user_id")
);
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT,
    "actor_user_id" BIGINT,
    "action" VARCHAR(64) NOT NULL,
    "subject" VARCHAR(128),
    "detail" JSONB,
    "request_id" VARCHAR(64),
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE "subscription" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "plan_code" VARCHAR(32) NOT NULL,
    "term" VARCHAR(16) NOT NULL,
    "seats" INT NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "anchor_day" INT NOT NULL,
    "period_start" DATE NOT NULL,
    "renews_on" DATE NOT NULL,
    "cancels_on" DATE,
    "negotiated_seat_price" DECIMAL(12,2),
    "version" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "account_id" BIGINT NOT NULL UNIQUE REFERENCES "account" ("id") ON DELETE CASCADE
);
CREATE TABLE "refresh_token" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "account_id" BIGINT,
    "kind" VARCHAR(16) NOT NULL,
    "family" VARCHAR(36) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "used_at" TIMESTAMPTZ,
    "revoked_at" TIMESTAMPTZ,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_refresh_tok_family_00f3ac" ON "refresh_token" ("family");
CREATE UNIQUE INDEX "uq_invitation_pending_teammate" ON "invitation" ("account_id", "email") WHERE "kind" = 'teammate' AND "accepted_at" IS NULL AND "revoked_at" IS NULL;
CREATE INDEX "idx_invitation_email" ON "invitation" ("email");
CREATE INDEX "idx_membership_user" ON "membership" ("user_id");
CREATE INDEX "idx_audit_event_account" ON "audit_event" ("account_id", "id");
CREATE INDEX "idx_refresh_token_user" ON "refresh_token" ("user_id");
CREATE FUNCTION casebook_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END;
$fn$;
CREATE TRIGGER "audit_event_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_event"
FOR EACH ROW EXECUTE FUNCTION casebook_append_only();
