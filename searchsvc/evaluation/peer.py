"""The peer: SQLite FTS5 bm25 over the same extracted documents, any query word.

The configuration is the one the 18F judged set's ``baseline`` describes
(and a site team can reproduce with SQLite alone): the porter tokenizer over
unicode61, column weights title 3, summary 1.5, body 1, tags 1.5, the query's
words joined with OR, the first 10 by bm25.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Iterable

from .metrics import DEPTH

COLUMNS = ("title", "summary", "body", "tags")
WEIGHTS = (3.0, 1.5, 1.0, 1.5)


def documents_of(gen) -> Iterable[tuple[str, str, str, str, str]]:
    """(id, title, summary, body, tags) of every live document, as the service's index stores them."""
    searcher = gen.searcher
    for docnum in range(gen.size):
        if not gen.live[docnum]:
            continue
        stored = searcher.stored_fields(docnum)
        tags = json.loads(stored.get("facet_values") or "{}").get("tags", [])
        yield stored["id"], stored.get("title", ""), stored.get("summary", ""), stored.get("body", ""), " ; ".join(tags)


class FTS5Peer:
    def __init__(self, docs: Iterable[tuple[str, str, str, str, str]]):
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            f"CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, {', '.join(COLUMNS)}, tokenize='porter unicode61')"
        )
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", list(docs))
        self.rank_sql = (
            f"SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, {', '.join(map(str, WEIGHTS))}) LIMIT ?"
        )

    def rank(self, q: str) -> list[str]:
        words = re.findall(r"\w+", q)
        if not words:
            return []
        match = " OR ".join('"' + w + '"' for w in words)
        return [row[0] for row in self.db.execute(self.rank_sql, (match, DEPTH))]

    def close(self) -> None:
        self.db.close()
