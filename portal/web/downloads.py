"""ダウンロード: every table as CSV, Excel CSV and JSON, the package, the database; dictionary, API guide, DCAT."""

from __future__ import annotations

import io
import json
import re

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for

from .. import links
from ..data import connect
from ..pipeline import people
from ..pipeline.display import books, names
from ..pipeline.downloads import DB_NAME, FORMATS, ZIP_NAME, provenance, write_people_csv
from ..pipeline.export import DESCRIPTOR, table_rows
from ..pipeline.schema import Table, labels, package_meta, table, tables, to_cell
from ..pipeline.workbook import write_workbook
from .common import citation, data

bp = Blueprint("downloads", __name__, url_prefix="/downloads")


def manifest() -> dict:
    """The current build's download manifest; 503 when the build has no downloads."""
    m = current_app.extensions["build"].get().manifest
    if not m["files"]:
        abort(503, description="ダウンロード用のファイルがまだ作られていません。portal build を実行してください。")
    return m


def absolute(path: str) -> str:
    """An absolute URL of the portal: its origin is the configured public one (the Host header is pinned to it)."""
    return request.url_root.rstrip("/") + path


def publisher() -> dict:
    """Who publishes this dataset: the portal, with its operator when the deployment names one."""
    op = current_app.config["OPERATOR"]
    name = names()["site"]
    return {"name": f"{name}（運営：{op.name}）" if op.is_set else name, "contact": op.href}


def sources() -> list[dict]:
    """The source documents with what the sources manifest records of them (a missing fact stays missing)."""
    return [
        {"title": doc["title"], "published": doc["published"], "page": doc["page_url"], "pdf": doc["pdf_url"]}
        for doc in sorted(data().table("documents"), key=lambda doc: doc["id"])
    ]


def unrecorded(source: dict) -> str | None:
    """A note of what the manifest does not record of a document, for the catalogues."""
    said = [] if source["published"] else [f"公表日：{names()['undated']}"]
    missing = [word for key, word in (("page", "公開ページ"), ("pdf", "PDF")) if not source[key]]
    said += [f"{'・'.join(missing)}：{names()['not_recorded']}"] if missing else []
    return "。".join(said) or None


def contact_point() -> dict:
    """DCAT's contact of the dataset: the operator's address or page, when the deployment gives one."""
    pub = publisher()
    if not pub["contact"]:
        return {}
    kind = "vcard:hasEmail" if pub["contact"].startswith("mailto:") else "vcard:hasURL"
    return {
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": pub["name"], kind: {"@id": pub["contact"]}}
    }


def schema_org(m: dict) -> dict:
    """schema.org Dataset for the head of /downloads/."""
    meta = package_meta()
    pub = publisher()
    address = pub["contact"] or ""
    contact = (
        {"email": address.removeprefix("mailto:")}
        if address.startswith("mailto:")
        else {"url": address}
        if address
        else {}
    )
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": meta["title"],
        "description": " ".join(meta["description"].split()),
        "url": absolute(url_for("downloads.index")),
        "inLanguage": "ja",
        "keywords": meta["keywords"],
        "license": meta["license"]["path"],
        "creditText": meta["attribution"],
        "isBasedOn": [
            {
                "@type": "CreativeWork",
                "name": src["title"],
                "publisher": {"@type": "GovernmentOrganization", "name": meta["source"]["publisher"]},
                **({"datePublished": src["published"]} if src["published"] else {}),
                **({"url": src["page"]} if src["page"] else {}),
                **({"encoding": {"@type": "MediaObject", "contentUrl": src["pdf"]}} if src["pdf"] else {}),
                **({"description": unrecorded(src)} if unrecorded(src) else {}),
            }
            for src in sources()
        ],
        "spatialCoverage": {"@type": "Place", "name": meta["publisher"]["municipality_name"]},
        # the time the portal built the data, not the revision's date
        "dateModified": m["built_at"],
        "publisher": {"@type": "Organization", "name": pub["name"], **contact},
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f["name"],
                "contentUrl": absolute(links.download(f["name"])),
                "encodingFormat": f["media_type"].split(";")[0],
                "contentSize": f"{f['bytes']} B",
                "sha256": f["sha256"],
            }
            for f in m["files"]
        ],
    }


def dcat(m: dict) -> dict:
    """DCAT (JSON-LD) description of the dataset and its distributions."""
    meta = package_meta()
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "spdx": "http://spdx.org/rdf/terms#",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": absolute(url_for("downloads.dcat_jsonld", _anchor="dataset")),
        "@type": "dcat:Dataset",
        "dct:title": {"@value": meta["title"], "@language": "ja"},
        "dct:description": {"@value": " ".join(meta["description"].split()), "@language": "ja"},
        "dct:language": {"@id": "http://id.loc.gov/vocabulary/iso639-1/ja"},
        "dcat:keyword": [{"@value": k, "@language": "ja"} for k in meta["keywords"]],
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": publisher()["name"]},
        **contact_point(),
        "dct:source": [
            {
                "dct:title": src["title"],
                "dct:publisher": {"@type": "foaf:Organization", "foaf:name": meta["source"]["publisher"]},
                **({"dct:issued": {"@value": src["published"], "@type": "xsd:date"}} if src["published"] else {}),
                **({"foaf:page": {"@id": src["page"]}} if src["page"] else {}),
                **({"dcat:downloadURL": {"@id": src["pdf"]}} if src["pdf"] else {}),
                **({"dct:description": {"@value": unrecorded(src), "@language": "ja"}} if unrecorded(src) else {}),
            }
            for src in sources()
        ],
        "dct:spatial": {
            "@type": "dct:Location",
            "foaf:name": meta["publisher"]["municipality_name"],
            "dct:identifier": meta["publisher"]["municipality_code"],
        },
        "dct:license": {"@id": meta["license"]["path"]},
        "dct:rights": " ".join(meta["license_note"].split()),
        "dct:modified": {"@value": m["built_at"], "@type": "xsd:dateTime"},
        "dcat:landingPage": {"@id": absolute(url_for("downloads.index"))},
        "dcat:distribution": [
            {
                "@id": absolute(links.download(f["name"])),
                "@type": "dcat:Distribution",
                "dct:title": f"{f['title']}（{f['name']}）",
                "dcat:downloadURL": {"@id": absolute(links.download(f["name"]))},
                "dcat:mediaType": {
                    "@id": "https://www.iana.org/assignments/media-types/" + f["media_type"].split(";")[0]
                },
                "dcat:byteSize": {"@value": str(f["bytes"]), "@type": "xsd:nonNegativeInteger"},
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
                    "spdx:checksumValue": f["sha256"],
                },
                "dct:license": {"@id": meta["license"]["path"]},
            }
            for f in m["files"]
        ],
    }


