"""Commands: reports (being built)."""

import click


def register(group: click.Group) -> None:
    return None
