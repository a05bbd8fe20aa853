"""One command registry: bindings, key bar, palette, help screen and the README table agree;
keys remap from the config file; bad config files and missing stores are refused clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.command import CommandList
from textual.widgets import DataTable, Static

from conftest import make_app, toasts, wait_for
from opsdesk.clock import Clock
from opsdesk.config import AppConfig, ConfigError, load
from opsdesk.tui import commands
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.help import HelpScreen

README = Path(__file__).resolve().parents[2] / "README.md"


async def palette_entries(app: OpsdeskApp, pilot: object) -> list[str]:
    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: bool(app.screen.query(CommandList)))
    listing = app.screen.query_one(CommandList)
    await wait_for(pilot, lambda: listing.option_count > 0)
    await pilot.pause(0.2)
    return [
        str(listing.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(listing.option_count)
    ]


async def help_entries(app: OpsdeskApp, pilot: object) -> list[str]:
    await pilot.press("f1")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
    table = app.screen.query_one("#help-table", DataTable)
    return [f"{table.get_row_at(i)[1]}  [{table.get_row_at(i)[0]}]" for i in range(table.row_count)]


async def test_palette_and_help_list_the_same_commands_with_their_keys(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        in_help = await help_entries(app, pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        in_palette = await palette_entries(app, pilot)
    expected = [
        f"{c.title}  [{commands.key_label(c.key)}]" for c in commands.available(commands.STANDUP)
    ]
    assert in_help == expected
    assert sorted(in_palette) == sorted(expected)
    assert "Acknowledge alert  [a]" in in_palette and "KPI explorer  [2]" in in_palette


async def test_the_palette_runs_a_command(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"next shop")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: "▶ jd-home" in str(app.screen.query_one("#shop-bar", Static).render())
        )


async def test_keys_remapped_in_the_config_file(tiny_store: Path, clock: Clock) -> None:
    config = AppConfig(
        keys={"standup.next_shop": "right", "area.explorer": "f2"}, refresh_seconds=0.2
    )
    app = make_app(tiny_store, clock, config)
    async with app.run_test(size=(150, 40)) as pilot:  # wide: every key in the bar
        await pilot.pause()
        await pilot.press("n")  # no longer bound
        assert "▶ All shops" in str(app.screen.query_one("#shop-bar", Static).render())
        await pilot.press("right")
        assert "▶ jd-home" in str(app.screen.query_one("#shop-bar", Static).render())
        bar = str(app.screen.query_one("#key-bar", Static).render())
        assert " → Shop " in bar and " F2 Explorer " in bar
        assert "Next shop  [→]" in await help_entries(app, pilot)
    narrow = make_app(tiny_store, clock, config)
    async with narrow.run_test(size=(80, 24)) as pilot:  # narrow: the area keys in one pair
        await pilot.pause()
        bar = str(narrow.screen.query_one("#key-bar", Static).render())
        assert " 1/F2/3/4/5/6/7 Areas " in bar and bar.endswith(" F1 Help  ctrl+q Quit ")


def test_readme_keys_table_is_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- keys:start -->\n(.*?)\n<!-- keys:end -->", text, re.S)
    assert match, "README.md: the keys table markers are missing"
    assert match.group(1) == commands.keys_table()


def test_every_command_id_is_unique_and_every_scope_titled() -> None:
    ids = [c.id for c in commands.COMMANDS]
    assert len(ids) == len(set(ids))
    assert {c.scope for c in commands.COMMANDS} == set(commands.SCOPE_TITLES)


def test_config_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert load(path) == AppConfig()  # no file: defaults
    path.write_text('theme = "light"\nrefresh_seconds = 2\n[keys]\n"app.help" = "question_mark"\n')
    assert load(path, set(commands.BY_ID)) == AppConfig(
        "textual-light", 2.0, {"app.help": "question_mark"}
    )
    cases = {
        'colour = "red"\n': "unknown field 'colour'",
        "refresh_seconds = 0\n": "field 'refresh_seconds' must be between 0.2 and 60",
        '[keys]\n"standup.nope" = "x"\n': "field 'keys.standup.nope': no such command",
        "theme = \n": "not valid TOML",
    }
    for body, reason in cases.items():
        path.write_text(body)
        with pytest.raises(ConfigError) as e:
            load(path, set(commands.BY_ID))
        assert str(e.value).startswith(f"{path}: ") and reason in str(e.value)


def test_run_app_refuses_a_missing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsdesk.tui.run import run_app

    missing = tmp_path / "nope.sqlite"
    assert run_app(missing) == 1
    err = capsys.readouterr().err
    assert f"no store at {missing}" in err and "opsdesk --db" in err and "demo" in err
    assert not missing.exists()


def test_run_app_refuses_a_bad_config_before_starting(
    tiny_store: Path, no_user_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsdesk.tui.run import run_app

    no_user_config.write_text("refresh_seconds = 100\n")
    assert run_app(tiny_store) == 1
    assert f"{no_user_config}: field 'refresh_seconds'" in capsys.readouterr().err


async def test_an_unknown_theme_is_reported_and_the_default_kept(
    tiny_store: Path, clock: Clock
) -> None:
    app = make_app(tiny_store, clock, AppConfig(theme="no-such-theme"))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        await wait_for(pilot, lambda: len(toasts(app)) == 1)
        assert toasts(app)[0].startswith(
            "config: theme 'no-such-theme' is not a Textual theme; known: "
        )
        await pilot.press("f9")
        assert app.theme == "textual-light"
