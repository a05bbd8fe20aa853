-- The risk register: risks scored likelihood x impact (inherent and residual), their key risk
-- indicators (KRIs), the triggers the KRIs raised, reviews (the history of scores), and the
-- checklist runs (contingencies, drills) started for a risk.

-- One risk. status: open, triggered (a KRI fired; a person reviews it), closed.
-- response: avoid, mitigate, transfer, accept (accept needs accept_until).
-- response_level: major (top-level response at once) or general (the team lead decides).
-- edited: set when a person changed the risk, so a later `opsdesk init` never overwrites it.
CREATE TABLE risks (
    id                   INTEGER PRIMARY KEY,
    key                  TEXT NOT NULL UNIQUE,
    title                TEXT NOT NULL,
    category             TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    owner                TEXT NOT NULL,
    likelihood           INTEGER NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact               INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 5),
    residual_likelihood  INTEGER NOT NULL CHECK (residual_likelihood BETWEEN 1 AND 5),
    residual_impact      INTEGER NOT NULL CHECK (residual_impact BETWEEN 1 AND 5),
    response             TEXT NOT NULL
                         CHECK (response IN ('avoid', 'mitigate', 'transfer', 'accept')),
    accept_until         TEXT,
    acceptance_voided_on TEXT,
    mitigation           TEXT NOT NULL DEFAULT '',
    contingency          TEXT NOT NULL DEFAULT '',
    contingency_sop      TEXT,
    response_level       TEXT NOT NULL DEFAULT 'general'
                         CHECK (response_level IN ('major', 'general')),
    review_days          INTEGER NOT NULL CHECK (review_days >= 1),
    next_review          TEXT NOT NULL,
    last_drill           TEXT,
    next_drill           TEXT,
    status               TEXT NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'triggered', 'closed')),
    source               TEXT NOT NULL DEFAULT '',
    edited               INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL
);
CREATE INDEX risks_by_review ON risks (status, next_review);

-- A key risk indicator: a metric rule (kinds above, below, target, drop, rise, stale), per
-- shop (shop_key) or every shop (NULL) or the all-shops total ('all'), optionally for N days
-- in a row. voids_acceptance: a breach voids the risk's acceptance ("accepted while …").
CREATE TABLE risk_kris (
    id               INTEGER PRIMARY KEY,
    risk_id          INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    metric_key       TEXT,
    kind             TEXT NOT NULL
                     CHECK (kind IN ('above', 'below', 'target', 'drop', 'rise', 'stale')),
    threshold        REAL,
    baseline         TEXT,
    days             INTEGER NOT NULL DEFAULT 1 CHECK (days >= 1),
    shop_key         TEXT,
    voids_acceptance INTEGER NOT NULL DEFAULT 0,
    UNIQUE (risk_id, position)
);

-- A KRI breach found by an evaluation: which rule, which shop, which day, the value. One per
-- KRI, shop and day, so evaluating the same day twice triggers once. A KRI removed later
-- leaves its triggers (kri_id NULL): the history stays.
CREATE TABLE risk_triggers (
    id           INTEGER PRIMARY KEY,
    risk_id      INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    kri_id       INTEGER REFERENCES risk_kris (id) ON DELETE SET NULL,
    shop_key     TEXT NOT NULL,
    day          TEXT NOT NULL,
    value        REAL,
    message      TEXT NOT NULL,
    triggered_at TEXT NOT NULL,
    triggered_by TEXT NOT NULL,
    UNIQUE (kri_id, shop_key, day)
);
CREATE INDEX risk_triggers_by_risk ON risk_triggers (risk_id, day);

-- A review or a re-scoring: who, when, old and new scores, the next review date, a note.
-- kind: create (the first score), review, score. The rows are the risk's score history.
CREATE TABLE risk_reviews (
    id                      INTEGER PRIMARY KEY,
    risk_id                 INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    kind                    TEXT NOT NULL CHECK (kind IN ('create', 'review', 'score')),
    at                      TEXT NOT NULL,
    by                      TEXT NOT NULL,
    old_likelihood          INTEGER,
    old_impact              INTEGER,
    old_residual_likelihood INTEGER,
    old_residual_impact     INTEGER,
    likelihood              INTEGER NOT NULL,
    impact                  INTEGER NOT NULL,
    residual_likelihood     INTEGER NOT NULL,
    residual_impact         INTEGER NOT NULL,
    next_review             TEXT NOT NULL,
    note                    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX risk_reviews_by_risk ON risk_reviews (risk_id, id);

-- Checklist runs started for a risk: its contingency SOP or a risk-drill (purpose).
-- A drill's time to respond is its run's completion time minus its start.
CREATE TABLE risk_runs (
    risk_id    INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    run_id     INTEGER NOT NULL REFERENCES sop_runs (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('contingency', 'drill')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (risk_id, run_id)
) WITHOUT ROWID;
