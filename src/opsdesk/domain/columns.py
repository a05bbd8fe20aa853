"""Daily values as columns, for the KPI engine's rollups over many spans at once (pure).

`opsdesk.domain.kpis.aggregate` walks a shop's day -> values mapping once per span; the weekly
review asks for ~45 spans per metric and shop (the 6-12 windows, the summary row), which on
10 shops x 5 years is tens of thousands of walks. `Columns` lays one shop's values out once,
a list per metric indexed by day, and sums a span as a slice — the same additions in the same
order as `aggregate`, so the figures are identical to the last bit. `value` is `aggregate`
over a contiguous run of days (optionally leaving some days out: like-for-like pairing),
for one shop or several combined (ratio of sums; levels last; scores averaged).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta

from opsdesk.domain.kpis import Daily, combine
from opsdesk.domain.metrics import Metric


class Columns:
    """One shop's daily values from `first` for `n` days, a column per metric; which days
    have a value is a bit set (bit i: day first + i)."""

    def __init__(self, daily: Daily, first: date, n: int) -> None:
        self.first = first
        self.n = n
        self.values: dict[str, list[float]] = {}
        self.present: dict[str, int] = {}
        self.any = 0
        """Bit i set on the days with any value at all."""
        for d, row in daily.items():
            i = (d - first).days
            if not 0 <= i < n or not row:
                continue
            bit = 1 << i
            self.any |= bit
            for key, v in row.items():
                col = self.values.get(key)
                if col is None:
                    col = self.values[key] = [0.0] * n
                    self.present[key] = 0
                col[i] = v
                self.present[key] |= bit
        self._complete: dict[frozenset[str], tuple[int, dict[str, list[float]]]] = {}
        self._memo: dict[tuple[str, frozenset[str] | None, str, int, int], float | None] = {}
        self._dates: list[date] | None = None

    def rollup(
        self,
        key: str,
        inputs: frozenset[str] | None,
        aggregation: str,
        lo: int,
        hi: int,
        drop: Collection[int] = (),
    ) -> float | None:
        """`key` over days lo..hi (but `drop`) by its aggregation; with `inputs` (a formula's),
        on the days on which every input has a value only. Remembered (without `drop`): the
        all-shops figures ask again for each shop's."""
        memo = (key, inputs, aggregation, lo, hi)
        if not drop and memo in self._memo:
            return self._memo[memo]
        if inputs is None:
            values, present = self.values[key], self.present[key]
        else:
            present, masked = self.complete(inputs)
            values = masked[key]
        v = _base(values, present, aggregation, lo, hi, drop)
        if not drop:
            self._memo[memo] = v
        return v

    @classmethod
    def laid_out(
        cls,
        first: date,
        n: int,
        values: dict[str, list[float]],
        flags: Mapping[str, bytes | bytearray],
    ) -> Columns:
        """From columns already laid out (`values`, and a 0/1 byte per day in `flags`)."""
        self = cls({}, first, n)
        self.values = values
        self.present = {k: _bits_of(f) for k, f in flags.items()}
        for bits in self.present.values():
            self.any |= bits
        return self

    def only(self, days: int) -> Columns:
        """These columns on the days in the bit set `days` only (the others emptied)."""
        out = Columns({}, self.first, self.n)
        for key, bits in self.present.items():
            kept = bits & days
            col = self.values[key]
            if kept != bits:
                col = list(col)
                gone = bits & ~kept
                while gone:
                    low = gone & -gone
                    col[low.bit_length() - 1] = 0.0
                    gone ^= low
            out.values[key] = col
            out.present[key] = kept
            out.any |= kept
        return out

    def daily(self, start: date, end: date) -> dict[date, dict[str, float]]:
        """The day -> values mapping (kpis.Daily) of the days from `start` to `end`."""
        out: dict[date, dict[str, float]] = {}
        for i in range(max(self.index(start), 0), min(self.index(end), self.n - 1) + 1):
            if self.any >> i & 1:
                out[self.day(i)] = {
                    k: self.values[k][i] for k, bits in self.present.items() if bits >> i & 1
                }
        return out

    def index(self, d: date) -> int:
        return (d - self.first).days

    def day(self, i: int) -> date:
        if self._dates is None:
            self._dates = [self.first + timedelta(days=k) for k in range(self.n)]
        return self._dates[i]

    def complete(self, inputs: frozenset[str]) -> tuple[int, dict[str, list[float]]]:
        """The days on which every input has a value (a bit set), and each input's values on
        those days only (0.0 elsewhere)."""
        found = self._complete.get(inputs)
        if found is not None:
            return found
        if not inputs <= self.present.keys():
            out: tuple[int, dict[str, list[float]]] = (0, {})
        else:
            mask = -1
            for k in inputs:
                mask &= self.present[k]
            masked = {}
            for k in inputs:
                if self.present[k] == mask:  # the usual case: the inputs come together
                    masked[k] = self.values[k]
                else:
                    masked[k] = [v if mask >> i & 1 else 0.0 for i, v in enumerate(self.values[k])]
            out = (mask, masked)
        self._complete[inputs] = out
        return out


_FLAG_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _bits_of(flags: bytes | bytearray) -> int:
    """A 0/1 byte per day as a bit set (bit i: day i)."""
    if not flags:
        return 0
    return int(flags.translate(_FLAG_DIGITS)[::-1], 2)


def _bits(mask: int, lo: int, hi: int, drop: Collection[int]) -> int:
    """How many of bits lo..hi are set, those in `drop` aside."""
    found = (mask >> lo & ((1 << (hi - lo + 1)) - 1)).bit_count()
    return found - sum(1 for i in drop if lo <= i <= hi and mask >> i & 1)


def _base(
    values: Sequence[float],
    present: int,
    aggregation: str,
    lo: int,
    hi: int,
    drop: Collection[int],
) -> float | None:
    """`kpis._base` over days lo..hi (indices) but those in `drop`."""
    lo, hi = max(lo, 0), min(hi, len(values) - 1)
    if lo > hi or not _bits(present, lo, hi, drop):
        return None
    if aggregation == "last":
        for i in range(hi, lo - 1, -1):
            if present >> i & 1 and i not in drop:
                return values[i]
        return None
    if drop:
        part = list(values[lo : hi + 1])
        for i in drop:
            if lo <= i <= hi:
                part[i - lo] = 0.0
        return float(sum(part, 0.0))
    return float(sum(values[lo : hi + 1], 0.0))


def count(
    cols: Columns, keys: frozenset[str], start: date, end: date, drop: Collection[int] = ()
) -> int:
    """Days from `start` to `end` (those in `drop` aside) on which every key has a value."""
    mask, _ = cols.complete(keys)
    lo, hi = max(cols.index(start), 0), min(cols.index(end), cols.n - 1)
    if lo > hi:
        return 0
    return _bits(mask, lo, hi, drop)


def value(
    metric: Metric,
    metrics: Mapping[str, Metric],
    shops: Sequence[Columns],
    start: date,
    end: date,
    drops: Sequence[Collection[int]] | None = None,
) -> float | None:
    """`kpis.aggregate(metric, metrics, dailies, days from start to end)` over the shops'
    columns; `drops[i]`: day indices of shop i left out."""
    if metric.formula is None:
        per_shop = []
        for j, c in enumerate(shops):
            if metric.key not in c.values:
                continue
            lo, hi = c.index(start), c.index(end)
            drop = drops[j] if drops else ()
            v = c.rollup(metric.key, None, metric.aggregation, lo, hi, drop)
            if v is not None:
                per_shop.append(v)
        return combine(per_shop, metric)
    inputs = metric.formula.inputs
    sums: dict[str, list[float]] = {k: [] for k in inputs}
    for j, c in enumerate(shops):
        if not c.complete(inputs)[1]:
            continue  # an input never recorded: no complete day
        drop = drops[j] if drops else ()
        lo, hi = c.index(start), c.index(end)
        for k in inputs:  # all None when no day in the span is complete (kpis.aggregate)
            agg = metrics[k].aggregation if k in metrics else "sum"
            v = c.rollup(k, inputs, agg, lo, hi, drop)
            if v is not None:
                sums[k].append(v)
    combined = {k: combine(vs, metrics.get(k)) for k, vs in sums.items()}
    return metric.formula.evaluate(combined)


def day_series(
    metric: Metric,
    metrics: Mapping[str, Metric],
    shops: Sequence[Columns],
    start: date,
    end: date,
) -> list[tuple[date, float]]:
    """`pdca.daily_series` over the shops' columns: (day, value) for each day from `start`
    to `end` on which every shop has the metric's inputs and the value is defined."""
    if not shops:
        return []
    keys = metric.formula.inputs if metric.formula is not None else frozenset((metric.key,))
    every = -1
    for c in shops:
        every &= c.complete(keys)[0]
    first = shops[0]
    out: list[tuple[date, float]] = []
    for i in range(max(first.index(start), 0), min(first.index(end), first.n - 1) + 1):
        if not every >> i & 1:
            continue
        if len(shops) == 1:  # one shop: its own values (combining one value changes nothing)
            row = first.values
            if metric.formula is None:
                v: float | None = row[metric.key][i]
            else:
                v = metric.formula.evaluate({k: row[k][i] for k in keys})
        elif metric.formula is None:
            v = combine([c.values[metric.key][i] for c in shops], metric)
        else:
            v = metric.formula.evaluate(
                {k: combine([c.values[k][i] for c in shops], metrics.get(k)) for k in keys}
            )
        if v is not None:
            out.append((first.day(i), v))
    return out
