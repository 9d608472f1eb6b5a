"""ダウンロード: every table as CSV, Excel CSV and JSON, the package, the database; dictionary, API guide, DCAT."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, abort, current_app, render_template, request, send_file

from ..pipeline.downloads import DB_NAME, FORMATS, MANIFEST, ZIP_NAME
from ..pipeline.export import DESCRIPTOR
from ..pipeline.schema import package_meta, tables
from .common import citation

bp = Blueprint("downloads", __name__, url_prefix="/downloads")

#: browsers and CDNs may reuse a file for a minute, then ask again with its ETag (the file's sha256)
CACHE_CONTROL = "public, max-age=60, must-revalidate"
PORTAL_NAME = "砂川市 総合戦略オープンデータポータル"


class Manifest:
    """The current build's manifest.json, read again when the downloads link points to a new build."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._value: dict | None = None

    def get(self, folder: Path) -> dict:
        real = os.path.realpath(folder)
        path = Path(real) / MANIFEST
        try:
            st = path.stat()
        except FileNotFoundError:
            abort(503, description="ダウンロード用のファイルがまだ作られていません。portal build を実行してください。")
        key = (real, st.st_mtime_ns, st.st_size)
        if key != self._key:
            with self._lock:
                value = json.loads(path.read_text(encoding="utf-8"))
                value["folder"] = real
                value["by_name"] = {f["name"]: f for f in value["files"]}
                self._value, self._key = value, key
        return self._value


_manifest = Manifest()


def manifest() -> dict:
    return _manifest.get(current_app.config["DOWNLOADS"])


def absolute(path: str) -> str:
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
    response = current_app.response_class(
        json.dumps(dcat(manifest()), ensure_ascii=False, indent=1),
        mimetype="application/ld+json",
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.get("/<path:name>")
def file(name: str):
    m = manifest()
    entry = m["by_name"].get(name)
    if entry is None:
        abort(404)
    path = Path(m["folder"]) / entry["name"]
    response = send_file(
        path,
        as_attachment=True,
        download_name=entry["name"],
        conditional=True,
        etag=entry["sha256"],
        max_age=60,
        mimetype=entry["media_type"].split(";")[0],
    )
    response.headers["Content-Type"] = entry["media_type"]
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{entry['name']}\"; filename*=UTF-8''{quote(entry['name'])}"
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
