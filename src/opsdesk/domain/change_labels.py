"""Plain words for a kind of change (an audit event's object type and action): what undo says
it cannot take back ("marking an action item done can't be undone"), short enough for a toast.

One home for these words; the audit log itself keeps the stored type and action.
"""

from __future__ import annotations

LABELS: dict[tuple[str, str], str] = {
    ("action_item", "create"): "adding an action item",
    ("action_item", "done"): "marking an action item done",
    ("action_item", "dropped"): "dropping an action item",
    ("alert", "acknowledge"): "acknowledging an alert",
    ("alert_rule", "create"): "loading an alert rule",
    ("campaign", "create"): "adding a campaign",
    ("change", "undo"): "an undo",
    ("demo", "build"): "building the demo",
    ("demo", "replace"): "rebuilding the demo",
    ("demo_checklists", "build"): "building the demo checklists",
    ("demo_checklists", "replace"): "rebuilding the demo checklists",
    ("import", "undo"): "undoing an import",
    ("meeting", "clear"): "clearing a meeting",
    ("meeting", "create"): "starting a meeting record",
    ("meeting", "decision"): "recording a meeting decision",
    ("meeting", "update"): "editing a meeting record",
    ("metric", "create"): "loading the metric catalogue",
    ("metric", "update"): "loading the metric catalogue",
    ("pdca", "open"): "opening a cycle",
    ("pdca", "act"): "a cycle's Act decision",
    ("pdca", "action"): "adding an action to a cycle",
    ("pdca", "edit"): "this edit of a cycle",
    ("pdca", "experiment_arm"): "recording a cycle's experiment figures",
    ("review_pack", "close"): "closing a weekly review",
    ("review_pack", "reopen"): "reopening a weekly review",
    ("risk", "create"): "adding a risk",
    ("risk", "action"): "adding an action to a risk",
    ("risk", "contingency"): "starting a contingency run",
    ("risk", "drill"): "starting a risk drill",
    ("setting", "set"): "changing a setting",
    ("shop", "create"): "adding a shop",
    ("sop_run", "skip"): "skipping a checklist run",
    ("sop_template", "create"): "loading a checklist template",
    ("sop_template", "new_version"): "loading a checklist template",
    ("target", "delete"): "removing a target",
}
"""The kinds of change undo cannot take back, in plain words."""

NOUNS: dict[str, str] = {
    "action_item": "an action item",
    "alert": "an alert",
    "meeting": "a meeting record",
    "observation": "a KPI value",
    "pdca": "a cycle",
    "review_pack": "a weekly review",
    "risk": "a risk",
    "sop_run": "a checklist run",
    "sop_run_item": "a checklist item",
    "target": "a target",
}

HINTS: dict[tuple[str, str], str] = {
    ("pdca", "open"): "to drop a cycle, close it with decision abandon",
    ("pdca", "act"): "it is final",
    ("pdca", "edit"): "a cycle's field edits and stage moves can be",
}
"""A few words after the refusal where there is another way."""


def change_label(object_type: str, action: str) -> str:
    """`marking an action item done`: the kind of change in plain words."""
    found = LABELS.get((object_type, action))
    if found is not None:
        return found
    noun = NOUNS.get(object_type, "a " + object_type.replace("_", " "))
    return f"this change to {noun}"


def cannot_undo(object_type: str, action: str) -> str:
    """`marking an action item done can't be undone` (with a hint where there is one)."""
    hint = HINTS.get((object_type, action))
    text = f"{change_label(object_type, action)} can't be undone"
    return text if hint is None else f"{text} ({hint})"
