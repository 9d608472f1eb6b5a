"""The package stage (build.STAGES) — export: the database's tables as CSV files and a Frictionless datapackage.json.

The output depends only on the data: rows in primary-key order, fixed
formatting, no timestamps, so a rebuild from the same source gives the same
bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from pathlib import Path

from .manifest import Manifest
from .schema import package_meta, table, tables, to_cell

DATA_DIR = "data"
DESCRIPTOR = "datapackage.json"


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def table_rows(
    conn: sqlite3.Connection, name: str, where: dict[str, list] | None = None
) -> tuple[list[str], list[tuple]]:
    """A table's columns and rows in primary-key order; with `where`, only the rows whose column has one of the
    values given for it (the column names must be the schema's, the values are bound as parameters)."""
    t = table(name)
    where = where or {}
    unknown = set(where) - set(t.columns)
    if unknown:
        raise KeyError(f"{name}: no columns {sorted(unknown)}")
    order = ", ".join(f'"{c}"' for c in t.primary_key)
    cols = ", ".join(f'"{c}"' for c in t.columns)
    conditions = " AND ".join(f'"{c}" IN ({", ".join("?" * len(vs))})' for c, vs in where.items())
    sql = f'SELECT {cols} FROM "{name}"' + (f" WHERE {conditions}" if conditions else "") + f" ORDER BY {order}"
    return t.columns, conn.execute(sql, [v for vs in where.values() for v in vs]).fetchall()


def write_csv(conn: sqlite3.Connection, name: str, path: Path) -> None:
    """One table as UTF-8 CSV (no BOM, header on line 1, empty cell for NULL)."""
    t = next(t for t in tables() if t.name == name)
    columns, rows = table_rows(conn, name)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([to_cell(v, t.field(c)) for c, v in zip(columns, row, strict=False)])


def export_package(db_path: Path, out_dir: Path, manifest: Manifest) -> list[Path]:
    """Write data/*.csv and datapackage.json under `out_dir`; return the files written, descriptor last.

    The source documents must already be at their place in `out_dir` (sources/).
    """
    meta = package_meta()
    (out_dir / DATA_DIR).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    resources = []
    conn = sqlite3.connect(db_path)
    try:
        for t in tables():
            rel = f"{DATA_DIR}/{t.name}.csv"
            path = out_dir / rel
            write_csv(conn, t.name, path)
            written.append(path)
            resources.append(
                {
                    "name": t.name,
                    "title": t.title,
                    "description": " ".join(t.description.split()),
                    "path": rel,
                    "profile": "tabular-data-resource",
                    "scheme": "file",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "hash": "sha256:" + sha256_file(path),
                    "bytes": path.stat().st_size,
                    "schema": t.table_schema(),
                }
            )
    finally:
        conn.close()
    descriptor = {
        "profile": "data-package",
        "name": meta["name"],
        "title": meta["title"],
        "description": " ".join(meta["description"].split()),
        "keywords": meta["keywords"],
        "language": meta["language"],
        "licenses": [meta["license"]],
        "licenseNote": " ".join(meta["license_note"].split()),
        "attribution": meta["attribution"],
        "sources": [
            {
                "title": document.title,
                "path": document.package_path,
                "publisher": meta["source"]["publisher"],
                "description": " ".join(meta["source"]["description"].split()),
                "hash": "sha256:" + sha256_file(out_dir / document.package_path),
                "bytes": (out_dir / document.package_path).stat().st_size,
            }
            for document in manifest.documents
        ],
        "contributors": [{"title": "砂川市 総合戦略オープンデータポータル", "role": "wrangler"}],
        "resources": resources,
    }
    path = out_dir / DESCRIPTOR
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    return written
