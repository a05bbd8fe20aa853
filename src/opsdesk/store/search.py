"""Full-text search over what people wrote (the `search_docs` index of migration 0004_search).

Queries whose every word has three characters or more go through FTS5 (trigram tokenizer:
any substring, Chinese included), ranked by bm25. A query with a shorter word (库存, 差评, "ok")
scans the index's text with LIKE instead (trigrams cannot match it), newest first. A query
FTS5 cannot parse (an unbalanced quote) is retried as one plain phrase. Search reads the
index only, never the observations.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from opsdesk.store.search_sources import KINDS

MIN_FTS_CHARS = 3
_OPERATORS = {"AND", "OR", "NOT"}
_WORD = re.compile(r'"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Hit:
    kind: str
    source: str
    object_type: str
    object_id: int | str
    part: int | str
    who: str | None
    at: datetime
    body: str
    spans: tuple[tuple[int, int], ...]  # (start, end) of each match in body
    score: float


def terms(query: str) -> list[str]:
    """The words (or quoted phrases) a query looks for, without FTS operators."""
    out = []
    for quoted, bare in _WORD.findall(query):
        word = quoted if quoted else bare.strip('()*"')
        if word and (quoted or word not in _OPERATORS) and not word.startswith("NEAR("):
            out.append(word)
    return out


def spans(body: str, words: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Where the words occur in `body` (case-insensitive), overlapping matches merged."""
    lower = body.casefold()
    found: list[tuple[int, int]] = []
    for w in words:
        needle = w.casefold()
        if not needle:
            continue
        start = lower.find(needle)
        while start >= 0:
            found.append((start, start + len(needle)))
            start = lower.find(needle, start + 1)
    merged: list[tuple[int, int]] = []
    for a, b in sorted(found):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


def _phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


def _filters(kinds: Sequence[str] | None, since: datetime | None) -> tuple[str, list[object]]:
    sql, params = "", list[object]()
    if kinds:
        for k in kinds:
            if k not in KINDS:
                raise ValueError(f"--kind: {k!r} is not one of {', '.join(KINDS)}")
        sql += f" AND d.kind IN ({', '.join('?' for _ in kinds)})"
        params.extend(kinds)
    if since is not None:
        sql += " AND d.at >= ?"
        params.append(since.isoformat())
    return sql, params


_COLUMNS = "d.kind, d.source, d.object_type, d.object_id, d.part, d.who, d.at, d.body"


def _hit(row: Sequence[object], words: Sequence[str], score: float) -> Hit:
    kind, source, otype, oid, part, who, at, body = row
    text = str(body)
    return Hit(
        str(kind),
        str(source),
        str(otype),
        oid,  # type: ignore[arg-type]
        part,  # type: ignore[arg-type]
        None if who is None else str(who),
        datetime.fromisoformat(str(at)),
        text,
        spans(text, words),
        score,
    )


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    kinds: Sequence[str] | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[Hit]:
    """The best `limit` hits for `query`; ValueError for an empty query or an unknown kind."""
    query = query.strip()
    if not query:
        raise ValueError("search: type something to look for")
    where, params = _filters(kinds, since)
    words = terms(query) or [query]
    cursor = conn.cursor()
    cursor.row_factory = None
    if all(len(w) >= MIN_FTS_CHARS for w in words):
        if where:  # filtered: rank every match that passes, then cut
            sql = (
                f"SELECT {_COLUMNS}, search_fts.rank FROM search_fts"  # noqa: S608
                " JOIN search_docs d ON d.id = search_fts.rowid"
                f" WHERE search_fts MATCH ?{where} ORDER BY search_fts.rank, d.id DESC LIMIT ?"
            )
            args: list[object] = [*params, limit]
        else:  # FTS5 ranks and cuts inside the index, then only the best are joined (~20% less)
            sql = (
                f"SELECT {_COLUMNS}, f.rank FROM (SELECT rowid, rank FROM search_fts"  # noqa: S608
                " WHERE search_fts MATCH ? ORDER BY rank LIMIT ?) f"
                " JOIN search_docs d ON d.id = f.rowid ORDER BY f.rank, d.id DESC"
            )
            args = [limit]
        try:
            rows = cursor.execute(sql, [query, *args]).fetchall()
        except sqlite3.OperationalError:  # FTS5 query syntax: look for the text as typed
            words = [query]
            rows = cursor.execute(sql, [_phrase(query), *args]).fetchall()
        return [_hit(r[:-1], words, float(r[-1])) for r in rows]
    like = " AND ".join("d.body LIKE ? ESCAPE '\\'" for _ in words)
    escaped = [
        "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words
    ]
    sql = (
        f"SELECT {_COLUMNS} FROM search_docs d WHERE {like}{where}"  # noqa: S608
        " ORDER BY d.at DESC, d.id DESC LIMIT ?"
    )
    rows = cursor.execute(sql, [*escaped, *params, limit]).fetchall()
    return [_hit(r, words, 0.0) for r in rows]
