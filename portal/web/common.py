"""What every page view needs: the current data, version switching, citations, links to the same data."""

from __future__ import annotations

from flask import abort, current_app, request

from .. import links
from ..data import Data
from ..pipeline.schema import package_meta


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
        shown = "、".join(str(v) for v in sorted(allowed)[:20]) or "なし"
        abort(400, description=f"URL の「{name}」の値「{raw[:20]}」は使えません。使える値：{shown}")
    return int(raw)


def sql_link(table: str, **filters) -> str:
    """The same rows in Datasette: exactly the filters given (no default of the table's page is added)."""
    return links.table(table, _all=True, **filters)


def csv_link(table: str, **filters) -> str:
    """The same rows as a file to save: the Excel CSV (Japanese headings and labels), whole or selected.

    A filter's value may be a list (rows with any of the values).
    """
    params = {k: v for k, v in filters.items() if v is not None and v != []}
    if not params:
        return links.download(f"{table}.excel.csv")
    return links.rows_download(f"{table}.excel.csv", params)


def book_link(name: str, **filters) -> str:
    """A page's rows as one workbook (tables.yaml `books`): /downloads/rows/<name>.xlsx?…"""
    return links.rows_download(f"{name}.xlsx", filters)


def page_list(pages: list[int]) -> str:
    """Page numbers as a reader writes them: runs of three or more as 「1～8」, the rest joined by 「・」."""
    runs: list[list[int]] = []
    for p in sorted(set(pages)):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return "・".join(f"{r[0]}～{r[-1]}" if len(r) >= 3 else "・".join(map(str, r)) for r in runs)


def citation(plan_pages=(), source_pages=(), documents=()) -> str:
    """「出典：砂川市「…」（Nページ、計画書Nページ）を加工して作成」: the pages of the document named, then the plan's.

    A source page is a page number, or a (document_id, page number) pair when
    the row it comes from says which document it was read from; `documents`
    adds documents a page shows rows of without pages.  With one 新旧対照表
    the source is named as in the package (tables.yaml `package.source`);
    with several, each document the rows come from is named by its title
    with its own pages, and a page showing no rows names them all.
    """
    docs = data().rows["documents"]
    pages_of: dict[int | None, set[int]] = {}
    for p in source_pages:
        doc, page = p if isinstance(p, tuple) else (None, p)
        if page:
            pages_of.setdefault(doc if len(docs) > 1 else None, set()).add(page)
    pp = sorted({p for p in plan_pages if p})
    plan = "計画書" + page_list(pp) + "ページ" if pp else None

    def place(where: list[str]) -> str:
        return f"（{'、'.join(where)}）" if where else ""

    def pages(doc: int | None) -> list[str]:
        sp = sorted(pages_of.get(doc, ()))
        return [page_list(sp) + "ページ"] if sp else []

    if len(docs) <= 1:
        name = package_meta()["source"]["name"]
        return f"出典：砂川市「{name}」{place(pages(None) + ([plan] if plan else []))}を加工して作成"
    named = sorted({*documents, *(k for k in pages_of if k is not None)}) or sorted(docs)
    if len(named) == 1 and None not in pages_of:
        return f"出典：砂川市「{docs[named[0]]['title']}」{place(pages(named[0]) + ([plan] if plan else []))}を加工して作成"
    sources = "、".join(f"「{docs[i]['title']}」{place(pages(i))}" for i in named)
    if None in pages_of:  # pages given without their document follow the names, with the plan's pages
        return f"出典：砂川市{sources}{place(pages(None) + ([plan] if plan else []))}を加工して作成"
    return f"出典：砂川市{sources}を加工して作成{place([plan] if plan else [])}"
