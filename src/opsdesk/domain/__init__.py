"""Pure logic, no I/O: metrics and formulas, KPI rollups, statuses, alerts, recurrence."""