@bp.get("/")
def index():
    m = manifest()
    by_name = m["by_name"]
    # the main tables first (tables.yaml display.main), then the others in tables.yaml's order
    ordered = sorted(tables(), key=lambda t: t.display.get("main", len(tables()) + 1))
    rows = [{"table": t, "files": {fmt: by_name[f"{t.name}.{fmt}"] for fmt in FORMATS}} for t in ordered]
    meta = package_meta()
    others = [by_name[n] for n in (ZIP_NAME, DESCRIPTOR, DB_NAME)] + [f for f in m["files"] if f["kind"] == "source"]
    return render_template(
        "downloads/index.html",
        rows=rows,
        formats=FORMATS,
        others=others,
        manifest=m,
        meta=meta,
        jsonld=json.dumps(schema_org(m), ensure_ascii=False).replace("</", "<\\/"),
        cite=citation(),
        sql=links.database(),
        csv=None,
    )


#: the Table Schema types in words (the dictionary's 「型」)
TYPE_WORDS = {
    "integer": "整数",
    "number": "数値（小数を含む）",
    "string": "文字列",
    "boolean": "真偽値（true／false）",
}


def pattern_words(pattern: str) -> str:
    """A pattern constraint as a reader says it: 「半角数字 6 桁」 for [0-9]{6}; any other pattern as written."""
    m = re.fullmatch(r"\[0-9\]\{(\d+)\}", pattern)
    return f"半角数字 {m.group(1)} 桁" if m else f"正規表現 {pattern} に合う形"


def constraint_words(t: Table, f: dict) -> list[str]:
    """The constraints of a field in words, in the order a reader needs them: can it be empty, then its range."""
    c = f.get("constraints", {})
    words = ["必ず値がある" if c.get("required") else "空欄のこともある"]
    if t.primary_key == [f["name"]]:
        words.append("主キー（行を一つに決める）")
    elif c.get("unique"):
        words.append("表の中で重複しない")
    low, high = c.get("minimum"), c.get("maximum")
    if low is not None or high is not None:
        words.append(
            " ".join(
                x for x in (f"{low} 以上" if low is not None else "", f"{high} 以下" if high is not None else "") if x
            )
        )
    if "pattern" in c:
        words.append(pattern_words(c["pattern"]))
    if "enum" in c and "categories" not in f:
        shown = [f"「{v}」" if f["type"] == "string" else to_cell(v, f) for v in c["enum"]]
        words.append("値は" + "・".join(shown) + "のどれか")
    known = {"required", "unique", "minimum", "maximum", "pattern", "enum"}
    # a constraint added to tables.yaml later is shown as written rather than left out
    words.extend(f"{k}: {v}" for k, v in c.items() if k not in known)
    return words


def row_counts() -> dict[str, int]:
    """Rows of every table in the build being served (one COUNT per table; the page is rendered once per build)."""
    conn = connect(current_app.extensions["build"].get().db)
    try:
        return {t.name: conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in tables()}
    finally:
        conn.close()


def dictionary_tables() -> list[dict]:
    """What the data dictionary shows of each table, all of it read from tables.yaml (and the row counts)."""
    titles = {t.name: t.title for t in tables()}
    counts = row_counts()
    out = []
    for t in tables():
        refs = {}
        for fk in t.foreign_keys:
            target = fk["reference"]["resource"] or t.name
            for mine, theirs in zip(fk["fields"], fk["reference"]["fields"], strict=True):
                refs[mine] = {"table": target, "title": titles[target], "field": theirs}
        fields = []
        for f in t.fields:
            fields.append(
                {
                    "name": f["name"],
                    "title": f["title"],
                    "description": f.get("description", ""),
                    "type": TYPE_WORDS.get(f["type"], f["type"]),
                    "constraints": constraint_words(t, f),
                    "codes": list(labels(t.name, f["name"]).items()) if "categories" in f else [],
                    "reference": refs.get(f["name"]),
                    "example": to_cell(f["example"], f) if "example" in f else None,
                }
            )
        out.append(
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "primary_key": t.primary_key,
                "rows": counts[t.name],
                "fields": fields,
            }
        )
    return out


@bp.get("/dictionary")
def dictionary():
    return render_template(
        "downloads/dictionary.html",
        tables=dictionary_tables(),
        type_words=TYPE_WORDS,
        cite=citation(),
        sql=links.database(),
        csv=None,
    )


@bp.get("/api")
def api():
    return render_template("downloads/api.html", cite=citation(), sql=links.database(), csv=None)


@bp.get("/dcat.jsonld")
def dcat_jsonld():
    return current_app.response_class(
        json.dumps(dcat(manifest()), ensure_ascii=False, indent=1),
        mimetype="application/ld+json",
    )


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
