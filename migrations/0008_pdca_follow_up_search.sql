-- 0007: the follow-up check of a standardised PDCA cycle (did the gain hold?), confirmed by a
-- person from the computed comparison; and full-text search over the PDCA texts (a cycle's
-- fields, lesson and follow-up note, the reasons of its stage moves), action items (text and
-- drop note) and the weekly review (meeting notes, decisions, owners' metric notes).

-- follow_up_result: 'held' or 'lost', set when someone confirms the follow-up check;
-- follow_up_value: the metric over the follow-up window then (frozen with the result).
ALTER TABLE pdca_cycles ADD COLUMN follow_up_result TEXT
    CHECK (follow_up_result IN ('held', 'lost'));
ALTER TABLE pdca_cycles ADD COLUMN follow_up_value REAL;
ALTER TABLE pdca_cycles ADD COLUMN follow_up_note TEXT NOT NULL DEFAULT '';
ALTER TABLE pdca_cycles ADD COLUMN follow_up_at TEXT;
ALTER TABLE pdca_cycles ADD COLUMN follow_up_by TEXT;

-- @search-sources: pdca_title pdca_problem pdca_root_cause pdca_hypothesis pdca_plan pdca_scope_note pdca_lesson pdca_follow_up_note pdca_stage_reason action_text action_note meeting_notes meeting_decision metric_note
