"""What every page view needs: the current data, version switching, citations, links to the same data."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, request

from ..pipeline.schema import package_meta
from .store import Data

DATA_PREFIX = "/data/strategy"


def data() -> Data:
    """The rows of the build being served."""
    return current_app.extensions["build"].get().data


def latest_version(d: Data) -> int:
    """The id of the newest version in the data (2 when there is one 新旧対照表)."""
    return max(d.rows["versions"], key=lambda v: d.rows["versions"][v]["seq"])


def version_param(name: str = "v") -> int:
    """The version asked for in the URL (one of versions.id, 1 = the oldest); the latest when not given."""
    raw = request.args.get(name)
    d = data()
    if raw is None or raw == "":
        return latest_version(d)
    ids = sorted(d.rows["versions"])
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) not in ids:
        named = "、".join(f"{v}（{d.rows['versions'][v]['label']}）" for v in ids)
        abort(400, description=f"URL の「{name}」は版の番号 {named} のどれかで指定してください。")
    return int(raw)


def int_param(name: str, allowed: set[int]) -> int | None:
    """A small whole number from the URL that must be one of `allowed`; 400 for anything else."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    # ASCII digits only, and few of them: 「²」 is a digit to str.isdigit() and 5,000 digits overflow int()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) not in allowed:
        abort(400, description=f"URL の「{name}」の値「{raw[:20]}」は使えません。")
    return int(raw)


def sql_link(table: str, **filters) -> str:
    """The same rows in Datasette."""
    query = urlencode({k: v for k, v in filters.items() if v is not None})
    return f"{DATA_PREFIX}/{table}" + (f"?{query}" if query else "")


def csv_link(table: str, **filters) -> str:
    """The same rows as a file to save: the Excel CSV (Japanese headings and labels), whole or selected.

    A filter's value may be a list (rows with any of the values).
    """
    params = {k: v for k, v in filters.items() if v is not None and v != []}
    if not params:
        return f"/downloads/{table}.excel.csv"
    return f"/downloads/rows/{table}.excel.csv?{urlencode(params, doseq=True)}"


def citation(plan_pages=(), source_pages=()) -> str:
    """「出典：砂川市「…」（資料Nページ、計画書Nページ）を加工して作成」."""
    name = package_meta()["source"]["name"]
    where = []
    sp = sorted({p for p in source_pages if p})
    pp = sorted({p for p in plan_pages if p})
    if sp:
        where.append("資料" + "・".join(str(p) for p in sp) + "ページ")
    if pp:
        where.append("計画書" + "・".join(str(p) for p in pp) + "ページ")
    place = f"（{'、'.join(where)}）" if where else ""
    return f"出典：砂川市「{name}」{place}を加工して作成"
