"""ダウンロード: every table as CSV, Excel CSV and JSON, the package, the database; dictionary, API guide, DCAT."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request

from ..pipeline.downloads import DB_NAME, FORMATS, ZIP_NAME
from ..pipeline.export import DESCRIPTOR
from ..pipeline.schema import package_meta, tables
from .common import citation

bp = Blueprint("downloads", __name__, url_prefix="/downloads")

PORTAL_NAME = "砂川市 総合戦略オープンデータポータル"


def manifest() -> dict:
    """The current build's download manifest; 503 when the build has no downloads."""
    m = current_app.extensions["build"].get().manifest
    if not m["files"]:
        abort(503, description="ダウンロード用のファイルがまだ作られていません。portal build を実行してください。")
    return m


def absolute(path: str) -> str:
    """An absolute URL of the portal: its origin is the configured public one (the Host header is pinned to it)."""
    return request.url_root.rstrip("/") + path


def schema_org(m: dict) -> dict:
    """schema.org Dataset for the head of /downloads/."""
    meta = package_meta()
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": meta["title"],
        "description": " ".join(meta["description"].split()),
        "url": absolute("/downloads/"),
        "inLanguage": "ja",
        "keywords": meta["keywords"],
        "license": meta["license"]["path"],
        "creditText": meta["attribution"],
        "isBasedOn": {
            "@type": "CreativeWork",
            "name": meta["source"]["title"],
            "publisher": {"@type": "GovernmentOrganization", "name": meta["source"]["publisher"]},
        },
        "spatialCoverage": {"@type": "Place", "name": meta["publisher"]["municipality_name"]},
        "dateModified": m["built_at"],
        "publisher": {"@type": "Organization", "name": PORTAL_NAME},
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f["name"],
                "contentUrl": absolute(f"/downloads/{f['name']}"),
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
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": absolute("/downloads/dcat.jsonld#dataset"),
        "@type": "dcat:Dataset",
        "dct:title": {"@value": meta["title"], "@language": "ja"},
        "dct:description": {"@value": " ".join(meta["description"].split()), "@language": "ja"},
        "dct:language": {"@id": "http://id.loc.gov/vocabulary/iso639-1/ja"},
        "dcat:keyword": [{"@value": k, "@language": "ja"} for k in meta["keywords"]],
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PORTAL_NAME},
        "dct:source": {
            "dct:title": meta["source"]["title"],
            "dct:publisher": {"@type": "foaf:Organization", "foaf:name": meta["source"]["publisher"]},
        },
        "dct:spatial": {
            "@type": "dct:Location",
            "foaf:name": meta["publisher"]["municipality_name"],
            "dct:identifier": meta["publisher"]["municipality_code"],
        },
        "dct:license": {"@id": meta["license"]["path"]},
        "dct:rights": " ".join(meta["license_note"].split()),
        "dct:modified": {"@value": m["built_at"], "@type": "xsd:dateTime"},
        "dcat:landingPage": {"@id": absolute("/downloads/")},
        "dcat:distribution": [
            {
                "@id": absolute(f"/downloads/{f['name']}"),
                "@type": "dcat:Distribution",
                "dct:title": f"{f['title']}（{f['name']}）",
                "dcat:downloadURL": {"@id": absolute(f"/downloads/{f['name']}")},
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
    rows = [{"table": t, "files": {fmt: by_name[f"{t.name}.{fmt}"] for fmt in FORMATS}} for t in tables()]
    meta = package_meta()
    others = [by_name[n] for n in (ZIP_NAME, DESCRIPTOR, DB_NAME, Path(meta["source"]["path"]).name)]
    return render_template(
        "downloads/index.html",
        rows=rows,
        formats=FORMATS,
        others=others,
        manifest=m,
        meta=meta,
        jsonld=json.dumps(schema_org(m), ensure_ascii=False).replace("</", "<\\/"),
        cite=citation(),
        sql="/data/strategy",
        csv=None,
    )


@bp.get("/dictionary")
def dictionary():
    return render_template(
        "downloads/dictionary.html",
        tables=tables(),
        cite=citation(),
        sql="/data/strategy",
        csv=None,
    )


@bp.get("/api")
def api():
    return render_template("downloads/api.html", cite=citation(), sql="/data/strategy", csv=None)


@bp.get("/dcat.jsonld")
def dcat_jsonld():
    return current_app.response_class(
        json.dumps(dcat(manifest()), ensure_ascii=False, indent=1),
        mimetype="application/ld+json",
    )
