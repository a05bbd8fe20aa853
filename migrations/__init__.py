"""Package data, installed as `opsdesk.migrations`: the numbered SQL migrations.

Read through opsdesk.shipped (importlib.resources); nothing to import here.
"""
