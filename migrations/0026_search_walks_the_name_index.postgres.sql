-- 0026 a search walks the name index alone (D7), postgres. A search first walks the
-- account's names in order (domain/dossiers/access.py, `_own_search_half`); each name
-- read a table row for its search text, one random page per name, and at ten times the
-- data those pages were no longer in memory. The name index now carries what a search
-- filters on (INCLUDE: archived_at, search_text), so the walk reads index pages in
-- order and no table rows. Same key columns and name: every other use stays as it was.
DROP INDEX "idx_dossier_account_name";
CREATE INDEX "idx_dossier_account_name" ON "dossier" ("account_id", "client_name", "id")
    INCLUDE ("archived_at", "search_text");
