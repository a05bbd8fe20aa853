"""The weekly review's calendar and arithmetic (pure: no I/O).

- The **6-12 windows** (the WBR practice): the 6 ISO weeks ending with the review week, each
  beside last year's week shifted back exactly 364 days (so weekdays line up), and the 12
  complete calendar months before the month that holds the review week's Sunday, each beside
  the same month a year earlier.
- The **summary row**: the week, the week before, last year's week (−364 days); month, quarter
  and year to date (from the first day of the month, quarter or year to the review week's
  Sunday) and the same dates a year earlier.
- **Changes**: rates (unit `%`) change in percentage points (a difference of fractions),
  everything else in % (a relative change).
- **Exceptions**: a metric stops the walk when it is red or amber against its target or when
  a run-chart signal fired; everything else is cleared in one key.
- **Carry-over**: an open action's age in days and how many reviews it was carried through
  without progress (three or more: flagged for a decision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.domain.periods import Period, month_of, parse, week_of

LY_SHIFT_DAYS = 364
"""Last year's week: the same weekdays 52 weeks earlier."""

DEFAULT_DECK_ORDER = (
    # inputs first ...
    "visitors",
    "conversion_rate",
    "aov",
    # ... then outputs ...
    "gmv",
    "orders",
    # ... then cost ...
    "ad_spend",
    "paid_share",
    "roas",
    "cpc",
    "ctr",
    # ... then service.
    "refund_rate",
    "negative_review_rate",
    "cs_first_response_s",
    "aftersales_late_rate",
    "late_shipment_rate",
    "stockout_rate",
    "dsr",
)
"""The deck's default order (the WBR practice: input metrics before output metrics)."""

STALE_AFTER_REVIEWS = 3
"""An action carried over this many reviews without progress is flagged for a decision."""

EXCEPTION_STATUSES = ("red", "amber")


@dataclass(frozen=True)
class Span:
    """A named closed range of days (a week, a month, or a stretch to date)."""

    key: str
    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Window:
    """One point of the 6-12 chart: this year's span and last year's."""

    current: Span
    last_year: Span


@dataclass(frozen=True)
class SummarySpans:
    week: Span
    week_prev: Span
    week_ly: Span
    mtd: Span
    mtd_ly: Span
    qtd: Span
    qtd_ly: Span
    ytd: Span
    ytd_ly: Span

    def named(self) -> list[tuple[str, Span]]:
        return [(name, getattr(self, name)) for name in SUMMARY_FIELDS]


SUMMARY_FIELDS = ("week", "week_prev", "week_ly", "mtd", "mtd_ly", "qtd", "qtd_ly", "ytd", "ytd_ly")


def _span(p: Period) -> Span:
    return Span(p.key, p.start, p.end)


def minus_year(d: date) -> date:
    """The same date a year earlier (29 February → 28 February)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def shift_364(s: Span) -> Span:
    """Last year's week: 364 days earlier, keyed by the ISO week it falls in."""
    start = s.start - timedelta(days=LY_SHIFT_DAYS)
    return Span(week_of(start).key, start, s.end - timedelta(days=LY_SHIFT_DAYS))


def year_earlier(s: Span, key: str) -> Span:
    return Span(key, minus_year(s.start), minus_year(s.end))


def parse_week(key: str) -> Period:
    """An ISO week by key; ValueError saying what a good key looks like."""
    return parse("week", key)


def last_complete(kind: str, ops_day: date) -> Period:
    """The latest ISO week (or calendar month) that ended on or before the ops day."""
    p = month_of(ops_day) if kind == "month" else week_of(ops_day)
    return p if p.end <= ops_day else p.previous()


def last_complete_week(ops_day: date) -> Period:
    """The latest ISO week whose Sunday is on or before the ops day."""
    return last_complete("week", ops_day)


def last_complete_month(ops_day: date) -> Period:
    """The latest calendar month whose last day is on or before the ops day."""
    return last_complete("month", ops_day)


