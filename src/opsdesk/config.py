"""The user's config file: theme, key remapping and the app's refresh interval.

TOML at `opsdesk.paths.config_file_path()` (`$OPSDESK_CONFIG`, else `config.toml` in the user
config directory). Every field is optional; a missing file means the defaults::

    theme = "textual-light"          # any Textual theme name; "dark"/"light" are short-hands
    refresh_seconds = 1.0            # how often the app checks the store for changes (0.2-60)
    role = "cs-lead"                 # your SOP role: its runs due today come first in area 4

    [keys]                           # command id = key (see the keys table in the README)
    "standup.next_shop" = "right"
    "area.explorer" = "f2"

    [pdca]                           # the run-chart rules of every PDCA Check
    shift = 6                        # days on one side of the baseline median
    trend = 5                        # days each higher (lower) than the day before
    limits = true                    # XmR natural process limits

A bad file is refused with a message naming the file and the field; the app does not start
with half of a config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the PDCA engine is imported when a [pdca] table is read: not at start-up
    from opsdesk.domain.pdca import RuleSet

THEME_ALIASES = {"dark": "textual-dark", "light": "textual-light"}
DEFAULT_THEME = "textual-dark"
DEFAULT_REFRESH_SECONDS = 1.0
_KNOWN_FIELDS = ("theme", "refresh_seconds", "role", "keys", "pdca")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class AppConfig:
    theme: str = DEFAULT_THEME
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    keys: dict[str, str] = field(default_factory=dict)
    """Command id -> key (Textual key names, comma-separated for several)."""
    pdca: RuleSet | None = None
    """The run-chart rules of the PDCA Check from the `[pdca]` table; None: no table, the
    default rules (`RuleSet()`, what opsdesk.views.pdca takes None for)."""
    role: str = ""
    """The user's SOP role (a template's `owner`); '' none."""


def parse(doc: dict[str, Any], where: str, known_commands: set[str] | None = None) -> AppConfig:
    """Validate a parsed TOML document; `known_commands` checks the ids under [keys]."""
    unknown = sorted(set(doc) - set(_KNOWN_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {unknown[0]!r} (known: {', '.join(_KNOWN_FIELDS)})"
        )
    theme = doc.get("theme", DEFAULT_THEME)
    if not isinstance(theme, str) or not theme.strip():
        raise ConfigError(f"{where}: field 'theme' must be a theme name such as \"light\"")
    theme = THEME_ALIASES.get(theme, theme)
    refresh = doc.get("refresh_seconds", DEFAULT_REFRESH_SECONDS)
    if isinstance(refresh, bool) or not isinstance(refresh, int | float):
        raise ConfigError(f"{where}: field 'refresh_seconds' must be a number of seconds")
    if not 0.2 <= float(refresh) <= 60:
        raise ConfigError(f"{where}: field 'refresh_seconds' must be between 0.2 and 60")
    role = doc.get("role", "")
    if not isinstance(role, str):
        raise ConfigError(f"{where}: field 'role' must be an SOP role such as \"cs-lead\"")
    keys = doc.get("keys", {})
    if not isinstance(keys, dict):
        raise ConfigError(f"{where}: field 'keys' must be a table of command id = key")
    for command_id, key in keys.items():
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{where}: field 'keys.{command_id}' must be a key name")
        if known_commands is not None and command_id not in known_commands:
            raise ConfigError(
                f"{where}: field 'keys.{command_id}': no such command "
                "(the README's keys table lists the ids)"
            )
    return AppConfig(
        theme=theme,
        refresh_seconds=float(refresh),
        keys=dict(keys),
        role=role.strip(),
        pdca=_pdca(doc, where),
    )


def _pdca(doc: dict[str, Any], where: str) -> RuleSet | None:
    if "pdca" not in doc:
        return None
    from opsdesk.domain.pdca import PdcaError, RuleSet

    table = doc["pdca"]
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: field 'pdca' must be a table (shift, trend, limits)")
    unknown = sorted(set(table) - {"shift", "trend", "limits"})
    if unknown:
        raise ConfigError(
            f"{where}: unknown field 'pdca.{unknown[0]}' (known: shift, trend, limits)"
        )
    limits = table.get("limits", True)
    if not isinstance(limits, bool):
        raise ConfigError(f"{where}: field 'pdca.limits' must be true or false")
    try:
        return RuleSet(shift=table.get("shift", 6), trend=table.get("trend", 5), limits=limits)
    except PdcaError as e:
        raise ConfigError(f"{where}: field {e}") from None


def load(path: Path | None = None, known_commands: set[str] | None = None) -> AppConfig:
    """The config at `path` (default: the user's config file); defaults when it is absent."""
    if path is None:
        from opsdesk.paths import config_file_path

        path = config_file_path()
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return AppConfig()
    import tomllib  # only when there is a file: ~5-15 ms of the app's start-up otherwise

    with fh:
        try:
            doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse(doc, str(path), known_commands)
