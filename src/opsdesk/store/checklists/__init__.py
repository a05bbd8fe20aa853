"""SOP checklists in the store: template versions, campaigns, dated runs, items and ticks.

- Loading templates is idempotent: a template whose content (fingerprint) is unchanged is not
  re-versioned; a changed one gets version n+1. Runs copy their steps from the version they
  start from, so editing a template never changes a run already under way.
- `ensure_runs(conn, today)` creates the runs due since the last time it ran (no daemon: every
  command and the app call it), per shop where the template is per shop. Runs are keyed by a
  unique slot and inserted with INSERT OR IGNORE inside one BEGIN IMMEDIATE transaction, so two
  sessions doing it at once create each run once. Open runs whose window has closed become
  *missed*; a due date whose window closed before anyone looked is created missed: one record
  per due date, never a backlog of open copies.
- Ticking, unticking, skipping an item (with a reason) and notes record who and when on the
  item and in the audit trail. Each change is one short write transaction that reads the row
  it changes under the write lock, so two people ticking the same run never lose a tick.
- Adherence: `daily_adherence` provides the base metrics `sop_due` and `sop_on_time` per shop
  and run day to the KPI engine (listed in `opsdesk.store.computed.PROVIDERS`).

One module per part, all re-exported here: `templates` (versions, loading), `campaigns`,
`runs` (creating due runs, missed, on-demand starts), `reading` (today, one run, history),
`ticks` (tick, untick, skip, notes) and `adherence` (per template and shop).
"""

from opsdesk.store.checklists._common import STORE_WIDE
from opsdesk.store.checklists.adherence import TemplateAdherence, adherence_by_template
from opsdesk.store.checklists.campaigns import Campaign, add_campaign, list_campaigns
from opsdesk.store.checklists.reading import Item, Run, get_run, history, today_runs
from opsdesk.store.checklists.runs import (
    EnsureResult,
    backfill_runs,
    ensure_on_open,
    ensure_runs,
    ensure_today,
    start_run,
)
from opsdesk.store.checklists.templates import (
    LoadResult,
    TemplateInfo,
    get_template,
    list_templates,
    load_shipped,
    load_templates,
)
from opsdesk.store.checklists.ticks import ItemChange, set_note, skip_item, skip_run, tick, untick
from opsdesk.store.sop_adherence import daily_adherence

__all__ = [
    "Campaign",
    "EnsureResult",
    "Item",
    "ItemChange",
    "LoadResult",
    "Run",
    "STORE_WIDE",
    "TemplateAdherence",
    "TemplateInfo",
    "add_campaign",
    "adherence_by_template",
    "backfill_runs",
    "daily_adherence",
    "ensure_on_open",
    "ensure_runs",
    "ensure_today",
    "get_run",
    "get_template",
    "history",
    "list_campaigns",
    "list_templates",
    "load_shipped",
    "load_templates",
    "set_note",
    "skip_item",
    "skip_run",
    "start_run",
    "tick",
    "today_runs",
    "untick",
]
