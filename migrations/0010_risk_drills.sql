-- 0009: a finished drill is recorded when its run is done, not worked out on every read
-- (h-risks2 was assigned 0008; main already has 0007 and 0008 and the loader refuses gaps).
--
-- risks.drill_days: how often the risk is drilled (default 90: the risk-drill SOP is
-- quarterly); a drill done sets last_drill to its run's day and next_drill to that + drill_days.
-- risk_runs: when the linked run was done, by whom (the login that ticked its last item) and
-- its time to respond (seconds from start to done), stored at that moment; prior_* keep the
-- risk's drill dates from before, so a drill run reopened (an item unticked) puts them back.
ALTER TABLE risks ADD COLUMN drill_days INTEGER NOT NULL DEFAULT 90 CHECK (drill_days >= 1);
ALTER TABLE risk_runs ADD COLUMN completed_at TEXT;
ALTER TABLE risk_runs ADD COLUMN completed_by TEXT;
ALTER TABLE risk_runs ADD COLUMN time_to_respond_s INTEGER;
ALTER TABLE risk_runs ADD COLUMN prior_last_drill TEXT;
ALTER TABLE risk_runs ADD COLUMN prior_next_drill TEXT;

-- Runs already done before this migration: their completion as the checklist recorded it.
UPDATE risk_runs SET
    completed_at = (SELECT r.completed_at FROM sop_runs r WHERE r.id = risk_runs.run_id),
    completed_by = coalesce(
        (SELECT i.changed_by FROM sop_run_items i WHERE i.run_id = risk_runs.run_id
         ORDER BY i.changed_at DESC LIMIT 1),
        risk_runs.created_by),
    time_to_respond_s = (
        SELECT CAST(round((julianday(r.completed_at) - julianday(r.created_at)) * 86400) AS INTEGER)
        FROM sop_runs r WHERE r.id = risk_runs.run_id)
WHERE run_id IN (SELECT id FROM sop_runs WHERE status = 'done' AND completed_at IS NOT NULL);

UPDATE risks SET last_drill = (
    SELECT max(r.run_day) FROM risk_runs l JOIN sop_runs r ON r.id = l.run_id
    WHERE l.risk_id = risks.id AND l.purpose = 'drill' AND l.completed_at IS NOT NULL)
WHERE EXISTS (
    SELECT 1 FROM risk_runs l JOIN sop_runs r ON r.id = l.run_id
    WHERE l.risk_id = risks.id AND l.purpose = 'drill' AND l.completed_at IS NOT NULL
      AND (risks.last_drill IS NULL OR r.run_day > risks.last_drill));

UPDATE risks SET next_drill = date(last_drill, '+' || drill_days || ' days')
WHERE last_drill IS NOT NULL AND (next_drill IS NULL OR next_drill <= last_drill);
