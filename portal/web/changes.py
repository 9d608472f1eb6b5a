"""変更点: the 新旧対照表 as a citizen wants it, with the edited characters marked."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .common import citation, csv_link, data, int_param, sql_link
from .diff import char_diff
from .format import CHANGE_TYPES

bp = Blueprint("changes", __name__, url_prefix="/changes")


def view(c: dict) -> dict:
    before, after = char_diff(c["before_text"], c["after_text"])
    return {**c, "before_html": before, "after_html": after}


@bp.get("/")
def index():
    d = data()
    goal = int_param("goal", {g["goal_no"] for g in d.table("goals")})
    kind = request.args.get("type") or None
    if kind is not None and kind not in CHANGE_TYPES:
        abort(400, description=f"URL の「type」の値「{kind[:30]}」は使えません。")
    rows = [
        c
        for c in d.table("changes")
        if (goal is None or c["goal_no"] == goal) and (kind is None or c["change_type"] == kind)
    ]
    kinds = sorted({c["change_type"] for c in d.table("changes")}, key=list(CHANGE_TYPES).index)
    goals = [g for g in d.table("goals") if g["version_id"] == 2]
    filters = {"goal_no": goal, "change_type": kind}
    return render_template(
        "changes/index.html",
        changes=[view(c) for c in rows],
        goal=goal,
        kind=kind,
        kinds=kinds,
        goals=goals,
        total=len(d.rows["changes"]),
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
    related = [
        view(x)
        for x in d.table("changes")
        if x["parent_id"] == c["id"] or (c["parent_id"] and x["id"] == c["parent_id"])
    ]
    reason = d.get("reasons", c["reason_id"])
    same_reason = [x for x in d.table("changes") if x["reason_id"] == c["reason_id"] and x["id"] != c["id"]]
    return render_template(
        "changes/change.html",
        change=view(c),
        related=related,
        reason=reason,
        same_reason=same_reason,
        cite=citation(plan_pages=[c["plan_page"]], source_pages=[c["source_page"]]),
        sql=f"/data/strategy/changes/{c['id']}",
        csv=csv_link("changes", id=c["id"]),
    )
