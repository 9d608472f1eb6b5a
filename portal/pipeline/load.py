"""The database stage (build.STAGES) — load: the rows into a new SQLite file, typed and keyed by the Table Schema."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from ..search import SEARCHABLE, document
from .display import search_related
from .errors import BuildError
from .schema import tables


def write_database(rows: dict[str, list[dict]], path: Path) -> None:
    """Create the database at `path` (which must not exist yet) with every table, key and index."""
    db = sqlite_utils.Database(path)
    try:
        with db.conn:
            for t in tables():
                db.execute(t.ddl())
                if rows[t.name]:
                    db[t.name].insert_all(rows[t.name])
                for cols in t.index_columns():
                    db[t.name].create_index(cols, find_unique_name=True)
            for name, columns in SEARCHABLE.items():
                write_search_index(db, name, search_texts(rows, name, columns))
        problems = db.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise BuildError(f"外部キーの参照先がない行があります: {problems[:5]}")
        db.execute("ANALYZE")
        db.vacuum()
    finally:
        db.close()


def search_texts(rows: dict[str, list[dict]], name: str, columns: list[str]) -> list[tuple[int, list]]:
    """Each row's searchable texts: its own columns, then those of the related rows tables.yaml names for it
    (`display.search.related`: a KPI is found by its project's description and its goal's title too)."""
    related = []
    for rel in search_related(name):
        index: dict[tuple, list] = {}
        for r in rows[rel["table"]]:
            index.setdefault(tuple(r[c] for c in rel["match"]), []).append(r)
        related.append((rel, index))
    out = []
    for row in rows[name]:
        texts = [row[c] for c in columns]
        for rel, index in related:
            for other in index.get(tuple(row[c] for c in rel["match"].values()), []):
                texts += [other[c] for c in rel["columns"]]
        out.append((row["id"], texts))
    return out


def write_search_index(db: sqlite_utils.Database, name: str, texts: list[tuple[int, list]]) -> None:
    """The bigram FTS5 index of one table: "<name>_fts", rowid = the row's id (see portal.search)."""
    db.execute(f"CREATE VIRTUAL TABLE \"{name}_fts\" USING fts5(body, tokenize = 'ascii')")
    db.conn.executemany(
        f'INSERT INTO "{name}_fts" (rowid, body) VALUES (?, ?)', [(i, document(values)) for i, values in texts]
    )
