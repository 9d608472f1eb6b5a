"""変更点: what the city changed and why — grouped as a resident reads it, each change with its 変更前・変更後."""

from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, current_app, render_template, request, url_for

from .. import links
from ..pipeline.display import groups as code_groups
from ..pipeline.display import names
from ..pipeline.schema import package_meta
from .common import citation, csv_link, data, int_param, latest_version, sql_link
from .diff import char_diff
from .format import CHANGE_TYPES, change_type
from .summary import FIELD, group_keys, group_of, item, summarize

bp = Blueprint("changes", __name__, url_prefix="/changes")


def view(c: dict) -> dict:
    """A change with its texts as HTML, the changed characters marked."""
    before, after = char_diff(c["before_text"], c["after_text"])
    return {**c, "before_html": before, "after_html": after}


def choice(name: str, allowed) -> str | None:
    """A value from the URL that must be one of `allowed`; 400 for anything else."""
    raw = request.args.get(name) or None
    if raw is not None and raw not in allowed:
        abort(400, description=f"URL の「{name}」の値「{raw[:30]}」は使えません。")
    return raw


def revisions_of(d) -> list[dict]:
    """The revisions (one per 新旧対照表), latest first, each named「<older version> → <newer version>」."""
    versions = d.rows["versions"]
    out = []
    for doc in sorted(d.table("documents"), key=lambda x: -x["to_version_id"]):
        before, after = versions[doc["from_version_id"]], versions[doc["to_version_id"]]
        out.append({**doc, "label": f"{before['label']} → {after['label']}"})
    return out


@bp.get("/")
def index():
    d = data()
    goal = int_param("goal", {g["goal_no"] for g in d.table("goals")})
    group = choice("group", group_keys())
    kind = choice("type", CHANGE_TYPES)
    revisions = revisions_of(d)
    rev = int_param("rev", {r["to_version_id"] for r in revisions})
    rows = [
        view(c)
        for c in d.table("changes")
        if (rev is None or c["to_version_id"] == rev)
        and (goal is None or c["goal_no"] == goal)
        and (group is None or group_of(c["change_type"]) == group)
        and (kind is None or c["change_type"] == kind)
    ]
    groups = summarize(d, rows)
    filters = {"to_version_id": rev, "goal_no": goal, "change_type": kind}
    in_group = [t for t in CHANGE_TYPES if group_of(t) == group] if group is not None and kind is None else None
    return render_template(
        "changes/index.html",
        groups=groups,
        count=len(rows),
        total=len(d.rows["changes"]),
        goal=goal,
        group=group,
        kind=kind,
        rev=rev,
        revisions=revisions,
        group_titles={g.key: g.title for g in code_groups(FIELD)},
        goals=[g for g in d.table("goals") if g["version_id"] == latest_version(d)],
        cite=citation(
            plan_pages=[c["plan_page"] for c in rows], source_pages=[(c["document_id"], c["source_page"]) for c in rows]
        ),
        sql=sql_link("changes", **filters, change_type__in=",".join(in_group) if in_group else None),
        csv=csv_link("changes", **{**filters, "change_type": in_group or kind}),
    )


@bp.get("/<int:change_id>")
def change(change_id: int):
    d = data()
    c = d.get("changes", change_id)
    if c is None:
        abort(404)
    family = [x for x in d.table("changes") if x["parent_id"] == c["id"] or x["id"] == c["parent_id"]]
    shown = {c["id"]} | {x["id"] for x in family}
    same_reason = [x for x in d.table("changes") if x["reason_id"] == c["reason_id"] and x["id"] not in shown]
    return render_template(
        "changes/change.html",
        change=view(c),
        it=item(d, c),
        family=[item(d, x) for x in family],
        same_reason=[item(d, x) for x in same_reason],
        cite=citation(plan_pages=[c["plan_page"]], source_pages=[(c["document_id"], c["source_page"])]),
        sql=links.row("changes", c["id"]),
        csv=csv_link("changes", id=c["id"]),
    )


feed_bp = Blueprint("feed", __name__)


def sources_said(d) -> str:
    """The source documents in one sentence, with what the manifest records of their publication, and the operator."""
    publisher = package_meta()["source"]["publisher"]
    said = []
    for doc in d.table("documents"):
        when = f"{doc['published']}公表" if doc["published"] else names()["undated"]
        said.append(f"元資料：{publisher}「{doc['title']}」（{when}）。")
    operator = current_app.config["OPERATOR"]
    said.append(f"運営：{operator.name}。" if operator.is_set else names()["operator_unset"])
    return "".join(said)


