"""The app's wording of store and domain refusals: their messages are written for the CLI
(`--due: …`, `ID: …`, hints like `opsdesk review reopen W` in backticks); in a toast the
field label of a command-line option or argument means nothing, and backticks show as
themselves. One place turns the one into the other; the CLI keeps its messages."""

from __future__ import annotations

import re

_CLI_LABEL = re.compile(r"^(?:--[a-z][a-z0-9-]*|[A-Z][A-Z0-9_]*): ")
"""A leading `--option: ` or `ARGUMENT: ` (click's metavar) field label."""


def app_wording(message: str) -> str:
    """`message` as the app shows it: without a leading CLI field label and with `opsdesk …`
    hints as plain text (no backticks). The first letter after a stripped label is kept."""
    return _CLI_LABEL.sub("", message, count=1).replace("`", "")
