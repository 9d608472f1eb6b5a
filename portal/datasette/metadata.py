"""Datasette metadata, generated from the Table Schema (tables.yaml): nothing here is written twice."""

from __future__ import annotations

from .. import links
from ..pipeline.display import names, queries
from ..pipeline.schema import package_meta, tables
from ..search import SEARCHABLE

#: the canned queries (tables.yaml `queries`), their SQL written out
QUERIES: dict[str, dict] = queries()


def column_descriptions(t) -> dict[str, str]:
    """Each column's Japanese title and description, and the meaning of each of its codes, from tables.yaml."""
    out = {}
    for f in t.fields:
        text = f"{f['title']}：{' '.join(f['description'].split())}"
        if f.get("categories"):
            text += "（" + "、".join(f"{c['value']} = {c['label']}" for c in f["categories"]) + "）"
        out[f["name"]] = text
    return out


def metadata() -> dict:
    """Datasette's metadata for the portal's database, from tables.yaml."""
    meta = package_meta()
    table_meta: dict[str, dict] = {}
    for t in tables():
        entry: dict = {
            "title": f"{t.title}（{t.name}）",
            "description": " ".join(t.description.split()),
            "columns": column_descriptions(t),
            "facets": t.display.get("facets", []),
        }
        if "label_column" in t.display:
            entry["label_column"] = t.display["label_column"]
        if t.name in SEARCHABLE:
            entry["fts_table"] = f"{t.name}_fts"
            entry["fts_pk"] = "id"
        table_meta[t.name] = entry
    for name in SEARCHABLE:
        table_meta[f"{name}_fts"] = {"hidden": True}
    return {
        "title": f"{names()['site_short']}（SQLで調べる）",
        "description": "第２期砂川市まち・ひと・しごと創生総合戦略の変更前・変更後と変更点を、表として検索・絞り込み・SQLで調べられます。",
        "license": "CC BY 4.0（本ポータルによる加工部分）",
        "license_url": meta["license"]["path"],
        "source": meta["source"]["title"],
        "source_url": links.url_for("pages.about", _anchor="source"),
        "about": "ダウンロードと出典の表記",
        "about_url": links.url_for("downloads.index"),
        "databases": {
            links.DATABASE: {
                "title": meta["title"],
                "description": " ".join(meta["description"].split()),
                "license": "CC BY 4.0（本ポータルによる加工部分）",
                "license_url": meta["license"]["path"],
                "source": meta["source"]["title"],
                "source_url": links.url_for("pages.about", _anchor="source"),
                "tables": table_meta,
                "queries": {
                    k: {f: v[f] for f in ("title", "description", "sql", "params") if f in v}
                    for k, v in QUERIES.items()
                },
            }
        },
    }
