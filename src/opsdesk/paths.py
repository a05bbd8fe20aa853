"""Where things live: the default store and the config file; where an `--output` may go.

The shipped migrations and fixtures are package data: see opsdesk.shipped.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "opsdesk"


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


def __getattr__(name: str) -> Path:
    """`MIGRATIONS_DIR` and `FIXTURES_DIR`, the names of before opsdesk.shipped, for code written
    against them meanwhile; they resolve through the package like everything else."""
    if name in ("MIGRATIONS_DIR", "FIXTURES_DIR"):
        from opsdesk import shipped

        return shipped.migrations_dir() if name == "MIGRATIONS_DIR" else shipped.fixtures_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def output_directory(output: Path) -> Path:
    """The existing directory `--output FILE` writes into, else ValueError naming the option."""
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise ValueError(f"--output: {output}: {directory} is not an existing directory")
    if output.is_dir():
        raise ValueError(f"--output: {output} is a directory")
    return directory
