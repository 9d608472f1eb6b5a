"""基本目標: one page per goal, for either version, marking what changed."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..pipeline.display import books
from .common import book_link, citation, csv_link, data, latest_version, sql_link, version_param

bp = Blueprint("goals", __name__, url_prefix="/goals")


@bp.get("/")
def index():
    d = data()
    goals = [g for g in d.table("goals") if g["version_id"] == latest_version(d)]
    return render_template(
        "goals/index.html",
        goals=goals,
        cite=citation(plan_pages=[g["plan_page"] for g in goals], documents=[g["document_id"] for g in goals]),
        sql=sql_link("goals"),
        csv=csv_link("goals"),
    )


@bp.get("/<int:goal_no>")
def goal(goal_no: int):
    d = data()
    version = version_param()
    g = next((x for x in d.table("goals") if x["goal_no"] == goal_no and x["version_id"] == version), None)
    if g is None:
        abort(404)
    # the revisions around the version shown: the one that made it (none for the first) and the next (none for
    # the latest).  A row is marked with the changes that made it and those that change it next; on a version
    # between two revisions the latter say so (「次の改訂で」), so the two kinds of mark are told apart
    order = sorted(d.table("versions"), key=lambda v: v["seq"])
    at = [v["id"] for v in order].index(version)
    previous, following = (order[at - 1] if at else None), (order[at + 1] if at + 1 < len(order) else None)
    between = previous is not None and following is not None

    def marks(table: str, row_id: int) -> list[dict]:
        coming = d.changes_for(table, "before", row_id)
        return d.changes_for(table, "after", row_id) + ([{**c, "next": True} for c in coming] if between else coming)

    in_goal = lambda r: r["version_id"] == version and r["goal_no"] == goal_no  # noqa: E731
    directions = [t for t in d.table("texts") if t["kind"] == "direction" and in_goal(t)]
    omissions = [o for o in d.table("omissions") if in_goal(o)]
    numerical = [k for k in d.table("kpis") if k["kind"] == "numerical_goal" and in_goal(k)]
    measures = [m for m in d.table("measures") if in_goal(m)]
    tree = []
    for top in (m for m in measures if m["level"] == 1):
        children = [{"measure": m} for m in measures if m["parent_id"] == top["id"]]
        numbered = {c["measure"]["number"] for c in children}
        children += [
            {"omission": o}
            for o in omissions
            if o["measure_id"] == top["id"]
            and o["level"] == "submeasure"
            and not (o["number_from"] == o["number_to"] and o["number_from"] in numbered)
        ]
        children.sort(key=lambda c: c["measure"]["number"] if "measure" in c else c["omission"]["number_from"])
        for c in children:
            m = c.get("measure")
            if m is None:
                continue
            c["texts"] = [t for t in d.table("texts") if t["measure_id"] == m["id"]]
            c["projects"] = [
                {"project": p, "kpis": [k for k in d.table("kpis") if k["project_id"] == p["id"]]}
                for p in d.table("projects")
                if p["measure_id"] == m["id"]
            ]
            c["related"] = [r for r in d.table("related_projects") if r["measure_id"] == m["id"]]
        tree.append({"measure": top, "children": children})
    goals = [x for x in d.table("goals") if x["version_id"] == version]
    pages = {g["plan_page"]} | {m["plan_page"] for m in measures} | {o["plan_page"] for o in omissions}
    source_pages = {(g["document_id"], g["source_page"])} | {(m["document_id"], m["source_page"]) for m in measures}
    # the same list /changes/?goal=N shows: every change of the goal, a KPI that follows its project included
    changes = [c for c in d.table("changes") if c["goal_no"] == goal_no]
    return render_template(
        "goals/goal.html",
        goal=g,
        goals=goals,
        version=version,
        versions=d.table("versions"),
        plan_url=d.get("versions", version)["plan_url"],
        directions=directions,
        directions_omitted=[o for o in omissions if o["level"] == "subsection"],
        numerical=numerical,
        tree=tree,
        marks=marks,
        changes=changes,
        previous=previous,
        following=following,
        made=[c for c in changes if c["to_version_id"] == version],
        coming=[c for c in changes if c["from_version_id"] == version],
        cite=citation(plan_pages=pages, source_pages=source_pages),
        sql=sql_link("kpis", goal_no=goal_no, version_id=version),
        # the page's own rows: its projects, KPIs and related projects, as one workbook (tables.yaml `books.goal`)
        csv=book_link("goal", goal_no=goal_no, version_id=version),
        book=f"Excel ブックでダウンロード（{books()['goal']['title']}）",
        sql_projects=sql_link("projects", goal_no=goal_no, version_id=version),
    )
