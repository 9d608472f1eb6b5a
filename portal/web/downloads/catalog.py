"""The dataset described for catalogues: DCAT (/downloads/dcat.jsonld) and schema.org (in the downloads page)."""

from __future__ import annotations

import json

from flask import current_app, url_for

from ... import links
from ...pipeline.display import names
from ...pipeline.schema import package_meta
from ..common import data
from . import absolute, bp, file_index


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


@bp.get("/dcat.jsonld")
def dcat_jsonld():
    return current_app.response_class(
        json.dumps(dcat(file_index()), ensure_ascii=False, indent=1),
        mimetype="application/ld+json",
    )
