-- 0024 finding a dossier within its account (D7), postgres. A search looks in one
-- account, but the trigram index held every account's names: a rare name found each
-- account's match through the index and filtered all but one away, so its cost grew with
-- the number of accounts. btree_gin lets the account id and the trigrams share one GIN
-- index, so a search reads only its own account's matches. btree_gin, like pg_trgm, is a
-- trusted extension (PostgreSQL 13 and later): a role with CREATE on the database may
-- create it. The account-less index goes: GIN serves a condition on either column alone.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX "idx_dossier_account_search_trgm" ON "dossier" USING GIN ("account_id", "search_text" gin_trgm_ops);
DROP INDEX IF EXISTS "idx_dossier_search_trgm";