def check_reviewable(period: Period, ops_day: date) -> None:
    """ValueError when the week (or month) has not ended by the ops day (a review looks
    back)."""
    if period.end > ops_day:
        raise ValueError(
            f"{period.kind} {period.key}: not over yet (it ends {period.end}, the ops day is"
            f" {ops_day}); the last complete {period.kind} is"
            f" {last_complete(period.kind, ops_day).key}"
        )


def deck_weeks(week: Period) -> list[Window]:
    """The 6 ISO weeks ending with `week`, oldest first, each with last year's (−364 days)."""
    out: list[Window] = []
    w = week
    for _ in range(6):
        s = _span(w)
        out.append(Window(s, shift_364(s)))
        w = w.previous()
    return out[::-1]


def deck_months(week: Period) -> list[Window]:
    """The 12 complete calendar months before the month holding `week`'s Sunday, oldest
    first, each with the same month a year earlier."""
    out: list[Window] = []
    m = month_of(week.end).previous()
    for _ in range(12):
        ly = month_of(date(m.start.year - 1, m.start.month, 1))
        out.append(Window(_span(m), _span(ly)))
        m = m.previous()
    return out[::-1]


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def summary_spans(week: Period) -> SummarySpans:
    """The spans behind each cell of the summary row; to date = up to the week's Sunday."""
    sunday = week.end
    this = _span(week)
    prev = _span(week.previous())
    mkey = f"{sunday.year:04d}-{sunday.month:02d}"
    qkey = f"{sunday.year:04d}-Q{(sunday.month - 1) // 3 + 1}"
    ykey = f"{sunday.year:04d}"
    mtd = Span(f"{mkey} MTD", sunday.replace(day=1), sunday)
    qtd = Span(f"{qkey} QTD", quarter_start(sunday), sunday)
    ytd = Span(f"{ykey} YTD", date(sunday.year, 1, 1), sunday)

    def ly(s: Span) -> Span:
        return Span(f"{s.start.year - 1:04d}{s.key[4:]}", minus_year(s.start), minus_year(s.end))

    return SummarySpans(this, prev, shift_364(this), mtd, ly(mtd), qtd, ly(qtd), ytd, ly(ytd))


MONTH_SUMMARY_FIELDS = ("month", "month_prev", "month_ly", "qtd", "qtd_ly", "ytd", "ytd_ly")
"""The monthly review's summary row: the month, last month, the same month a year earlier,
and quarter and year to the month's last day beside the same dates a year earlier."""

COMPARISONS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "week": (
        ("wow", "WoW", "week", "week_prev"),
        ("yoy", "YoY", "week", "week_ly"),
        ("mtd_yoy", "MTD YoY", "mtd", "mtd_ly"),
        ("qtd_yoy", "QTD YoY", "qtd", "qtd_ly"),
        ("ytd_yoy", "YTD YoY", "ytd", "ytd_ly"),
    ),
    "month": (
        ("mom", "MoM", "month", "month_prev"),
        ("yoy", "YoY", "month", "month_ly"),
        ("qtd_yoy", "QTD YoY", "qtd", "qtd_ly"),
        ("ytd_yoy", "YTD YoY", "ytd", "ytd_ly"),
    ),
}
"""Per review kind: each change of the summary row as (name, label, value field, reference
field)."""


def month_summary_spans(month: Period) -> list[tuple[str, Span]]:
    """The spans behind the monthly summary row (MONTH_SUMMARY_FIELDS), to the month's end."""
    end = month.end
    this, prev = _span(month), _span(month.previous())
    ly = Span(f"{end.year - 1:04d}-{end.month:02d}", minus_year(month.start), minus_year(end))
    qkey = f"{end.year:04d}-Q{(end.month - 1) // 3 + 1}"
    qtd = Span(f"{qkey} QTD", quarter_start(end), end)
    ytd = Span(f"{end.year:04d} YTD", date(end.year, 1, 1), end)

    def back(s: Span) -> Span:
        return Span(f"{s.start.year - 1:04d}{s.key[4:]}", minus_year(s.start), minus_year(s.end))

    spans = (this, prev, ly, qtd, back(qtd), ytd, back(ytd))
    return list(zip(MONTH_SUMMARY_FIELDS, spans, strict=True))


