"""Stage 6 — load: the rows into a new SQLite file, typed and keyed by the Table Schema."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from ..search import SEARCHABLE, document
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
                write_search_index(db, name, columns, rows[name])
        problems = db.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise BuildError(f"外部キーの参照先がない行があります: {problems[:5]}")
        db.execute("ANALYZE")
        db.vacuum()
    finally:
        db.close()


def write_search_index(db: sqlite_utils.Database, name: str, columns: list[str], rows: list[dict]) -> None:
    """The bigram FTS5 index of one table: "<name>_fts", rowid = the row's id (see portal.search)."""
    db.execute(f"CREATE VIRTUAL TABLE \"{name}_fts\" USING fts5(body, tokenize = 'ascii')")
    db.conn.executemany(
        f'INSERT INTO "{name}_fts" (rowid, body) VALUES (?, ?)',
        [(row["id"], document([row[c] for c in columns])) for row in rows],
    )
