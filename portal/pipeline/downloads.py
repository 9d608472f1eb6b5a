"""Stage 8 — downloads: every table in the formats journalists open, the whole package, and a manifest.

Written at build time next to the database; the server only reads the
manifest and hands out the files it lists.  Everything comes from the built
database and the exported package: no second copy of the data or of the
column descriptions is kept by hand.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from .export import DESCRIPTOR, sha256_file, table_rows
from .schema import for_people, package_meta, tables, to_cell, to_json, version_fields
from .workbook import write_workbook

MANIFEST = "manifest.json"
ZIP_NAME = "strategy-datapackage.zip"
DB_NAME = "strategy.db"
#: fixed timestamp for the entries of the zip, so the same data gives the same bytes
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

FORMATS = {
    "xlsx": {
        "label": "Excel ブック（xlsx）",
        "media_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    },
    "excel.csv": {
        "label": "Excel用 CSV（UTF-8 BOM付き・日本語の見出しと値）",
        "media_type": "text/csv; charset=utf-8; header=present",
    },
    "csv": {"label": "CSV（UTF-8）", "media_type": "text/csv; charset=utf-8; header=present"},
    "json": {"label": "JSON", "media_type": "application/json; charset=utf-8"},
}

#: what a spreadsheet reads as the start of a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def version_labels(conn: sqlite3.Connection) -> dict[int, str]:
    """Each version's name, for the files made for people."""
    return dict(conn.execute("SELECT id, label FROM versions ORDER BY id").fetchall())


def people_cell(value, field: dict, labels: dict[int, str] | None) -> str:
    """A cell of the Excel CSV: labels for codes, はい/いいえ, and text that Excel cannot take for a formula."""
    shown = for_people(value, field, labels)
    if shown is None:
        return ""
    if isinstance(shown, str):
        # OWASP's advice for "CSV injection": a leading apostrophe makes a spreadsheet keep the cell as text
        return "'" + shown if shown.startswith(FORMULA_START) else shown
    return to_cell(value, field)


def write_people_csv(fh: TextIO, table, columns: list[str], rows: list[tuple], labels: dict[int, str]) -> None:
    """The Excel CSV's body: Japanese headers, codes as labels, CRLF (the BOM is the caller's encoding)."""
    versions = version_fields(table)
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow([table.field(c)["title"] for c in columns])
    for row in rows:
        writer.writerow(
            [
                people_cell(v, table.field(c), labels if c in versions else None)
                for c, v in zip(columns, row, strict=True)
            ]
        )


def write_excel_csv(conn: sqlite3.Connection, table, path: Path) -> None:
    """UTF-8 with BOM, Japanese headers and values, CRLF: what Excel on Windows reads correctly."""
    columns, rows = table_rows(conn, table.name)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        write_people_csv(fh, table, columns, rows, version_labels(conn))


def write_xlsx(conn: sqlite3.Connection, table, path: Path) -> None:
    columns, rows = table_rows(conn, table.name)
    write_workbook(table, columns, rows, version_labels(conn), path)


def write_json(conn: sqlite3.Connection, table, path: Path) -> None:
    """An array of objects with typed values: numbers as numbers, booleans as booleans, NULL as null."""
    columns, rows = table_rows(conn, table.name)
    records = [{c: to_json(v, table.field(c)) for c, v in zip(columns, row, strict=False)} for row in rows]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def readme_text() -> str:
    """The short README inside the zip."""
    meta = package_meta()
    lines = [
        meta["title"],
        "",
        " ".join(meta["description"].split()),
        "",
        "中身:",
        "  datapackage.json  表の定義（型・日本語の項目名と説明・主キー・外部キー）と各ファイルの sha256",
        "  data/*.csv        各表の CSV（UTF-8、1行目が見出し、空欄は値なし）",
        f"  {meta['source']['path']}  元資料のテキスト",
        "",
        "値の約束: 数値は桁区切りなし、単位は別の列。「－」（基準値なし）は空欄で 0 ではない。",
        "「各年度」は年ではなく毎年度の目標（*_each_year が true、年は空欄）。和暦は西暦に換算し、元の表記も残している。",
        "",
        meta["attribution"],
        " ".join(meta["license_note"].split()),
        "",
    ]
    return "\r\n".join(lines)


def source_paths(conn: sqlite3.Connection) -> list[str]:
    """Where the source documents are in the package (documents.source_path), oldest first."""
    return [r[0] for r in conn.execute("SELECT source_path FROM documents ORDER BY id")]


def write_zip(package_dir: Path, path: Path, sources: list[str]) -> None:
    """The whole data package as one zip, byte-for-byte the same for the same data."""
    meta = package_meta()
    members = [DESCRIPTOR] + [f"data/{t.name}.csv" for t in tables()] + sources
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in members:
            info = zipfile.ZipInfo(f"{meta['name']}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (package_dir / name).read_bytes())
        info = zipfile.ZipInfo(f"{meta['name']}/README.txt", date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, readme_text().encode("utf-8"))


def write_downloads(db_path: Path, package_dir: Path, out_dir: Path, built_at: datetime | None = None) -> dict:
    """Write every download file and manifest.json into out_dir; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[dict] = []

    def add(
        name: str, kind: str, title: str, media_type: str, table: str | None = None, fmt: str | None = None
    ) -> None:
        path = out_dir / name
        files.append(
            {
                "name": name,
                "kind": kind,
                "table": table,
                "format": fmt,
                "title": title,
                "media_type": media_type,
                "bytes": path.stat().st_size,
                "sha256": sha256_file(path),
            }
        )

    conn = sqlite3.connect(db_path)
    try:
        for t in tables():
            shutil.copyfile(package_dir / "data" / f"{t.name}.csv", out_dir / f"{t.name}.csv")
            add(f"{t.name}.csv", "table", t.title, FORMATS["csv"]["media_type"], t.name, "csv")
            write_excel_csv(conn, t, out_dir / f"{t.name}.excel.csv")
            add(f"{t.name}.excel.csv", "table", t.title, FORMATS["excel.csv"]["media_type"], t.name, "excel.csv")
            write_xlsx(conn, t, out_dir / f"{t.name}.xlsx")
            add(f"{t.name}.xlsx", "table", t.title, FORMATS["xlsx"]["media_type"], t.name, "xlsx")
            write_json(conn, t, out_dir / f"{t.name}.json")
            add(f"{t.name}.json", "table", t.title, FORMATS["json"]["media_type"], t.name, "json")
        sources = source_paths(conn)
    finally:
        conn.close()
    write_zip(package_dir, out_dir / ZIP_NAME, sources)
    add(ZIP_NAME, "package", "データパッケージ一式（zip）", "application/zip")
    shutil.copyfile(package_dir / DESCRIPTOR, out_dir / DESCRIPTOR)
    add(DESCRIPTOR, "package", "datapackage.json（表の定義とハッシュ）", "application/json; charset=utf-8")
    shutil.copyfile(db_path, out_dir / DB_NAME)
    add(DB_NAME, "database", "SQLite データベース", "application/vnd.sqlite3")
    for rel in sources:
        source = package_dir / rel
        shutil.copyfile(source, out_dir / source.name)
        add(source.name, "source", "元資料のテキスト（新旧対照表）", "text/plain; charset=utf-8")

    built_at = built_at or datetime.now(UTC)
    manifest = {
        "built_at": built_at.astimezone(UTC).isoformat(timespec="seconds"),
        "source_sha256": sha256_file(package_dir / sources[0]),
        "files": files,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest
