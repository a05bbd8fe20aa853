"""Where things live: the default store, the config file, and the shipped migrations/fixtures."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "opsdesk"
_REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = _REPO_ROOT / "migrations"
FIXTURES_DIR = _REPO_ROOT / "fixtures"


def user_data_dir() -> Path:
    """The platform's user data directory for opsdesk (not created here)."""
    from platformdirs import user_data_path

    return Path(user_data_path(APP_NAME))


def user_config_dir() -> Path:
    from platformdirs import user_config_path

    return Path(user_config_path(APP_NAME))


def default_db_path() -> Path:
    """`OPSDESK_DB` when set, else `opsdesk.sqlite` in the user data directory."""
    env = os.environ.get("OPSDESK_DB")
    if env:
        return Path(env).expanduser()
    return user_data_dir() / "opsdesk.sqlite"


def config_file_path() -> Path:
    env = os.environ.get("OPSDESK_CONFIG")
    if env:
        return Path(env).expanduser()
    return user_config_dir() / "config.toml"
