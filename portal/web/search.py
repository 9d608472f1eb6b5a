"""検索 /search?q=: plan text, projects, KPIs, related projects, reasons and changes, with the bigram index."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from ..search import MAX_QUERY, SEARCHABLE, match_query, terms
from .common import citation
from .store import connect

bp = Blueprint("search", __name__)

GROUPS = {
    "texts": "計画の本文",
    "projects": "具体的な事業",
    "kpis": "数値目標と KPI",
    "related_projects": "主な関連事業",
    "changes": "変更点",
    "reasons": "変更理由",
}
LIMIT = 50


def search_ids(conn, table: str, query: str) -> list[int]:
    """Row ids of `table` whose text contains every term of the query."""
    return [
        r[0]
        for r in conn.execute(
            f'SELECT rowid FROM "{table}_fts" WHERE "{table}_fts" MATCH ? ORDER BY rowid', [match_query(query)]
        )
    ]


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY:
        abort(400, description=f"検索語は {MAX_QUERY} 文字までにしてください。")
    if "\x00" in q:
        abort(400, description="検索語に使えない文字が含まれています。")
    results = []
    total = 0
    first_change: dict[int, int] = {}
    if terms(q):
        build = current_app.extensions["build"].get()
        d = build.data
        for c in d.table("changes"):
            first_change.setdefault(c["reason_id"], c["id"])
        conn = connect(build.db)
        try:
            for table in SEARCHABLE:
                ids = search_ids(conn, table, q)
                total += len(ids)
                rows = [d.get(table, i) for i in ids[:LIMIT]]
                results.append({"table": table, "label": GROUPS[table], "rows": rows, "count": len(ids)})
        finally:
            conn.close()
    return render_template(
        "search/search.html",
        q=q,
        results=results,
        total=total,
        searched=bool(terms(q)),
        first_change=first_change,
        cite=citation(),
        sql="/data/strategy",
        csv=None,
    )
