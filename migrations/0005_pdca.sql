-- 0004: PDCA cycles (Plan -> Do -> Check -> Act -> Closed) with their stage history and
-- experiment arms, and the general action items of DOMAIN.md §2 (a cycle, a risk or a weekly
-- review creates them; each row says where it came from).

-- One improvement cycle. shop_id NULL: all shops. version grows with every change, so a
-- screen that read version n can refuse to overwrite a cycle someone else changed since.
-- Days are ISO dates of the store's timezone; *_at are UTC instants.
CREATE TABLE pdca_cycles (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    problem          TEXT NOT NULL DEFAULT '',
    metric_id        INTEGER NOT NULL REFERENCES metrics (id),
    shop_id          INTEGER REFERENCES shops (id),
    alert_id         INTEGER REFERENCES alerts (id),
    parent_id        INTEGER REFERENCES pdca_cycles (id),
    stage            TEXT NOT NULL DEFAULT 'plan'
                     CHECK (stage IN ('plan', 'do', 'check', 'act', 'closed')),
    version          INTEGER NOT NULL DEFAULT 1,
    stage_since      TEXT NOT NULL,
    opened_on        TEXT NOT NULL,
    baseline_start   TEXT NOT NULL,
    baseline_end     TEXT NOT NULL,
    baseline_value   REAL,
    baseline_frozen  INTEGER NOT NULL DEFAULT 0,
    target           REAL,
    root_cause       TEXT NOT NULL DEFAULT '',
    hypothesis       TEXT NOT NULL DEFAULT '',
    plan             TEXT NOT NULL DEFAULT '',
    scope_note       TEXT NOT NULL DEFAULT '',
    owner            TEXT NOT NULL,
    change_date      TEXT,
    change_event_id  INTEGER,
    after_end        TEXT,
    decision         TEXT CHECK (decision IN ('standardise', 'iterate', 'abandon')),
    lesson           TEXT NOT NULL DEFAULT '',
    sop_version_id   INTEGER REFERENCES sop_template_versions (id),
    follow_up_on     TEXT,
    due_plan         TEXT,
    due_do           TEXT,
    due_check        TEXT,
    due_act          TEXT,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL
);
CREATE INDEX pdca_cycles_by_stage ON pdca_cycles (stage, shop_id);
CREATE INDEX pdca_cycles_by_metric ON pdca_cycles (metric_id, shop_id);

-- Every stage change, forward or back (a move back carries its reason).
CREATE TABLE pdca_stage_history (
    id         INTEGER PRIMARY KEY,
    cycle_id   INTEGER NOT NULL REFERENCES pdca_cycles (id),
    from_stage TEXT,
    to_stage   TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL,
    by         TEXT NOT NULL
);
CREATE INDEX pdca_stage_history_by_cycle ON pdca_stage_history (cycle_id, id);

-- An A/B experiment's arms: the metric's own denominator (visitors) and numerator (buyers).
CREATE TABLE pdca_experiment_arms (
    cycle_id    INTEGER NOT NULL REFERENCES pdca_cycles (id),
    arm         TEXT NOT NULL CHECK (arm IN ('A', 'B')),
    label       TEXT NOT NULL DEFAULT '',
    denominator INTEGER NOT NULL CHECK (denominator > 0),
    numerator   INTEGER NOT NULL CHECK (numerator >= 0 AND numerator <= denominator),
    PRIMARY KEY (cycle_id, arm)
) WITHOUT ROWID;

-- The general action item. source_kind + source_id say where it came from ('pdca' + a cycle
-- id; 'risk', 'review', 'alert' later); number is its position within that source (1, 2, …),
-- what `opsdesk pdca action done ID N` names.
CREATE TABLE action_items (
    id          INTEGER PRIMARY KEY,
    source_kind TEXT NOT NULL,
    source_id   INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    text        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    due         TEXT,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    closed_at   TEXT,
    closed_by   TEXT,
    note        TEXT NOT NULL DEFAULT '',
    UNIQUE (source_kind, source_id, number)
);
CREATE INDEX action_items_open ON action_items (status, due);

-- The SOP template version a PDCA cycle standardised into (Act -> standardise).
ALTER TABLE sop_template_versions ADD COLUMN pdca_cycle_id INTEGER REFERENCES pdca_cycles (id);
