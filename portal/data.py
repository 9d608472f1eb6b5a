"""Everything the pages show, read once per build from the database.

The database changes only when `portal build` publishes a new build, so the
rows are kept in memory with the build (portal.current) and read once.  Part
of the serving core with portal.current and portal.paths: it reads the
pipeline's published names only (the Table Schema), and the pages and
Datasette both read it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .pipeline.schema import tables


def connect(path: Path) -> sqlite3.Connection:
    """A read-only connection to the built database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


@dataclass
class Data:
    """The rows of every table, by id, and a few indexes the pages need."""

    path: Path
    rows: dict[str, dict]  #: by primary key: one column's value, or a tuple of several (source_pages)
    changes_by_element: dict[tuple[str, str, int], list[dict]] = field(default_factory=dict)

    def table(self, name: str) -> list[dict]:
        return list(self.rows[name].values())

    def get(self, name: str, key) -> dict | None:
        return self.rows[name].get(key)

    def changes_for(self, table: str, side: str, row_id: int) -> list[dict]:
        """Changes that touch a row ("before" or "after" side)."""
        return self.changes_by_element.get((table, side, row_id), [])


def load(path: Path) -> Data:
    conn = connect(path)
    try:
        rows: dict[str, dict] = {}
        for t in tables():
            pk = t.primary_key
            order = ", ".join(f'"{c}"' for c in pk)
            rows[t.name] = {
                (r[pk[0]] if len(pk) == 1 else tuple(r[c] for c in pk)): dict(r)
                for r in conn.execute(f'SELECT * FROM "{t.name}" ORDER BY {order}')
            }
    finally:
        conn.close()
    data = Data(path=path, rows=rows)
    for c in rows["changes"].values():
        for side in ("before", "after"):
            if c[f"{side}_id"] is not None:
                data.changes_by_element.setdefault((c["element_table"], side, c[f"{side}_id"]), []).append(c)
    return data
