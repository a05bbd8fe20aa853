"""One risk: every field in a table (Enter edits the one under the cursor), and below it the
KRIs with their current values, the score history, triggers and linked checklist runs.

`v` records a review (note, next date), `c` starts the contingency SOP and `d` a risk-drill,
each a checklist run linked to the risk. Every change is checked by the domain's rules (the
same as a TOML file) in a worker and audited; a refusal is shown with its reason.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Static

from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.views import risks as views

NEW_KRI = "kri +"
"""The editor's last row: type a KRI line there to add one (`kind=above metric=… threshold=…`)."""


@dataclass(frozen=True)
class RiskScreenView:
    detail: views.RiskDetail
    fields: tuple[tuple[str, str], ...]
    summary: str
    body: str


def field_values(detail: views.RiskDetail) -> tuple[tuple[str, str], ...]:
    """(field, value as text) for every editable field, in the editor's order."""
    from opsdesk.domain.risk_kris import kri_text
    from opsdesk.store.risks import EDITABLE

    r = detail.risk
    values: dict[str, Any] = {
        "title": r.title,
        "category": r.category,
        "description": r.description,
        "owner": r.owner,
        "likelihood": r.inherent.likelihood,
        "impact": r.inherent.impact,
        "residual_likelihood": r.residual.likelihood,
        "residual_impact": r.residual.impact,
        "response": r.response,
        "accept_until": r.accept_until,
        "mitigation": r.mitigation,
        "contingency": r.contingency,
        "contingency_sop": r.contingency_sop,
        "response_level": r.response_level,
        "review_days": r.review_days,
        "next_review": r.next_review,
        "last_drill": detail.last_drill,
        "next_drill": r.next_drill,
        "status": r.status,
    }
    rows = [(name, "" if values[name] is None else str(values[name])) for name in EDITABLE]
    rows += [(f"kri {i}", kri_text(k)) for i, k in enumerate(r.kris, 1)]
    rows.append((NEW_KRI, ""))
    return tuple(rows)


def build_view(conn: sqlite3.Connection, key: str, today: date) -> RiskScreenView:
    """The risk as the screen shows it (runs in a worker)."""
    from opsdesk.domain.checklists import local_label
    from opsdesk.store import settings

    tz = settings.read(conn).timezone
    d = views.build_detail(conn, key, today)
    r = d.risk
    summary = (
        f"{r.title}\ninherent {r.inherent.likelihood}×{r.inherent.impact}={r.inherent.value} "
        f"{r.inherent.level} · residual {r.residual.likelihood}×{r.residual.impact}="
        f"{r.residual.value} {r.residual.level} · {r.status} · {r.response_level}"
        + (" · REVIEW OVERDUE" if d.row.overdue else "")
        + (f" · acceptance {d.row.acceptance}" if d.row.acceptance else "")
    )
    lines = [f"KRIs (ops day {today - timedelta(days=1)}):"]
    lines += [
        f"  {'BREACHED' if k.breached else 'ok'} {k.rule} · {k.shop} {k.value_text}"
        for k in d.row.kris
    ] or ["  none"]
    lines.append("Score history (inherent / residual):")
    for v in d.reviews:
        note = f" — {v.note}" if v.note else ""
        at = local_label(datetime.fromisoformat(v.at), tz)
        lines.append(
            f"  {at} {v.kind:<6} {v.by:<10} {v.inherent.value:>2} / {v.residual.value:>2}"
            f" next {v.next_review}{note}"
        )
    lines.append(f"Triggers ({len(d.row.triggers)}):")
    lines += [f"  {t.day} {t.message}" for t in d.row.triggers[:20]] or ["  none"]
    lines.append(f"Linked runs ({len(d.runs)}):")
    for x in d.runs:
        ttr = f" · time to respond {x.time_to_respond}" if x.time_to_respond else ""
        lines.append(f"  run {x.run_id} {x.purpose} {x.template_key} {x.run_day} {x.status}{ttr}")
    if not d.runs:
        lines.append("  none")
    return RiskScreenView(d, field_values(d), summary, "\n".join(lines))


class RiskScreen(AreaScreen):
    """A pushed screen: one risk, editable."""

    SCOPE = commands.RISK
    BINDINGS = commands.bindings(commands.RISK)

    def __init__(self, key: str) -> None:
        super().__init__(id="risk")
        self.key = key
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

    def on_mount(self) -> None:
        self.title = f"Risk {self.key}"
        self.reload()

    @property
    def today(self) -> date:
        return self.ops.ops_day + timedelta(days=1)

    def fetch(self, conn: sqlite3.Connection) -> RiskScreenView:
        return build_view(conn, self.key, self.today)

    def show(self, data: RiskScreenView) -> None:
        self.view = data
        self.sub_title = self.key
        self.query_one("#risk-summary", Static).update(Text(data.summary))
        table = self.query_one("#risk-fields", DataTable)
        keep = table.cursor_row
        table.clear()
        for name, value in data.fields:
            table.add_row(Text(name), Text(value.replace("\n", " ")), key=name)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        table.focus()
        self.query_one("#risk-detail", Static).update(Text(data.body))

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

        key, today = self.key, self.today

        kris = [text for field, text in self.view.fields if field.startswith("kri ")]
        kris = kris[:-1]  # without the empty "kri +" row

        def done(text: str | None) -> None:
            if text is None or text == value:
                return

            def change(conn: sqlite3.Connection) -> str:
                from opsdesk.domain.risk_kris import kri_dict, parse_kri_text
                from opsdesk.domain.risks import parse_field
                from opsdesk.store import risks

                if not name.startswith("kri "):
                    risks.update_fields(conn, key, {name: parse_field(name, text)}, today)
                    return f"{key}: {name} saved"
                metrics, _, shops = risks.known_names(conn)
                lines = list(kris)
                if name == NEW_KRI:
                    lines.append(text)
                else:
                    lines[int(name.split()[1]) - 1] = text
                kept = [line for line in lines if line.strip()]  # an emptied line: removed
                new = [kri_dict(parse_kri_text(line, metrics, shops)) for line in kept]
                risks.update_fields(conn, key, {"kri": new}, today)
                return f"{key}: KRIs saved ({len(new)})"

            self.write(change)

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
                from opsdesk.store import risks

                try:
                    next_day = date.fromisoformat(next_text) if next_text else None
                except ValueError:
                    raise ValueError(f"next review: {next_text!r} is not a date") from None
                new = risks.review(conn, key, note, today, next_review=next_day)
                return f"{key}: reviewed; next review {new.next_review}"

            self.write(change)

        self.app.push_screen(RiskReviewDialog(key, default.isoformat()), done)

    def _start(self, purpose: str) -> None:
        key, today = self.key, self.today

        def change(conn: sqlite3.Connection) -> str:
            from opsdesk.store import risks

            run_id = risks.start_linked_run(conn, key, purpose, today)
            return f"{key}: {purpose} run {run_id} started (area 4 to tick it)"

        self.write(change)

    def action_contingency(self) -> None:
        self._start("contingency")

    def action_drill(self) -> None:
        self._start("drill")

    def action_back(self) -> None:
        self.app.pop_screen()
