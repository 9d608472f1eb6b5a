"""Rows selected on request (/downloads/rows/<name>): a page's rows as the Excel CSV or a workbook."""

from __future__ import annotations

import io

from flask import abort, current_app, request, send_file

from ...data import connect
from ...pipeline import people
from ...pipeline.display import books
from ...pipeline.downloads import provenance, write_people_csv
from ...pipeline.export import table_rows
from ...pipeline.schema import Table, table
from ...pipeline.workbook import write_workbook
from . import bp

#: the most columns, and values of one column, a selection may name
MAX_FILTERS, MAX_VALUES = 8, 50
PEOPLE_CSV = ".excel.csv"


def filterable(t: Table) -> dict[str, dict]:
    """The columns rows can be selected by: whole numbers (ids, versions, goals) and coded columns."""
    return {f["name"]: f for f in t.fields if f["type"] == "integer" or "categories" in f}


def selection(t: Table) -> dict[str, list]:
    """The column = value conditions of the URL (a column given twice matches either value); 400 for anything else."""
    allowed = filterable(t)
    names = list(dict.fromkeys(request.args.keys()))
    if len(names) > MAX_FILTERS:
        abort(400, description=f"URL で絞り込める項目は {MAX_FILTERS} つまでです。")
    out: dict[str, list] = {}
    for name in names:
        f = allowed.get(name)
        if f is None:
            shown = name[:30]
            abort(
                400, description=f"URL の「{shown}」では「{t.title}」を絞り込めません。使える項目：{'、'.join(allowed)}"
            )
        raw = request.args.getlist(name)
        if len(raw) > MAX_VALUES:
            abort(400, description=f"URL の「{name}」の値は {MAX_VALUES} 個までです。")
        out[name] = [selection_value(name, f, v) for v in raw]
    return out


def selection_value(name: str, f: dict, raw: str):
    """One value of a selection: a code of the column, or a whole number of at most nine digits; 400 otherwise."""
    if "categories" in f:
        codes = {str(c["value"]): c["value"] for c in f["categories"]}
        if raw not in codes:
            abort(400, description=f"URL の「{name}」の値「{raw[:30]}」は使えません。")
        return codes[raw]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        abort(400, description=f"URL の「{name}」の値「{raw[:30]}」は整数ではありません。")
    return int(raw)


def selection_name(stem: str, where: dict[str, list], suffix: str) -> str:
    """The file name of a selection: kpis_version_id-2.excel.csv, goal_goal_no-3_version_id-2.xlsx."""
    parts = [stem] + [f"{k}-{'-'.join(str(v) for v in vs)}" for k, vs in where.items()]
    return "_".join(parts) + suffix


XLSX = ".xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/rows/<name>")
def selected_rows(name: str):
    """The rows a page shows, as a file to save: one table's selection as the Excel CSV, or a page's workbook
    (tables.yaml `books`, the goal page's projects, KPIs and related projects) as an xlsx.

    The files are made from the build's database with the same writers as the
    published Excel CSV and xlsx, so they agree cell for cell.
    """
    stem = name.removesuffix(PEOPLE_CSV) if name.endswith(PEOPLE_CSV) else name.removesuffix(XLSX)
    book = books().get(stem) if name.endswith(XLSX) else None
    try:
        t = table(stem) if name.endswith(PEOPLE_CSV) else None
    except KeyError:
        t = None
    if t is None and book is None:
        abort(404)
    if book is not None:
        return page_book(stem, book)
    where = selection(t)
    conn = connect(current_app.extensions["build"].get().db)
    try:
        _, rows = table_rows(conn, t.name, where)
        names_ = people.Names.read(conn)
    finally:
        conn.close()
    out = io.StringIO()
    write_people_csv(out, t, rows, names_)
    body = io.BytesIO(out.getvalue().encode("utf-8-sig"))
    return send_file(
        body,
        mimetype="text/csv",  # Flask adds the charset (utf-8) to text types
        as_attachment=True,
        download_name=selection_name(t.name, where, PEOPLE_CSV),
        max_age=0,
    )


def page_book(stem: str, book: dict):
    """A page's workbook: each table of the book, selected by the book's filters (each given once; 400 otherwise)."""
    parts = [table(n) for n in book["tables"]]
    where = selection(parts[0])
    missing = [f for f in book["filters"] if len(where.get(f, [])) != 1]
    if missing or set(where) - set(book["filters"]):
        abort(400, description=f"URL で {'・'.join(book['filters'])} をそれぞれ一つ指定してください。")
    conn = connect(current_app.extensions["build"].get().db)
    try:
        selected = [(t, table_rows(conn, t.name, where)[1]) for t in parts]
        names_ = people.Names.read(conn)
        documents = provenance(conn)
    finally:
        conn.close()
    out = io.BytesIO()
    write_workbook(selected, names_, out, documents)
    out.seek(0)
    return send_file(
        out, mimetype=XLSX_TYPE, as_attachment=True, download_name=selection_name(stem, where, XLSX), max_age=0
    )
