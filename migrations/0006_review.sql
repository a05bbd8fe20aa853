-- The weekly review: meetings (reviews and stand-ups) with attendees, notes and decisions;
-- owners' notes on a metric, shop and week; and the frozen review packs.
-- Action items live in the general action_items table (source_kind 'review', source_id =
-- the meeting's id).

-- One meeting. kind: review (period = ISO week key, e.g. 2026-W47) or standup (period = the
-- day, 2026-11-23). attendees: logins separated by commas. version: bumped on every change,
-- so a second editor sees the other's change instead of overwriting it.
CREATE TABLE meetings (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('review', 'standup')),
    period     TEXT NOT NULL,
    held_on    TEXT NOT NULL,
    attendees  TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (kind, period)
);

-- A decision taken at a meeting, numbered within it.
CREATE TABLE meeting_decisions (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    number     INTEGER NOT NULL,
    text       TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    UNIQUE (meeting_id, number)
);

-- An owner's note on a metric for a shop ('all' = all shops) and an ISO week: why it moved,
-- or investigating = 1 (the note may then be empty). Searchable text: note.
CREATE TABLE metric_notes (
    id            INTEGER PRIMARY KEY,
    metric_key    TEXT NOT NULL,
    shop_key      TEXT NOT NULL,
    week          TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    investigating INTEGER NOT NULL DEFAULT 0 CHECK (investigating IN (0, 1)),
    written_by    TEXT NOT NULL,
    written_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (metric_key, shop_key, week)
);
CREATE INDEX metric_notes_week ON metric_notes (week);

-- A closed (frozen) review: the pack's JSON payload as it was at closing and its SHA-256.
-- A reopened review keeps its row (reopened_at/by set); closing again adds a new row.
CREATE TABLE review_packs (
    id          INTEGER PRIMARY KEY,
    week        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    closed_at   TEXT NOT NULL,
    closed_by   TEXT NOT NULL,
    reopened_at TEXT,
    reopened_by TEXT
);
CREATE UNIQUE INDEX review_packs_open ON review_packs (week) WHERE reopened_at IS NULL;
