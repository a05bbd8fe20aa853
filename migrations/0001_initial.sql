-- 0001: the foundation. Shops, the metric catalogue, daily observations with their imports,
-- targets, alert rules and raised alerts, chart events, store settings and the audit trail.
-- Released migrations are never edited: add 0002_….sql instead.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE shops (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    platform   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- kind 'base' is recorded; kind 'derived' is numerator / denominator, each a linear
-- combination of base metrics (JSON object key -> coefficient), computed as a ratio of sums.
CREATE TABLE metrics (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name_en     TEXT NOT NULL,
    name_zh     TEXT NOT NULL DEFAULT '',
    unit        TEXT NOT NULL,
    direction   TEXT CHECK (direction IN ('up', 'down')),
    aggregation TEXT NOT NULL DEFAULT 'sum' CHECK (aggregation IN ('sum', 'last')),
    kind        TEXT NOT NULL CHECK (kind IN ('base', 'derived')),
    formula     TEXT,
    aliases     TEXT NOT NULL DEFAULT '[]',
    description TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT 'catalogue'
);

CREATE TABLE imports (
    id             INTEGER PRIMARY KEY,
    file_name      TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    shape          TEXT NOT NULL,
    imported_at    TEXT NOT NULL,
    imported_by    TEXT NOT NULL,
    rows_new       INTEGER NOT NULL DEFAULT 0,
    rows_changed   INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    undone_at      TEXT,
    undone_by      TEXT
);

-- One value of a base metric for a shop on a day. import_id is NULL for manual entry.
CREATE TABLE observations (
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    metric_id  INTEGER NOT NULL REFERENCES metrics (id),
    day        TEXT NOT NULL,
    value      REAL NOT NULL,
    import_id  INTEGER REFERENCES imports (id),
    PRIMARY KEY (shop_id, metric_id, day)
) WITHOUT ROWID;
CREATE INDEX observations_by_day ON observations (day, shop_id);

-- The values an import replaced (old_value NULL: the row was new), so it can be undone.
CREATE TABLE import_changes (
    import_id     INTEGER NOT NULL REFERENCES imports (id),
    shop_id       INTEGER NOT NULL,
    metric_id     INTEGER NOT NULL,
    day           TEXT NOT NULL,
    old_value     REAL,
    old_import_id INTEGER,
    PRIMARY KEY (import_id, shop_id, metric_id, day)
) WITHOUT ROWID;

-- shop_id NULL: every shop. valid_from/valid_to NULL: open-ended. value and amber are in the
-- metric's unit (ratios as fractions); for summed metrics the value is per day.
CREATE TABLE targets (
    id         INTEGER PRIMARY KEY,
    metric_id  INTEGER NOT NULL REFERENCES metrics (id),
    shop_id    INTEGER REFERENCES shops (id),
    valid_from TEXT,
    valid_to   TEXT,
    value      REAL NOT NULL,
    amber      REAL NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX targets_by_metric ON targets (metric_id, shop_id);

-- kind: target (outside the target / amber band), drop / rise (relative change against a
-- baseline), stale (no data for the day). metric_id NULL only for stale.
CREATE TABLE alert_rules (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,
    metric_id INTEGER REFERENCES metrics (id),
    shop_id   INTEGER REFERENCES shops (id),
    kind      TEXT NOT NULL CHECK (kind IN ('target', 'drop', 'rise', 'stale')),
    baseline  TEXT CHECK (baseline IN ('previous_day', 'same_weekday', 'mean_7d')),
    threshold REAL,
    severity  TEXT NOT NULL DEFAULT 'warning' CHECK (severity IN ('warning', 'red')),
    enabled   INTEGER NOT NULL DEFAULT 1,
    description TEXT NOT NULL DEFAULT ''
);

-- Alerts raised for an ops day, kept so that they can be acknowledged.
CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    rule_key   TEXT NOT NULL,
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    metric_key TEXT,
    day        TEXT NOT NULL,
    severity   TEXT NOT NULL,
    message    TEXT NOT NULL,
    value      REAL,
    reference  REAL,
    raised_at  TEXT NOT NULL,
    acked_at   TEXT,
    acked_by   TEXT,
    UNIQUE (rule_key, shop_id, metric_key, day)
);

-- Things that happened, shown as markers on charts (campaigns, incidents, PDCA changes...).
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    shop_id    INTEGER REFERENCES shops (id),
    day        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX events_by_day ON events (day);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    action      TEXT NOT NULL,
    old         TEXT,
    new         TEXT
);
CREATE INDEX audit_by_object ON audit_events (object_type, object_key);
