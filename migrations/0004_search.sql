-- 0004: full-text search over what people write (checklist notes and skip reasons, risks'
-- title, description, mitigation and contingency, risk review notes; later migrations add
-- PDCA and weekly-review texts). search_docs holds one row per text and the
-- object it belongs to; search_fts is an FTS5 index over it with the trigram tokenizer, so
-- Chinese (which has no spaces) matches any substring of three characters or more. Shorter
-- queries scan search_docs with LIKE. The triggers and backfill of each source are generated
-- from its registration in opsdesk.store.search_sources: the line below names them and
-- expands, when the migration runs, to exactly the SQL this file held when it was released
-- (a test pins its digest).

CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   NOT NULL,
    part        NOT NULL DEFAULT '',
    who         TEXT,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL,
    audit_key   TEXT,
    UNIQUE (source, object_id, part)
);
CREATE INDEX search_docs_by_audit ON search_docs (audit_key) WHERE audit_key IS NOT NULL;
CREATE INDEX search_docs_by_at ON search_docs (at);

CREATE VIRTUAL TABLE search_fts USING fts5(
    body, content = 'search_docs', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE OF body ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;

-- Who wrote a text and when, from the audit event recorded with the write (for sources whose
-- rows do not say who changed them).
CREATE TRIGGER search_docs_who AFTER INSERT ON audit_events BEGIN
    UPDATE search_docs SET who = new.actor, at = new.at
    WHERE audit_key = new.object_type || ':' || new.object_key || ':' || new.action;
END;

-- @search-sources: checklist_note checklist_item_skip checklist_run_skip risk_title risk_description risk_mitigation risk_contingency risk_review_note
