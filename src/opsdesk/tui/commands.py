"""The one command registry: bindings, footer, command palette, help screen and README table.

Each `Command` has an id (also the Textual binding id, so the config file's `[keys]` table
remaps it), a default key, a title, a help line, the action it runs and its scope: "app"
commands work everywhere; the others belong to one area's screen. Screens take their
`BINDINGS` from `bindings(scope)`; the palette and the help screen list `available(scope)`;
`keys_table()` renders the README's keys table (a test checks the README matches it).
Textual is imported only by `bindings()`, so the ids can be checked without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.binding import BindingType

APP = "app"
STANDUP = "standup"
EXPLORER = "explorer"
ENTRY = "entry"
CHECKLISTS = "checklists"
CHECKLIST_RUN = "checklist_run"
PDCA = "pdca"
PDCA_CYCLE = "pdca_cycle"
RISKS = "risks"
RISK = "risk"
UNSAVED = "unsaved"
REVIEW = "review"
MEETING = "meeting"
HISTORY = "history"
CONFLICT = "conflict"
SCOPE_TITLES = {
    APP: "Everywhere",
    STANDUP: "Stand-up",
    EXPLORER: "KPI explorer",
    ENTRY: "Manual entry",
    CHECKLISTS: "Checklists",
    CHECKLIST_RUN: "Checklist run",
    PDCA: "PDCA board",
    PDCA_CYCLE: "PDCA cycle",
    RISKS: "Risk register",
    RISK: "Risk",
    UNSAVED: "Unsaved values dialog",
    REVIEW: "Weekly review",
    MEETING: "Stand-up meeting",
    HISTORY: "History",
    CONFLICT: "Edit conflict dialog",
}


@dataclass(frozen=True)
class Command:
    id: str
    key: str
    title: str
    help: str
    action: str
    scope: str
    show: bool = True
    """Shown in the footer (every command is in the palette and the help screen)."""
    priority: bool = False
    """Fires even when a text field has focus (only for ctrl/function keys)."""
    label: str = ""
    """A shorter title for the footer (default: the title)."""
    pinned: bool = False
    """Kept at the right end of the key bar however narrow the terminal (help, quit)."""


COMMANDS: tuple[Command, ...] = (
    Command(
        "area.standup",
        "1",
        "Stand-up",
        "Yesterday's KPIs, alerts and sections",
        "app.switch_area('standup')",
        APP,
    ),
    Command(
        "area.explorer",
        "2",
        "KPI explorer",
        "Trend charts of one metric per shop",
        "app.switch_area('explorer')",
        APP,
        label="Explorer",
    ),
    Command(
        "area.entry",
        "3",
        "Manual entry",
        "Type in a day's base metrics for a shop",
        "app.switch_area('entry')",
        APP,
        label="Entry",
    ),
    Command(
        "area.checklists",
        "4",
        "Checklists",
        "Today's SOP checklist runs, ticking, and each template's history",
        "app.switch_area('checklists')",
        APP,
    ),
    Command(
        "area.pdca",
        "5",
        "PDCA board",
        "Improvement cycles by stage: Plan, Do, Check, Act, Closed",
        "app.switch_area('pdca')",
        APP,
        label="PDCA",
    ),
    Command(
        "area.risks",
        "6",
        "Risk register",
        "The risk heat map (5x5) and the register table",
        "app.switch_area('risks')",
        APP,
        label="Risks",
    ),
    Command(
        "area.review",
        "7",
        "Weekly review",
        "Walk the week's review: deck, exceptions, decisions and actions",
        "app.switch_area('review')",
        APP,
        show=False,  # in the palette, help and README; the key bar is full at 80 columns
    ),
    Command(
        "app.search",
        "slash",
        "Search",
        "Search what people wrote (notes, skip reasons…); enter opens it",
        "app.search",
        APP,
        show=False,
    ),
    Command(
        "app.tick_today",
        "t",
        "Tick today's checklist",
        "Open today's first checklist run to tick (your role's first), then space ticks",
        "app.tick_today",
        APP,
        label="Tick",
    ),
    Command(
        "app.help",
        "f1",
        "Help",
        "Every command with its key",
        "app.show_help",
        APP,
        priority=True,
        pinned=True,
    ),
    Command(
        "app.palette",
        "ctrl+p",
        "Command palette",
        "Search and run any command",
        "app.command_palette",
        APP,
        show=False,
        priority=True,
    ),
    Command(
        "app.refresh",
        "f5",
        "Refresh",
        "Reload the screen's data from the store",
        "app.refresh_data",
        APP,
        show=False,
        priority=True,
    ),
    Command(
        "app.theme",
        "f9",
        "Toggle theme",
        "Switch between the dark and the light theme",
        "app.toggle_theme",
        APP,
        show=False,
        priority=True,
    ),
    Command(
        "app.quit",
        "ctrl+q",
        "Quit",
        "Leave opsdesk (asks first if typed values are not saved)",
        "app.quit",
        APP,
        priority=True,
        pinned=True,
    ),
    Command(
        "standup.next_shop",
        "n",
        "Next shop",
        "Show the next shop (all shops first)",
        "next_shop",
        STANDUP,
        label="Shop",
    ),
    Command(
        "standup.previous_shop",
        "p",
        "Previous shop",
        "Show the previous shop",
        "previous_shop",
        STANDUP,
        show=False,
    ),
    Command(
        "standup.grid",
        "g",
        "Shops × KPIs grid",
        "Every shop's status and value per KPI side by side: which shop makes a KPI red",
        "toggle_grid",
        STANDUP,
        label="Grid",
    ),
    Command(
        "standup.ack",
        "a",
        "Acknowledge alert",
        "Acknowledge the alert under the cursor in the alerts table",
        "acknowledge",
        STANDUP,
        show=False,  # the alerts' title says it: "a: acknowledge"
        label="Ack",
    ),
    Command(
        "standup.explore",
        "e",
        "Explore metric",
        "Open the KPI explorer on the metric under the cursor",
        "explore",
        STANDUP,
        label="Explore",
    ),
    Command(
        "standup.enter",
        "m",
        "Enter values",
        "Type in the day's values for this shop",
        "enter_values",
        STANDUP,
        label="Enter",
    ),
    Command(
        "standup.open_cycle",
        "o",
        "Open a PDCA cycle",
        "Open a PDCA cycle for the alert under the cursor (metric, shop and baseline filled in)",
        "open_cycle",
        STANDUP,
        label="Cycle",
    ),
    Command(
        "explorer.filter",
        "f",
        "Filter metrics",
        "Type to filter the metric list",
        "focus_filter",
        EXPLORER,
    ),
    Command(
        "explorer.leave_filter",
        "escape",
        "Leave the filter",
        "Back to the metric list, so that 1/2/3 and the letters work again",
        "leave_filter",
        EXPLORER,
        show=False,
    ),
    Command(
        "explorer.next_shop",
        "s",
        "Next shop",
        "Chart the next shop",
        "next_shop",
        EXPLORER,
        label="Shop",
    ),
    Command(
        "explorer.grain",
        "g",
        "Day/week/month",
        "Chart by day, week or month (cycles)",
        "cycle_grain",
        EXPLORER,
    ),
    Command(
        "explorer.compare",
        "c",
        "Compare shops",
        "All shops on one chart (or one again)",
        "toggle_compare",
        EXPLORER,
    ),
    Command(
        "explorer.open_cycle",
        "o",
        "Open a PDCA cycle",
        "A new PDCA cycle on the metric and shop shown: type its title",
        "open_cycle",
        EXPLORER,
        label="Cycle",
    ),
    Command(
        "entry.leave_field",
        "escape",
        "Leave the field",
        "Leave the text field, so that 1/2/3 switch areas again",
        "leave_field",
        ENTRY,
        show=False,
    ),
    Command(
        "entry.next_field",
        "tab,down",
        "Next field",
        "Move to the next metric (Enter also does, after typing)",
        "move_field(1)",
        ENTRY,
        show=False,
    ),
    Command(
        "entry.previous_field",
        "shift+tab,up",
        "Previous field",
        "Move to the metric above",
        "move_field(-1)",
        ENTRY,
        show=False,
    ),
    Command(
        "entry.save",
        "ctrl+s",
        "Save",
        "Save the changed values (each one audited)",
        "save",
        ENTRY,
        priority=True,
    ),
    Command(
        "entry.next_shop",
        "ctrl+n",
        "Next shop",
        "Enter values for the next shop",
        "next_shop",
        ENTRY,
        priority=True,
        label="Shop",
    ),
    Command(
        "entry.previous_day",
        "ctrl+left",
        "Day before",
        "Enter values for the day before",
        "shift_day(-1)",
        ENTRY,
        priority=True,
    ),
    Command(
        "entry.next_day",
        "ctrl+right",
        "Day after",
        "Enter values for the day after",
        "shift_day(1)",
        ENTRY,
        priority=True,
    ),
    Command(
        "checklists.open",
        "enter",
        "Open run",
        "Open the run under the cursor to tick its items",
        "open_run",
        CHECKLISTS,
    ),
    Command(
        "run.toggle",
        "space",
        "Tick / untick",
        "Tick the item under the cursor (or untick it); who and when are recorded",
        "toggle_item",
        CHECKLIST_RUN,
        label="Tick",
    ),
    Command(
        "run.skip",
        "s",
        "Skip item",
        "Skip the item under the cursor, with a reason",
        "skip_item",
        CHECKLIST_RUN,
        label="Skip",
    ),
    Command(
        "run.note",
        "n",
        "Note",
        "Write a note on the item under the cursor",
        "note_item",
        CHECKLIST_RUN,
    ),
    Command(
        "run.back",
        "escape",
        "Back",
        "Back to the list of today's checklists",
        "back",
        CHECKLIST_RUN,
    ),
)

COMMANDS += (
    Command(
        "pdca.open", "enter", "Open cycle", "Open the cycle under the cursor", "open_cycle", PDCA
    ),
    Command(
        "pdca.new",
        "c",
        "New cycle",
        "A new cycle at Plan on the explorer's metric and shop: type its title",
        "new_cycle",
        PDCA,
        label="New",
    ),
    Command(
        "pdca.filter_shop",
        "s",
        "Filter by shop",
        "Show one shop's cycles (cycles through the shops, then all)",
        "filter('shop')",
        PDCA,
        label="Shop",
    ),
    Command(
        "pdca.filter_owner",
        "o",
        "Filter by owner",
        "Show one owner's cycles (cycles through the owners, then all)",
        "filter('owner')",
        PDCA,
        label="Owner",
    ),
    Command(
        "pdca.filter_metric",
        "m",
        "Filter by metric",
        "Show one metric's cycles (cycles through the metrics, then all)",
        "filter('metric')",
        PDCA,
        label="Metric",
    ),
    Command(
        "pdca.clear_filters", "x", "Clear filters", "Show every cycle again", "clear_filters", PDCA
    ),
    Command(
        "cycle.edit",
        "enter",
        "Edit field",
        "Edit the field under the cursor (Tab to the action items)",
        "edit_field",
        PDCA_CYCLE,
        label="Edit",
    ),
    Command(
        "cycle.add_action",
        "a",
        "Add action",
        "Add an action item: its text, then optionally @owner and a due date YYYY-MM-DD",
        "add_action",
        PDCA_CYCLE,
        label="Action",
    ),
    Command(
        "cycle.action_done",
        "space",
        "Action done",
        "Mark the action item under the cursor done",
        "close_action('done')",
        PDCA_CYCLE,
        label="Done",
    ),
    Command(
        "cycle.action_drop",
        "d",
        "Drop action",
        "Drop the action item under the cursor (it stays listed)",
        "close_action('dropped')",
        PDCA_CYCLE,
        show=False,
    ),
    Command(
        "cycle.forward",
        "greater_than_sign",
        "Next stage",
        "Move to the next stage through its gate (at Act: close with the decision and lesson)",
        "forward",
        PDCA_CYCLE,
        label="Stage",
    ),
    Command(
        "cycle.back_stage",
        "less_than_sign",
        "Stage back",
        "Move back a stage, with a reason",
        "back_stage",
        PDCA_CYCLE,
        show=False,
    ),
    Command(
        "cycle.follow_up",
        "f",
        "Follow-up",
        "Confirm a standard's follow-up check: the gain held or was lost, and a note",
        "confirm_follow_up",
        PDCA_CYCLE,
        show=False,
    ),
    Command(
        "cycle.back", "escape", "Back", "Back to where the cycle was opened", "back", PDCA_CYCLE
    ),
)
RISK_COMMANDS: tuple[Command, ...] = (
    Command(
        "risks.toggle",
        "r",
        "Inherent/residual",
        "Show the heat map and scores before (inherent) or after (residual) mitigation",
        "toggle_residual",
        RISKS,
        label="Residual",
    ),
    Command(
        "risks.sort",
        "o",
        "Sort",
        "Sort the register by score, level, next review or owner (cycles)",
        "cycle_sort",
        RISKS,
    ),
    Command(
        "risks.filter",
        "f",
        "Filter",
        "Filter the register: words, category:C, owner:LOGIN, status:S, due",
        "focus_filter",
        RISKS,
    ),
    Command(
        "risks.leave_filter",
        "escape",
        "Leave the filter",
        "Back to the heat map, so that the letters and 1-7 work again",
        "leave_filter",
        RISKS,
        show=False,
    ),
    Command(
        "risks.open",
        "enter",
        "Open risk",
        "Open the risk under the cursor (on the heat map: the first of its cell's list)",
        "open_risk",
        RISKS,
        label="Open",
    ),
    Command(
        "risk.edit",
        "enter",
        "Edit field",
        "Change the field under the cursor (checked like a file; audited)",
        "edit_field",
        RISK,
        label="Edit",
    ),
    Command(
        "risk.review",
        "v",
        "Review",
        "Record a review: a note and the next review date",
        "review",
        RISK,
    ),
    Command(
        "risk.contingency",
        "c",
        "Contingency",
        "Start the risk's contingency SOP as a checklist run linked to it",
        "contingency",
        RISK,
    ),
    Command(
        "risk.drill",
        "d",
        "Drill",
        "Start a risk-drill checklist run linked to the risk",
        "drill",
        RISK,
    ),
    Command(
        "risk.tick_run",
        "l",
        "Linked run",
        "Open the risk's latest open contingency or drill run to tick it (a drill done sets"
        " the last and next drill)",
        "tick_run",
        RISK,
    ),
    Command(
        "risk.back",
        "escape",
        "Back",
        "Back to the risk register",
        "back",
        RISK,
    ),
)
COMMANDS = COMMANDS + RISK_COMMANDS

UNSAVED_COMMANDS: tuple[Command, ...] = (
    Command(
        "unsaved.save",
        "s",
        "Save",
        "Save the typed values, then go on",
        "choose('save')",
        UNSAVED,
    ),
    Command(
        "unsaved.discard",
        "d",
        "Discard",
        "Drop the typed values, then go on",
        "choose('discard')",
        UNSAVED,
    ),
    Command(
        "unsaved.stay",
        "escape",
        "Stay",
        "Stay on the entry form with the typed values",
        "choose('stay')",
        UNSAVED,
    ),
)
COMMANDS = COMMANDS + UNSAVED_COMMANDS
REVIEW_COMMANDS: tuple[Command, ...] = (
    Command(
        "review.next_item",
        "tab",
        "Next item",
        "Walk to the next item of the agenda",
        "next_item",
        REVIEW,
        label="Next",
    ),
    Command(
        "review.previous_item",
        "shift+tab",
        "Previous item",
        "Back to the item before",
        "previous_item",
        REVIEW,
        show=False,
    ),
    Command(
        "review.expand",
        "enter",
        "Expand",
        "Expand the item under the cursor (or fold it again)",
        "toggle_expand",
        REVIEW,
    ),
    Command(
        "review.note",
        "n",
        "Note",
        "The owner's note on the exception under the cursor: why it moved",
        "write_note",
        REVIEW,
    ),
    Command(
        "review.investigating",
        "i",
        "Investigating",
        "Mark the exception under the cursor 'investigating'",
        "mark_investigating",
        REVIEW,
        show=False,
    ),
    Command(
        "review.clear_rest",
        "c",
        "Clear the rest",
        "Every metric that is not an exception: nothing to see here; on to the next section",
        "clear_rest",
        REVIEW,
        label="Clear",
    ),
    Command(
        "review.decide",
        "d",
        "Decision",
        "Record a decision of this review",
        "write_decision",
        REVIEW,
    ),
    Command(
        "review.attendees",
        "t",
        "Attendees",
        "Who attends: logins separated by spaces (those seen in the store are offered)",
        "write_attendees",
        REVIEW,
        show=False,
    ),
    Command(
        "review.action",
        "a",
        "Action",
        "A new action item: what to do @owner YYYY-MM-DD (due)",
        "write_action",
        REVIEW,
        show=False,
    ),
    Command(
        "review.action_done",
        "space",
        "Action done",
        "On the action items: mark an open one done (its key typed, the first offered)",
        "action_done",
        REVIEW,
        show=False,
    ),
    Command(
        "review.action_drop",
        "x",
        "Drop action",
        "On the action items: drop an open one, saying why (its key, then the reason)",
        "action_drop",
        REVIEW,
        show=False,
    ),
    Command(
        "review.previous_week",
        "left_square_bracket",
        "Week before",
        "Review the week before",
        "previous_week",
        REVIEW,
        show=False,
    ),
    Command(
        "review.next_week",
        "right_square_bracket",
        "Week after",
        "Review the week after (up to the last complete week)",
        "next_week",
        REVIEW,
        show=False,
    ),
    Command(
        "review.close",
        "ctrl+s",
        "Close review",
        "Close (freeze) this review: its figures, notes, decisions and actions, with a hash",
        "close_review",
        REVIEW,
        label="Close",
    ),
    Command(
        "review.cancel",
        "escape",
        "Cancel typing",
        "Leave the text line without saving",
        "cancel_input",
        REVIEW,
        show=False,
    ),
)
COMMANDS = COMMANDS + REVIEW_COMMANDS
UNDO_COMMANDS: tuple[Command, ...] = (
    Command(
        "app.undo",
        "ctrl+z",
        "Undo",
        "Take back this session's last change that can be undone (when nothing newer touched"
        " it); a toast says what",
        "app.undo",
        APP,
        show=False,
    ),
    Command(
        "app.history",
        "h",
        "History",
        "Every change of the KPI value, checklist item, cycle or risk under the cursor",
        "app.history",
        APP,
        show=False,
    ),
    Command("history.back", "escape", "Back", "Close the history", "back", HISTORY),
    Command(
        "conflict.mine",
        "m",
        "Keep mine",
        "Save what you typed over the change made meanwhile",
        "choose('mine')",
        CONFLICT,
    ),
    Command(
        "conflict.theirs",
        "t",
        "Take theirs",
        "Drop what you typed and keep what was saved meanwhile",
        "choose('theirs')",
        CONFLICT,
    ),
)
COMMANDS = COMMANDS + UNDO_COMMANDS

MEETING_COMMANDS: tuple[Command, ...] = (
    Command(
        "standup.meeting",
        "r",
        "Meeting record",
        "The stand-up's record: attendees, notes, decisions, action items and the open ones"
        " carried over",
        "app.open_standup_meeting",
        STANDUP,
        label="Record",
        show=False,  # in the help and the palette; the stand-up's key bar is full at 80 columns
    ),
    Command(
        "meeting.attendees",
        "t",
        "Attendees",
        "Who attends: logins separated by spaces (those seen in the store are offered)",
        "write_attendees",
        MEETING,
        show=False,  # the first line says it: "no attendees yet (t)"
    ),
    Command(
        "meeting.notes",
        "w",
        "Notes",
        "Write the stand-up's notes (blockers, what was said)",
        "write_notes",
        MEETING,
    ),
    Command(
        "meeting.decide",
        "d",
        "Decision",
        "Record a decision of this stand-up",
        "write_decision",
        MEETING,
    ),
    Command(
        "meeting.action",
        "a",
        "Action",
        "A new action item: what to do @owner YYYY-MM-DD (due)",
        "write_action",
        MEETING,
    ),
    Command(
        "meeting.done",
        "space",
        "Action done",
        "Mark the action item under the cursor done (this stand-up's or a carried one)",
        "action_done",
        MEETING,
        label="Done",
    ),
    Command(
        "meeting.drop",
        "x",
        "Drop action",
        "Drop the action item under the cursor, saying why (it stays listed)",
        "action_drop",
        MEETING,
        label="Drop",
    ),
    Command(
        "meeting.back",
        "escape",
        "Back",
        "Leave the text line, or go back to the stand-up",
        "back",
        MEETING,
    ),
    Command(
        "conflict.edit",
        "e",
        "Edit mine",
        "Back to the text line with what you typed, to change it first (where one was typed:"
        " a review's or stand-up's note, attendees, decision or action)",
        "choose('edit')",
        CONFLICT,
        label="Edit",
    ),
)
COMMANDS = COMMANDS + MEETING_COMMANDS

BY_ID = {c.id: c for c in COMMANDS}


def available(scope: str) -> list[Command]:
    """The commands usable on a screen of `scope`: its own, then the app's."""
    return [c for c in COMMANDS if c.scope == scope] + [c for c in COMMANDS if c.scope == APP]


