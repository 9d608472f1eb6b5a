"""トップ, 戦略について, 用語集."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, render_template

from ..pipeline.schema import package_meta
from .changes import revisions_of
from .common import citation, csv_link, data, latest_version, sql_link
from .summary import summarize

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    d = data()
    # 「主な変更」 per revision, latest first (one 新旧対照表: one list, as before)
    revisions = [
        {
            **r,
            "date": d.rows["versions"][r["to_version_id"]]["date"],
            "groups": summarize(d, rows),
            "count": len(rows),
        }
        for r in revisions_of(d)
        for rows in [[c for c in d.table("changes") if c["to_version_id"] == r["to_version_id"]]]
    ]
    return render_template(
        "pages/index.html",
        groups=summarize(d, d.table("changes")),
        revisions=revisions,
        total=len(d.rows["changes"]),
        versions=d.table("versions"),
        documents=d.table("documents"),
        publisher=package_meta()["source"]["publisher"],
        goals=[g for g in d.table("goals") if g["version_id"] == latest_version(d)],
        cite=citation(source_pages=[(p["document_id"], p["page_no"]) for p in d.table("source_pages")]),
        # the page's own rows: the changes it tells
        sql=sql_link("changes"),
        csv=csv_link("changes"),
    )


@bp.get("/about")
def about():
    d = data()
    order = sorted(d.table("versions"), key=lambda v: v["seq"])
    latest = order[-1]["id"]
    events: dict[str, dict] = {}
    for e in d.table("events"):
        key = e["label"]
        if key not in events:
            events[key] = {**e, "versions": set()}
        events[key]["versions"].add(e["version_id"])
    timeline = sorted(events.values(), key=lambda e: (e["year"], e["month"]))
    for e in timeline:
        # the version an event is first told in; shown when a revision added it (not in the first version)
        first = next(v for v in order if v["id"] in e["versions"])
        e["added_in"] = first if first is not order[0] else None
        e["only_after"] = e["versions"] == {2} and len(order) == 2
    texts = [t for t in d.table("texts") if t["kind"] == "paragraph"]
    paragraphs = {v["id"]: [t for t in texts if t["version_id"] == v["id"]] for v in order}
    omitted = [o for o in d.table("omissions") if o["level"] == "chapter" and o["version_id"] == latest]
    return render_template(
        "pages/about.html",
        timeline=timeline,
        paragraphs=paragraphs,
        latest=latest_story(d, texts, latest) if len(order) > 2 else None,
        versions=order,
        version_by_id={v["id"]: v for v in order},
        documents=d.table("documents"),
        document_by_id=d.rows["documents"],
        omitted=omitted,
        meta=package_meta(),
        pages=d.table("source_pages"),
        cite=citation(
            plan_pages=[t["plan_page"] for t in texts],
            source_pages=[(t["document_id"], t["source_page"]) for t in texts],
        ),
        sql=sql_link("events"),
        csv=csv_link("events"),
    )


def latest_story(d, texts: list[dict], latest: int) -> dict:
    """The 策定の経過 of the latest version, each paragraph with the changes that made it what it is (added or
    reworded, by which revision), and the paragraphs a revision removed on the way."""
    continued = {t["previous_id"] for t in texts if t["previous_id"] is not None}

    def made(t: dict) -> list[dict]:
        """The changes that made the paragraph, oldest revision first, following it back through the versions."""
        out = []
        while t is not None:
            out = d.changes_for("texts", "after", t["id"]) + out
            t = d.get("texts", t["previous_id"]) if t["previous_id"] is not None else None
        return out

    return {
        "paragraphs": [{"text": t, "changes": made(t)} for t in texts if t["version_id"] == latest],
        "removed": [
            {"text": t, "changes": d.changes_for("texts", "before", t["id"])}
            for t in texts
            if t["version_id"] != latest and t["id"] not in continued and d.changes_for("texts", "before", t["id"])
        ],
    }


@bp.get("/glossary")
def glossary():
    d = data()
    return render_template(
        "pages/glossary.html",
        versions=d.table("versions"),
        total=len(d.rows["changes"]),
        cite=citation(),
        # the glossary shows no rows of its own; the units it explains are a table
        sql=sql_link("units"),
        csv=None,
    )


#: the latest automated accessibility results, written by `make a11y-report` (tests/test_browser.py)
A11Y_RESULTS = Path(__file__).with_name("accessibility-results.json")


@bp.get("/accessibility")
def accessibility():
    results = json.loads(A11Y_RESULTS.read_text(encoding="utf-8")) if A11Y_RESULTS.exists() else None
    return render_template("pages/accessibility.html", results=results, cite=citation(), sql=None, csv=None)
