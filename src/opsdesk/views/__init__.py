"""Read models combining the store and the domain, shared by the command line and the app.

Nothing here imports Textual, plotext, pandas or sqlite-utils: the app's first paint uses it.
Importing the package registers the computed daily values other areas provide to the KPI
engine (SOP adherence from `opsdesk.store.sop_adherence`, a small module: the whole checklist
store is not needed for the stand-up's first paint), so every view sees them.
"""

from opsdesk.store import sop_adherence as _sop_adherence  # noqa: F401  (registers a provider)
