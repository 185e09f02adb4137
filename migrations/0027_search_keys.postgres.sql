-- 0027 a search finds a common name's dossiers in name order (D7), postgres. A search
-- walks the account's first SEARCH_WALK names and, when they hold no page of matches,
-- took every match from the trigram index and sorted them: a first name ("Lotte", 1 in
-- 78) clusters in name order beyond the walk, and its matches grow with the account.
-- `dossier_search_key` holds, per dossier, every tail of three characters or more of
-- each word of its `search_text` (cut to 32 characters), with the client's name: every
-- dossier a term matches holds a key starting with the term's longest word
-- (domain/dossiers/finding.py, `SearchTerm.key_range`), and each key's dossiers come
-- from the primary key in name order, so a page reads a page per distinct key, however
-- many dossiers match. A trigger keeps it, so that every way a dossier is written (the
-- domain, a bulk COPY, an erasure) is covered; SQLite has no such table and walks.
CREATE TABLE "dossier_search_key" (
    "account_id" BIGINT NOT NULL,
    "key" TEXT COLLATE "C" NOT NULL,
    "client_name" VARCHAR(200) NOT NULL,
    "dossier_id" BIGINT NOT NULL REFERENCES "dossier" ("id") ON DELETE CASCADE,
    PRIMARY KEY ("account_id", "key", "client_name", "dossier_id")
);
CREATE INDEX "idx_dossier_search_key_dossier" ON "dossier_search_key" ("dossier_id");
CREATE FUNCTION casebook_search_keys(TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE STRICT AS $fn$
SELECT DISTINCT left(substr(word, start), 32)
FROM regexp_split_to_table($1, '\s+') AS word, generate_series(1, length(word) - 2) AS start
$fn$;
CREATE FUNCTION casebook_keep_search_keys() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM "dossier_search_key" WHERE "dossier_id" = OLD."id";
    END IF;
    INSERT INTO "dossier_search_key" ("account_id", "key", "client_name", "dossier_id")
    SELECT NEW."account_id", found.key, NEW."client_name", NEW."id"
    FROM casebook_search_keys(NEW."search_text") AS found(key);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER "dossier_search_keys_on_insert" AFTER INSERT ON "dossier"
FOR EACH ROW EXECUTE FUNCTION casebook_keep_search_keys();
CREATE TRIGGER "dossier_search_keys_on_update" AFTER UPDATE ON "dossier"
FOR EACH ROW WHEN (OLD."search_text" IS DISTINCT FROM NEW."search_text"
                   OR OLD."client_name" IS DISTINCT FROM NEW."client_name"
                   OR OLD."account_id" IS DISTINCT FROM NEW."account_id")
EXECUTE FUNCTION casebook_keep_search_keys();
INSERT INTO "dossier_search_key" ("account_id", "key", "client_name", "dossier_id")
SELECT d."account_id", found.key, d."client_name", d."id"
FROM "dossier" d, casebook_search_keys(d."search_text") AS found(key);
