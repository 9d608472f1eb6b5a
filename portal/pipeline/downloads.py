"""The downloads stage (build.STAGES): every table in the formats journalists open, the whole package, and their file index.

Written at build time next to the database; the server only reads the
file index and hands out the files it lists.  Everything comes from the built
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

from ..paths import FILE_INDEX
from . import people
from .display import formats
from .export import DESCRIPTOR, sha256_file, table_rows
from .schema import Table, package_meta, tables, to_cell, to_json
from .workbook import write_workbook

ZIP_NAME = "strategy-datapackage.zip"
DB_NAME = "strategy.db"
#: fixed timestamp for the entries of the zip, so the same data gives the same bytes
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

#: the forms of every table, with their labels and media types (tables.yaml `formats`)
FORMATS = formats()

#: what a spreadsheet reads as the start of a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def people_cell(shown, field: dict) -> str:
    """A cell of the Excel CSV from its value for people (people.cells): text that Excel cannot take for a formula."""
    if shown is None:
        return ""
    if isinstance(shown, str):
        # OWASP's advice for "CSV injection": a leading apostrophe makes a spreadsheet keep the cell as text
        return "'" + shown if shown.startswith(FORMULA_START) else shown
    return to_cell(shown, field)


def write_people_csv(fh: TextIO, table: Table, rows: list[tuple], names: people.Names) -> None:
    """The Excel CSV's body: the columns for people (people.py), Japanese headings, CRLF (the BOM is the caller's)."""
    cols = people.columns(table)
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow([c.title for c in cols])
    for row in rows:
        writer.writerow(
            [people_cell(v, c.field) for c, v in zip(cols, people.cells(table, cols, row, names), strict=True)]
        )


def write_excel_csv(conn: sqlite3.Connection, table: Table, path: Path) -> None:
    """UTF-8 with BOM, Japanese headers and values, CRLF: what Excel on Windows reads correctly."""
    _, rows = table_rows(conn, table.name)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        write_people_csv(fh, table, rows, people.Names.read(conn))


def write_xlsx(conn: sqlite3.Connection, table: Table, path: Path) -> None:
    _, rows = table_rows(conn, table.name)
    write_workbook([(table, rows)], people.Names.read(conn), path, provenance(conn))


def provenance(conn: sqlite3.Connection) -> list[dict]:
    """The source documents with what the sources manifest records of them, for the files' about sheet."""
    cur = conn.execute("SELECT * FROM documents ORDER BY id")
    heads = [d[0] for d in cur.description]
    return [dict(zip(heads, tuple(row), strict=True)) for row in cur]


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
        f"  {PEOPLE_DIR}/*.xlsx       表計算ソフトで見るための Excel ブック（日本語の見出しと値、説明のシート付き）",
        f"  {PEOPLE_DIR}/*.excel.csv  Excel用 CSV（UTF-8 BOM 付き、日本語の見出しと値）",
        "  datapackage.json  表の定義（型・日本語の項目名と説明・主キー・外部キー）と各ファイルの sha256",
        "  data/*.csv        プログラム向けの各表の CSV（UTF-8、1行目が英語の列名、コードのまま、空欄は値なし）",
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


#: the folder of the zip that holds the files for people (xlsx and Excel CSV), beside the package's CSVs
PEOPLE_DIR = "excel"


def write_zip(package_dir: Path, path: Path, sources: list[str], people_dir: Path) -> None:
    """The whole data package as one zip, byte-for-byte the same for the same data, with the files for people
    (each table's xlsx and Excel CSV, from `people_dir`) in excel/ beside the programmers' CSVs."""
    meta = package_meta()
    members = [(name, package_dir / name) for name in [DESCRIPTOR] + [f"data/{t.name}.csv" for t in tables()] + sources]
    members += [
        (f"{PEOPLE_DIR}/{t.name}{ext}", people_dir / f"{t.name}{ext}")
        for t in tables()
        for ext in (".xlsx", ".excel.csv")
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, source in members:
            info = zipfile.ZipInfo(f"{meta['name']}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, source.read_bytes())
        info = zipfile.ZipInfo(f"{meta['name']}/README.txt", date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, readme_text().encode("utf-8"))


def write_downloads(
    db_path: Path,
    package_dir: Path,
    out_dir: Path,
    built_at: datetime | None = None,
    first_published: dict[int, str] | None = None,
) -> dict:
    """Write every download file and the file index (paths.FILE_INDEX) into out_dir; return the index.

    `first_published` (change id → ISO time, history.py) goes into the index for the feed's dates.
    """
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
    write_zip(package_dir, out_dir / ZIP_NAME, sources, out_dir)
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
    index = {
        "built_at": built_at.astimezone(UTC).isoformat(timespec="seconds"),
        "source_sha256": sha256_file(package_dir / sources[0]),
        "first_published": {str(k): v for k, v in (first_published or {}).items()},
        "files": files,
    }
    (out_dir / FILE_INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return index
