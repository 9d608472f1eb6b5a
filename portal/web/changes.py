"""変更点: what the city changed and why — grouped as a resident reads it, each change with its 変更前・変更後."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .common import citation, csv_link, data, int_param, sql_link
from .diff import char_diff
from .format import CHANGE_TYPES
from .summary import GROUPS, group_of, item, summarize

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


@bp.get("/")
def index():
    d = data()
    goal = int_param("goal", {g["goal_no"] for g in d.table("goals")})
    group = choice("group", GROUPS)
    kind = choice("type", CHANGE_TYPES)
    rows = [
        view(c)
        for c in d.table("changes")
        if (goal is None or c["goal_no"] == goal)
        and (group is None or group_of(c["change_type"]) == group)
        and (kind is None or c["change_type"] == kind)
    ]
    groups = summarize(d, rows)
    filters = {"goal_no": goal, "change_type": kind}
    return render_template(
        "changes/index.html",
        groups=groups,
        count=len(rows),
        total=len(d.rows["changes"]),
        goal=goal,
        group=group,
        kind=kind,
        group_keys=list(GROUPS),
        goals=[g for g in d.table("goals") if g["version_id"] == 2],
        cite=citation(plan_pages=[c["plan_page"] for c in rows], source_pages=[c["source_page"] for c in rows]),
        sql=sql_link("changes", **filters),
        csv=csv_link("changes", **filters),
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
        cite=citation(plan_pages=[c["plan_page"]], source_pages=[c["source_page"]]),
        sql=f"/data/strategy/changes/{c['id']}",
        csv=csv_link("changes", id=c["id"]),
    )