def entry_text(c: dict, goal_label: str | None) -> str:
    """An entry's content as plain text: what changed, from what to what, and why."""
    parts = [f"変更の種類：{change_type(c['change_type'])}"]
    if goal_label:
        parts.append(f"位置：{c['section'] or goal_label}")
    if c["before_text"]:
        parts.append(f"変更前：{c['before_text']}")
    if c["after_text"]:
        parts.append(f"変更後：{c['after_text']}")
    parts.append(f"変更理由：{c['reason']}")
    parts.append(citation(plan_pages=[c["plan_page"]], source_pages=[(c["document_id"], c["source_page"])]))
    return "\n".join(parts)


def entry_date(version: dict | None, first_published: str) -> str:
    """When a change was made public: its version's date (midnight, Japan time) when the manifest knows it,
    else the time a build of this portal first published the change (the build history, pipeline/history.py),
    so a rebuild of the same data dates every entry as before."""
    day = (version or {}).get("date")
    return f"{day}T00:00:00+09:00" if day else first_published


@feed_bp.get("/changes.atom")
def atom():
    """Every change as an Atom entry (RFC 4287), newest revision first, each with its reason and permalink.

    Written with feedgen, which escapes every text.  Each entry's title is
    the change's sentence of 「主な変更」, and its date the version's, else
    when a build first published it (entry_date): never the time of the
    build that happens to serve it.
    """
    d = data()
    m = current_app.extensions["build"].get().file_index
    built_at = m.get("built_at") or "1970-01-01T00:00:00+00:00"
    first = m.get("first_published", {})
    versions = {v["id"]: v for v in d.table("versions")}
    changes = sorted(d.table("changes"), key=lambda c: (-c["to_version_id"], c["id"]))
    dates = {c["id"]: entry_date(versions.get(c["to_version_id"]), first.get(str(c["id"]), built_at)) for c in changes}
    updated = max(dates.values(), default=built_at, key=datetime.fromisoformat)
    meta = package_meta()
    operator = current_app.config["OPERATOR"]
    root = request.url_root.rstrip("/")

    feed = FeedGenerator()
    feed.language("ja")
    feed.id(root + url_for("changes.index"))
    feed.title(f"{meta['source']['name']}：変更点")
    feed.subtitle(f"砂川市の第２期総合戦略の改訂で変わったことと、その理由。{sources_said(d)}")
    feed.updated(datetime.fromisoformat(updated))
    feed.link(href=root + url_for("feed.atom"), rel="self", type="application/atom+xml")
    feed.link(href=root + url_for("changes.index"), rel="alternate", type="text/html")
    for doc in d.table("documents"):
        if doc["page_url"]:
            feed.link(href=doc["page_url"], rel="via", type="text/html", title=doc["title"])
    page = operator.contact if operator.href and operator.href == operator.contact else None
    feed.author(
        name=f"{names()['site']}（運営：{operator.name}）" if operator.is_set else names()["site"],
        uri=page or root + url_for("pages.index"),
        email=operator.contact if operator.href and operator.href.startswith("mailto:") else None,
    )
    feed.rights(f"{meta['attribution']}。{meta['license']['title']}")
    # feedgen names itself as the generator unless told otherwise: the portal is what generates the feed
    feed.generator(names()["site"], uri=root + url_for("pages.index"))
    goals = {(g["version_id"], g["goal_no"]): g for g in d.table("goals")}
    for c in changes:
        it = item(d, c)
        goal = goals.get((c["to_version_id"], c["goal_no"])) or goals.get((c["from_version_id"], c["goal_no"]))
        link = root + url_for("changes.change", change_id=c["id"])
        entry = feed.add_entry(order="append")
        entry.id(link)
        entry.title(it.sentence(html=False))
        # feedgen 1.0 writes an entry's link with its href only (python-feedgen issue #135): an Atom link without
        # rel is the alternate one (RFC 4287 4.2.7.2), which is what this link is
        entry.link(href=link, rel="alternate", type="text/html")
        entry.updated(datetime.fromisoformat(dates[c["id"]]))
        entry.category(term=c["change_type"], label=change_type(c["change_type"]))
        entry.summary(f"変更理由：{c['reason']}")
        entry.content(entry_text(c, goal["label"] if goal else None), type="text")
    return current_app.response_class(feed.atom_str(pretty=False), mimetype="application/atom+xml")
