-- 0009 append-only tables refuse TRUNCATE too (postgres; issue 10 item 8). The row triggers
-- of 0001 and 0004 refuse UPDATE and DELETE, but TRUNCATE fires no row trigger: a
-- statement-level trigger refuses it. A session skips triggers only in replica mode
-- (session_replication_role), which only a superuser may set: the test harness does, to
-- empty tables between tests; the application's database role must not be a superuser.
CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event"
FOR EACH STATEMENT EXECUTE FUNCTION casebook_append_only();
CREATE TRIGGER "ledger_line_no_truncate" BEFORE TRUNCATE ON "ledger_line"
FOR EACH STATEMENT EXECUTE FUNCTION casebook_append_only();
