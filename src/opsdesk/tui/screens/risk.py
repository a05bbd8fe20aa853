"""One risk: every field in a table (Enter edits the one under the cursor), and below it the
KRIs with their current values, the score history, triggers and linked checklist runs.

`v` records a review (note, next date), `c` starts the contingency SOP and `d` a risk-drill,
each a checklist run linked to the risk; `l` opens the latest open one to tick it (a drill
done sets the risk's last and next drill and keeps its time to respond). Every change is
checked by the domain's rules (the same as a TOML file) in a worker and audited; a refusal is
shown with its reason.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Static

from opsdesk.domain.text import visible
from opsdesk.rich_text import plain
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.views.risk_page import NEW_KRI, RiskScreenView, build_risk_page


class RiskScreen(AreaScreen):
    """A pushed screen: one risk, editable."""

    SCOPE = commands.RISK
    BINDINGS = commands.bindings(commands.RISK)

    def __init__(self, key: str) -> None:
        super().__init__(id="risk")
        self.key = key
        self.version = 0
        """The risk's version when the page was read (`store.versioning`)."""
        self.view: RiskScreenView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="risk-summary")
        table: DataTable[Any] = DataTable(id="risk-fields", cursor_type="row")
        table.add_column(Text("Field"), width=20)
        table.add_column(Text("Value"))
        yield table
        with VerticalScroll(id="risk-body"):
            yield Static("", id="risk-detail")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        self.title = visible(f"Risk {self.key}")
        self.reload()

    @property
    def today(self) -> date:
        return self.ops.ops_day + timedelta(days=1)

    def fetch(self, conn: sqlite3.Connection) -> RiskScreenView:
        from opsdesk.views.history import versions

        self.version = versions(conn, "risk", [self.key])[self.key]  # what an edit is based on
        return build_risk_page(conn, self.key, self.today)

    def show(self, data: RiskScreenView) -> None:
        self.view = data
        self.sub_title = visible(data.detail.risk.title)
        self.query_one("#risk-summary", Static).update(plain(data.summary))
        table = self.query_one("#risk-fields", DataTable)
        keep = table.cursor_row
        table.clear()
        for name, value in data.fields:
            table.add_row(Text(name), plain(value.replace("\n", " ")), key=name)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        table.focus()
        self.query_one("#risk-detail", Static).update(plain(data.body))

    # -- actions --------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_field()

    def action_edit_field(self) -> None:
        if self.view is None:
            return
        table = self.query_one("#risk-fields", DataTable)
        name, value = self.view.fields[min(table.cursor_row, len(self.view.fields) - 1)]
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog
        from opsdesk.tui.widgets.conflict_dialog import save_checked

        key, today = self.key, self.today

        kris = [text for field, text in self.view.fields if field.startswith("kri ")]
        kris = kris[:-1]  # without the empty "kri +" row

        def done(text: str | None) -> None:
            if text is None or text == value:
                return

            def change(conn: sqlite3.Connection, based_on: int) -> str:
                from opsdesk.domain.risk_kris import kri_dict, parse_kri_text
                from opsdesk.domain.risks import parse_field
                from opsdesk.store.risks import known_names, update_fields

                if not name.startswith("kri "):
                    fields = {name: parse_field(name, text)}
                    update_fields(conn, key, fields, today, based_on=based_on)
                    return f"{key}: {name} saved"
                metrics, _, shops = known_names(conn)
                lines = list(kris)
                if name == NEW_KRI:
                    lines.append(text)
                else:
                    lines[int(name.split()[1]) - 1] = text
                kept = [line for line in lines if line.strip()]  # an emptied line: removed
                new = [kri_dict(parse_kri_text(line, metrics, shops)) for line in kept]
                update_fields(conn, key, {"kri": new}, today, based_on=based_on)
                return f"{key}: KRIs saved ({len(new)})"

            save_checked(self, f"Risk {key}", change, self.version)  # a change underneath: ask

        prompt = f"{key}: {name}"
        if name.startswith("kri "):
            prompt += (
                " — kind=above|below|target|drop|rise|stale metric=… threshold=… (empty: remove)"
            )
        self.app.push_screen(ChecklistTextDialog(prompt, value), done)

    def action_review(self) -> None:
        if self.view is None:
            return
        from opsdesk.domain.risks import next_review_after
        from opsdesk.tui.widgets.risk_review_dialog import RiskReviewDialog

        key, today = self.key, self.today
        default = next_review_after(today, self.view.detail.risk.review_days)

        def done(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            note, next_text = answer

            def change(conn: sqlite3.Connection) -> str:
                from opsdesk.store.risks import review

                try:
                    next_day = date.fromisoformat(next_text) if next_text else None
                except ValueError:
                    raise ValueError(f"next review: {next_text!r} is not a date") from None
                new = review(conn, key, note, today, next_review=next_day)
                return f"{key}: reviewed; next review {new.next_review}"

            self.write(change)

        self.app.push_screen(RiskReviewDialog(key, default.isoformat()), done)

    def _start(self, purpose: str) -> None:
        key, today = self.key, self.today

        def change(conn: sqlite3.Connection) -> str:
            from opsdesk.store.risks import DrillOpen, start_linked_run

            try:
                run_id = start_linked_run(conn, key, purpose, today)
            except DrillOpen as e:
                raise ValueError(
                    f"{key}: drill run {e.run_id} started {e.run_day} is still open:"
                    " tick it (l, or area 4) or skip it there first"
                ) from None
            return f"{key}: {purpose} run {run_id} started (l or area 4 to tick it)"

        self.write(change)

    def action_contingency(self) -> None:
        self._start("contingency")

    def action_drill(self) -> None:
        self._start("drill")

    def action_tick_run(self) -> None:
        """The latest open linked run, on the checklists area to tick (Esc goes back there)."""
        if self.view is None:
            return
        open_runs = [x for x in self.view.detail.runs if x.status == "open"]
        if not open_runs:
            self.notify(
                visible(f"{self.key}: no open linked run (c: contingency, d: drill)"),
                severity="warning",
                markup=False,
            )
            return
        self.ops.open_run(open_runs[0].run_id)

    def action_back(self) -> None:
        self.app.pop_screen()
