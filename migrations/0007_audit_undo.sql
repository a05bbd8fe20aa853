-- 0011 (assigned; renumbered at merge): the audit trail made readable and undoable (`opsdesk log`, `opsdesk undo`, ctrl+z).
-- change_id: the first event of the write transaction that recorded this one (NULL: this
-- event is the first, or the only one), so one user action (a tick and the run it completed,
-- the values of one manual entry) is one change. session: the process (a CLI command, one app
-- session) that made it, so ctrl+z takes back the session's own last change. undoes: the
-- change (its first event's id) that this event took back.
ALTER TABLE audit_events ADD COLUMN change_id INTEGER;
ALTER TABLE audit_events ADD COLUMN session TEXT;
ALTER TABLE audit_events ADD COLUMN undoes INTEGER;
CREATE INDEX audit_by_actor ON audit_events (actor, id);
CREATE INDEX audit_by_session ON audit_events (session, id) WHERE session IS NOT NULL;
CREATE INDEX audit_by_change ON audit_events (change_id) WHERE change_id IS NOT NULL;
CREATE INDEX audit_by_undoes ON audit_events (undoes) WHERE undoes IS NOT NULL;
