"""How a count reads in English: `1 day`, `2 days`, `1,204 rows` (one home for plurals)."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """`n` and `noun`, plural unless `n` is 1: `counted(1, "day")` is `1 day`, 2 `2 days`,
    `counted(2, "mismatch")` is `2 mismatches`."""
    plural = noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{n:,} {noun if n == 1 else plural}"
