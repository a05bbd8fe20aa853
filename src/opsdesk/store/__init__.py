"""The SQLite store: connections, migrations, audit, and one module per area of data."""