def bindings(scope: str) -> list[BindingType]:
    """Textual bindings for the commands of one scope (ids = command ids, for the keymap)."""
    from textual.binding import Binding

    return [
        Binding(
            c.key,
            c.action.removeprefix("app.") if scope == APP else c.action,
            c.label or c.title,
            show=c.show,
            priority=c.priority,
            id=c.id,
            tooltip=c.help,
        )
        for c in COMMANDS
        if c.scope == scope
    ]


def effective_key(command: Command, keymap: Mapping[str, str]) -> str:
    return keymap.get(command.id, command.key)


def key_label(key: str) -> str:
    """A key as people write it: ctrl+s, F1, /, 1; several keys as `tab/↓`."""
    return "/".join(_one_key_label(k.strip()) for k in key.split(","))


_KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "ctrl+left": "ctrl+←",
    "ctrl+right": "ctrl+→",
    "right": "→",
    "left": "←",
    "up": "↑",
    "down": "↓",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "greater_than_sign": ">",
    "less_than_sign": "<",
}


def _one_key_label(key: str) -> str:
    if key in _KEY_NAMES:
        return _KEY_NAMES[key]
    if len(key) in (2, 3) and key[0] == "f" and key[1:].isdigit():
        return key.upper()
    return key


def keys_table(commands: Iterable[Command] = COMMANDS) -> str:
    """The README's keys table (Markdown), in registry order."""
    lines = ["| Key | Command | Where | What it does | Id |", "|---|---|---|---|---|"]
    for c in commands:
        lines.append(
            f"| `{key_label(c.key)}` | {c.title} | {SCOPE_TITLES[c.scope]} | {c.help} | `{c.id}` |"
        )
    return "\n".join(lines)
