-- 0008 identity (SPEC I1–I5), postgres: proven addresses, mailed one-time tokens,
-- sessions (a sign-in = a refresh-token family), two-factor sign-in, the account's
-- two-factor policy. See docs/identity.md for every rule and number.
ALTER TABLE "user" ADD COLUMN "email_verified_at" TIMESTAMPTZ;
ALTER TABLE "user" ADD COLUMN "totp_secret" TEXT;
ALTER TABLE "user" ADD COLUMN "totp_pending_secret" TEXT;
ALTER TABLE "user" ADD COLUMN "totp_enabled_at" TIMESTAMPTZ;
ALTER TABLE "user" ADD COLUMN "totp_last_step" BIGINT;
ALTER TABLE "account" ADD COLUMN "require_two_factor" BOOL NOT NULL DEFAULT FALSE;
CREATE TABLE "identity_token" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "purpose" VARCHAR(16) NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "previous_email" VARCHAR(254),
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_identity_token_user" ON "identity_token" ("user_id", "purpose");
CREATE TABLE "user_session" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "family" VARCHAR(36) NOT NULL UNIQUE,
    "client" VARCHAR(120),
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "ended_at" TIMESTAMPTZ,
    "user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_user_session_user" ON "user_session" ("user_id") WHERE "ended_at" IS NULL;
CREATE TABLE "recovery_code" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "code_hash" VARCHAR(64) NOT NULL,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" BIGINT NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "uq_recovery_code_user_hash" ON "recovery_code" ("user_id", "code_hash");
-- Existing logins (docs/identity.md "Existing users"): an address counts as proven only
-- where a mailed token already proved it (an accepted invitation to that address), and
-- for operators, whom the deployer created. Everyone else proves it again.
UPDATE "user" SET "email_verified_at" = (
    SELECT MIN(i."accepted_at") FROM "invitation" i WHERE i."email" = "user"."email" AND i."accepted_at" IS NOT NULL)
WHERE "email_verified_at" IS NULL;
UPDATE "user" SET "email_verified_at" = "created_at" WHERE "is_operator" = TRUE AND "email_verified_at" IS NULL;
-- Shares that went to a login without proof go back to waiting for it (I1); they come
-- back when the address is proven.
UPDATE "share" SET "user_id" = NULL, "status" = CASE WHEN "status" = 'ACTIVE' THEN 'PENDING' ELSE "status" END
WHERE "revoked_at" IS NULL AND "user_id" IN (SELECT "id" FROM "user" WHERE "email_verified_at" IS NULL);
-- G2/G3 now trust a paid status only for a proven address: an unproven teammate is
-- counted like a guest. Their live shares past the three oldest are suspended (G5),
-- and their quota row holds min(live, 3).
UPDATE "share" SET "status" = 'SUSPENDED' WHERE "id" IN (
    SELECT "id" FROM (
        SELECT s."id", ROW_NUMBER() OVER (PARTITION BY s."email" ORDER BY s."created_at", s."id") AS "n"
        FROM "share" s
        WHERE s."revoked_at" IS NULL AND s."email" IN (
            SELECT u."email" FROM "user" u JOIN "membership" m ON m."user_id" = u."id"
            WHERE u."email_verified_at" IS NULL)
    ) ranked WHERE ranked."n" > 3);
INSERT INTO "guest_quota" ("email", "held")
SELECT DISTINCT s."email", 0 FROM "share" s WHERE s."revoked_at" IS NULL
ON CONFLICT ("email") DO NOTHING;
UPDATE "guest_quota" SET "held" = (
    SELECT LEAST(COUNT(*), 3) FROM "share" s WHERE s."email" = "guest_quota"."email" AND s."revoked_at" IS NULL)
WHERE "email" IN (
    SELECT u."email" FROM "user" u JOIN "membership" m ON m."user_id" = u."id" WHERE u."email_verified_at" IS NULL);
-- Every live refresh-token family becomes a session, so signed-in people stay signed in
-- (their next refresh carries a session id; older access tokens have none and are refused).
INSERT INTO "user_session" ("family", "user_id", "created_at", "last_used_at", "expires_at")
SELECT "family", MIN("user_id"), MIN("created_at"), MAX("created_at"), MAX("expires_at")
FROM "refresh_token" WHERE "revoked_at" IS NULL GROUP BY "family";
