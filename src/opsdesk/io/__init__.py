"""Reading data into opsdesk: CSV/XLSX files (long and wide shapes) parsed and validated.

Nothing here writes to the store: `opsdesk.io.importer` turns a file into a validated plan,
and `opsdesk.store.imports` applies it. Heavy libraries (openpyxl) are imported only when used.
"""
