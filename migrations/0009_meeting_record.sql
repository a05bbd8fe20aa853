-- The meeting record, completed: "clear the rest" on a review is stored (who cleared every
-- metric that is not an exception, and when), so the closed review and its pack show it.
-- Stand-ups use the same meetings table (kind 'standup', period = the ops day) and their
-- action items the general action_items table (source_kind 'standup').
ALTER TABLE meetings ADD COLUMN cleared_by TEXT;
ALTER TABLE meetings ADD COLUMN cleared_at TEXT;
