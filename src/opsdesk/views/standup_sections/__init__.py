"""Stand-up sections, one module each, discovered by opsdesk.views.sections (see its docstring)."""
