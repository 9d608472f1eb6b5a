"""The files made for people (the Excel CSV and the xlsx): what a reader needs first, in words.

The columns come in tables.yaml's reading order (`display.reading`), then the
rest, with ids, codes of the municipality and places in the source last
(display.people_columns).  Headings are the Japanese titles; a column that
holds a version shows the version's name, under its title without 「ID」
(「変更前の版」); codes are shown as their labels and true/false as はい/いいえ
(schema.for_people).  A column whose values another table names (goal_no,
tables.yaml `value_labels`) is followed by that name, 「基本目標３　若い世代の…」, in every table but
the one that names them.
The CSV and JSON made for programs keep the schema's order and the codes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .display import people_columns, render, value_labels
from .schema import Table, for_people, version_fields

#: what a version column's title ends with, left off when the column shows the version's name
ID_SUFFIX = "ID"


@dataclass(frozen=True)
class Column:
    """One column of a file for people."""

    name: str  #: the table's column it is read from
    field: dict  #: its Table Schema field (for a derived column, a field describing it)
    title: str  #: its heading
    derived: bool = False  #: a name looked up in another table (value_labels), not the column's own value


def columns(table: Table) -> list[Column]:
    """The columns of a table's files for people, in the order a reader needs them."""
    versions = version_fields(table)
    named = value_labels()
    out = []
    for name in people_columns(table.name):
        f = table.field(name)
        title = f["title"].removesuffix(ID_SUFFIX) if name in versions else f["title"]
        out.append(Column(name, f, title))
        # the goals table names its own goals: the name is added to the tables that only number them
        if name in named and named[name]["table"] != table.name:
            spec = named[name]
            description = f"{f['title']}（{name}）が指す{spec['title']}の見出しと文言（最新の版のもの）。"
            derived = {"name": name, "type": "string", "title": spec["title"], "description": description}
            out.append(Column(name, derived, spec["title"], derived=True))
    return out


def version_labels(conn: sqlite3.Connection) -> dict[int, str]:
    """Each version's name."""
    return dict(conn.execute("SELECT id, label FROM versions ORDER BY id").fetchall())


def value_names(conn: sqlite3.Connection) -> dict[str, dict]:
    """Column → value → the name tables.yaml gives it (`value_labels`, `long`), from the latest version's rows."""
    latest = conn.execute("SELECT id FROM versions ORDER BY seq DESC LIMIT 1").fetchone()
    out: dict[str, dict] = {}
    for column, spec in value_labels().items():
        cur = conn.execute(f'SELECT * FROM "{spec["table"]}" WHERE version_id = ?', [latest[0] if latest else None])
        heads = [d[0] for d in cur.description]
        out[column] = {
            row[heads.index(spec["key"])]: render(spec["long"], dict(zip(heads, row, strict=True))) for row in cur
        }
    return out


@dataclass(frozen=True)
class Names:
    """What the cells of one build are named by: versions, and values named in other tables."""

    versions: dict[int, str]
    values: dict[str, dict]
    #: each version's description (the sources manifest's words), for the files' about sheet
    descriptions: dict[int, str | None]

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> Names:
        described = dict(conn.execute("SELECT id, description FROM versions ORDER BY id").fetchall())
        return cls(version_labels(conn), value_names(conn), described)


def cells(table: Table, cols: list[Column], row: tuple, names: Names) -> list[Any]:
    """One row (in the table's own column order) as the files for people show it; None for an empty cell."""
    versions = version_fields(table)
    values = dict(zip(table.columns, row, strict=True))
    out = []
    for c in cols:
        raw = values[c.name]
        if c.derived:
            out.append(names.values.get(c.name, {}).get(raw) if raw is not None else None)
        else:
            out.append(for_people(raw, c.field, names.versions if c.name in versions else None))
    return out
