"""Stand-up sections, one module each, discovered by opsdesk.tui.sections (see its docstring)."""
