"""The downloads page (/downloads/) and the API guide (/downloads/api)."""

from __future__ import annotations

import json

from flask import render_template

from ... import links
from ...pipeline.downloads import DB_NAME, FORMATS, ZIP_NAME
from ...pipeline.export import DESCRIPTOR
from ...pipeline.schema import package_meta, tables
from ..common import citation
from . import bp, file_index
from .catalog import schema_org


@bp.get("/")
def index():
    m = file_index()
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
        index=m,
        meta=meta,
        jsonld=json.dumps(schema_org(m), ensure_ascii=False).replace("</", "<\\/"),
        cite=citation(),
        sql=links.database(),
        csv=None,
    )


@bp.get("/api")
def api():
    return render_template("downloads/api.html", cite=citation(), sql=links.database(), csv=None)