def summary_fields(kind: str) -> tuple[str, ...]:
    """The summary row's fields of a `week` or `month` review."""
    return MONTH_SUMMARY_FIELDS if kind == "month" else SUMMARY_FIELDS


def named_spans(period: Period) -> list[tuple[str, Span]]:
    """The summary row's spans of a week's or a month's review."""
    return month_summary_spans(period) if period.kind == "month" else summary_spans(period).named()


def last_week_in(period: Period) -> Period:
    """The review's last ISO week: the week itself, or a month's last week ending in it."""
    if period.kind != "month":
        return period
    w = week_of(period.end)
    return w if w.end <= period.end else w.previous()


def windows(period: Period) -> tuple[list[Window], list[Window]]:
    """The 6-12 windows: for a week as deck_weeks/deck_months; for a month the 6 weeks
    ending with its last week (last_week_in) and the 12 months ending with the month."""
    if period.kind != "month":
        return deck_weeks(period), deck_months(period)
    return deck_weeks(last_week_in(period)), deck_months(month_of(period.end + timedelta(days=1)))


def first_day_needed(period: Period) -> date:
    """The earliest day any number of the review of `period` (a week or a month) reads."""
    weeks, months = windows(period)
    candidates = [months[0].last_year.start, weeks[0].last_year.start]
    candidates += [s.start for _, s in named_spans(period)]
    return min(candidates)


@dataclass(frozen=True)
class Change:
    """A change between two values: `pp` (percentage points, as a fraction difference) for
    rates, `pct` (relative, 0.05 = +5%) for everything else; value None when undefined."""

    kind: str
    value: float | None

    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "pp":
            return f"{self.value * 100:+.2f}pp"
        return f"{self.value * 100:+.1f}%"


def change(unit: str, value: float | None, reference: float | None) -> Change:
    """value against reference: percentage points for rates (unit `%`), else relative %."""
    if unit == "%":
        if value is None or reference is None:
            return Change("pp", None)
        return Change("pp", value - reference)
    if value is None or reference is None or reference == 0:
        return Change("pct", None)
    return Change("pct", (value - reference) / abs(reference))


def is_exception(status: str, signals: Sequence[str]) -> bool:
    """A stop on the walk: red/amber against target, or any run-chart signal."""
    return status in EXCEPTION_STATUSES or bool(signals)


def order_deck(keys: Sequence[str], order: Sequence[str] = DEFAULT_DECK_ORDER) -> list[str]:
    """`keys` in the deck's order: those named in `order` first (in that order), then the
    rest as given."""
    rank = {k: i for i, k in enumerate(order)}
    named = sorted((k for k in keys if k in rank), key=rank.__getitem__)
    return named + [k for k in keys if k not in rank]


def age_days(created: date, day: date) -> int:
    """An action's age on `day`: whole days since it was created."""
    return max(0, (day - created).days)


def reviews_carried(review_weeks: Sequence[str], from_week: str, week: str) -> int:
    """How many reviews after the one an open action came from (`from_week`), up to and
    including `week`, it was carried through (ISO week keys sort in time order)."""
    return sum(1 for w in set(review_weeks) if from_week < w <= week)


def flagged(carried: int) -> bool:
    """Carried over three reviews (or more) without progress: needs a decision."""
    return carried >= STALE_AFTER_REVIEWS


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """Unicode block sparkline; a gap (space) where a value is undefined."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    lo, hi = min(present), max(present)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(SPARKS[3])
        else:
            out.append(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))])
    return "".join(out)
