"""Read models combining the store and the domain, shared by the command line and the app.

Nothing here imports Textual, plotext, pandas or sqlite-utils: the app's first paint uses it.
Importing the package registers the computed daily values other areas provide to the KPI
engine (SOP adherence from `opsdesk.store.checklists`), so every view sees them.
"""

from opsdesk.store import checklists as _checklists  # noqa: F401  (registers a DAILY_PROVIDER)
