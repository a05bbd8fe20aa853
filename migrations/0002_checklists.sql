-- 0002: SOP checklists. Versioned templates, campaigns, dated runs with their items, and the
-- schedule that says up to which day runs have been created.

-- A template is identified by its key; what it says lives in its versions.
CREATE TABLE sop_templates (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- One version per distinct content (fingerprint). steps is a JSON list of
-- {text, section, by, detail}; cadence, due and by use the text forms of domain/recurrence.
CREATE TABLE sop_template_versions (
    id          INTEGER PRIMARY KEY,
    template_id INTEGER NOT NULL REFERENCES sop_templates (id),
    version     INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    title       TEXT NOT NULL,
    owner       TEXT NOT NULL,
    cadence     TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('shop', 'store')),
    due         TEXT,
    description TEXT NOT NULL DEFAULT '',
    source_ref  TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT '',
    steps       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    UNIQUE (template_id, version)
);

-- Campaign days (618 -> 2026-06-18): campaign templates get one run per campaign.
CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    day        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- Up to which ops day the runs of a template (for a shop; shop_id 0: the store) exist.
CREATE TABLE sop_schedules (
    template_id     INTEGER NOT NULL REFERENCES sop_templates (id),
    shop_id         INTEGER NOT NULL DEFAULT 0,
    ensured_through TEXT NOT NULL,
    PRIMARY KEY (template_id, shop_id)
) WITHOUT ROWID;

-- One dated execution. slot is unique per template, shop, day and campaign, so creating the
-- same run from two sessions at once (INSERT OR IGNORE) yields one row. status: open, done,
-- missed (window closed unfinished), skipped (by a person, with a reason).
CREATE TABLE sop_runs (
    id           INTEGER PRIMARY KEY,
    slot         TEXT NOT NULL UNIQUE,
    template_id  INTEGER NOT NULL REFERENCES sop_templates (id),
    version_id   INTEGER NOT NULL REFERENCES sop_template_versions (id),
    shop_id      INTEGER REFERENCES shops (id),
    campaign_id  INTEGER REFERENCES campaigns (id),
    run_day      TEXT NOT NULL,
    due_at       TEXT,
    closes_on    TEXT,
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'done', 'missed', 'skipped')),
    completed_at TEXT,
    skip_reason  TEXT,
    closed_at    TEXT,
    closed_by    TEXT,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL
);
CREATE INDEX sop_runs_by_day ON sop_runs (run_day, shop_id);
CREATE INDEX sop_runs_by_template ON sop_runs (template_id, run_day);
CREATE INDEX sop_runs_open ON sop_runs (status, closes_on);

-- The steps of a run, copied from its version when the run is created (version pinning).
CREATE TABLE sop_run_items (
    run_id      INTEGER NOT NULL REFERENCES sop_runs (id),
    position    INTEGER NOT NULL,
    section     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    due_at      TEXT,
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'skipped')),
    changed_at  TEXT,
    changed_by  TEXT,
    note        TEXT NOT NULL DEFAULT '',
    skip_reason TEXT,
    PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
