"""KPI一覧 and one page per KPI: values in words and as a chart, and the KPI's life across versions."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from .. import links
from ..data import Data
from ..pipeline.display import categories, category, count_rule, render
from ..pipeline.display import groups as code_groups
from ..pipeline.downloads import FORMATS
from . import chart
from .changes import choice, revisions_of
from .common import citation, csv_link, data, int_param, latest_version, sql_link, version_param
from .format import COMPARISON, value_of

bp = Blueprint("kpis", __name__, url_prefix="/kpis")


def treatments(d: Data, kpi: dict) -> list[dict]:
    """What each revision around the KPI's version did to it, oldest revision first: the revision that made the
    version (none for the first version) and the one after it (none for the latest).

    Read from kpi_comparison (one row per indicator and revision), so the pages and the comparison table
    tell the same story in the same words: each has its status's label, tone and sentence (tables.yaml),
    the counterpart in the other version (when the indicator is in both), whether its project was renamed,
    the change that explains it, and the two versions.
    """
    out = []
    for r in d.table("kpi_comparison"):
        if kpi["id"] not in (r["before_kpi_id"], r["after_kpi_id"]):
            continue
        before, after = d.get("kpis", r["before_kpi_id"]), d.get("kpis", r["after_kpi_id"])
        old, new = d.get("versions", r["from_version_id"]), d.get("versions", r["to_version_id"])
        code = category("kpi_comparison", "status", r["status"])
        both = before is not None and after is not None and code["tone"] in ("unchanged", "changed")
        out.append(
            {
                "state": code["tone"],
                "label": code["label"],
                "sentence": render(code["sentence"], status_fields(before, after, old, new)),
                "status": r["status"],
                "before": before,
                "other": (after if kpi["id"] == r["before_kpi_id"] else before) if both else None,
                "pair": [before, after] if both else [],
                "moved": both and before["project_name"] != after["project_name"],
                "change": d.get("changes", r["change_id"]) if code["tone"] != "unchanged" else None,
                "old": old,
                "new": new,
            }
        )
    return sorted(out, key=lambda t: t["old"]["seq"])


def status_fields(before: dict | None, after: dict | None, old: dict, new: dict) -> dict:
    """What the sentence of a comparison status may name (tables.yaml kpi_comparison.status `sentence`)."""

    def target(k: dict | None) -> str | None:
        if k is None or k["status"] != "set":
            return None
        return f"{value_of(k, 'target')}（{'各年度' if k['target_each_year'] else k['target_label']}）"

    not_set = next((k for k in (after, before) if k is not None and k["status"] != "set"), None)
    return {
        "before_name": before and before["name"],
        "after_name": after and after["name"],
        "before_target": target(before),
        "after_target": target(after),
        "status_text": not_set and not_set["status_text"],
        "old": old["label"],
        "new": new["label"],
    }


def lineage(d: Data, kpi: dict) -> dict:
    """How a KPI fares in its revision: the one that made its version, or for the first version the one after."""
    ts = treatments(d, kpi)
    return ts[0] if len(ts) == 1 or ts[0]["new"]["id"] == kpi["version_id"] else ts[-1]


def history(d: Data, kpi: dict) -> tuple[list[dict], dict | None]:
    """Every version of the KPI's indicator, oldest first, each with the change that made it (and its reason);
    and the change that removed the indicator, if one did.  Empty when the data has only two versions
    (the page's 「改訂での扱い」 tells all) or the row is no indicator (「設定しない」)."""
    if len(d.rows["versions"]) <= 2 or kpi["indicator_id"] is None:
        return [], None
    versions = d.rows["versions"]
    rows = [r for r in d.table("kpis") if r["indicator_id"] == kpi["indicator_id"]]
    rows.sort(key=lambda r: versions[r["version_id"]]["seq"])
    steps = [{"kpi": r, "version": versions[r["version_id"]], "change": d.get("changes", r["change_id"])} for r in rows]
    removed = d.get("indicators", kpi["indicator_id"])["removed_change_id"]
    return steps, d.get("changes", removed) if removed else None


@bp.get("/")
def index():
    """Each goal's indicators (the count rule 指標), and apart from them the projects with none (指標を置かない事業)."""
    d = data()
    version = version_param()
    goals = {g["goal_no"]: g for g in d.table("goals") if g["version_id"] == version}
    goal = int_param("goal", set(goals))
    rows = [k for k in d.table("kpis") if k["version_id"] == version and goal in (None, k["goal_no"])]
    indicators, none = count_rule("indicators"), count_rule("no_indicator")
    groups = [
        {
            "goal": goals[n],
            "indicators": [dict(k, life=lineage(d, k)) for k in indicators.rows("kpis", rows) if k["goal_no"] == n],
            "none": [dict(k, life=lineage(d, k)) for k in none.rows("kpis", rows) if k["goal_no"] == n],
        }
        for n in sorted(goals)
        if goal in (None, n)
    ]
    return render_template(
        "kpis/index.html",
        groups=groups,
        goal=goal,
        chosen_goal=goals.get(goal),
        goals=[goals[n] for n in sorted(goals)],
        counts={"indicators": indicators, "none": none},
        version=version,
        versions=d.table("versions"),
        cite=citation(
            plan_pages=[k["plan_page"] for k in rows], source_pages=[(k["document_id"], k["source_page"]) for k in rows]
        ),
        sql=sql_link("kpis", version_id=version, goal_no=goal),
        csv=csv_link("kpis", version_id=version, goal_no=goal),
    )


@bp.get("/compare")
def compare():
    """Every indicator before and after the revision, side by side, with what changed and why."""
    d = data()
    status = choice("status", COMPARISON)
    goal = int_param("goal", {g["goal_no"] for g in d.table("goals")})
    # one revision at a time (the table holds one row per indicator and revision): ?rev=<newer version>, the latest by default
    revisions = revisions_of(d)
    rev = int_param("rev", {r["to_version_id"] for r in revisions})
    chosen = next((r for r in revisions if r["to_version_id"] == rev), revisions[0] if revisions else None)
    latest = (chosen["from_version_id"], chosen["to_version_id"]) if chosen else (1, latest_version(d))
    every = [r for r in d.table("kpi_comparison") if (r["from_version_id"], r["to_version_id"]) == latest]
    rows = [r for r in every if (status is None or r["status"] == status) and (goal is None or r["goal_no"] == goal)]
    counts = {s: sum(1 for r in every if r["status"] == s) for s in COMPARISON}
    sides = [
        {**r, "before": d.get("kpis", r["before_kpi_id"]), "after": d.get("kpis", r["after_kpi_id"])} for r in rows
    ]
    goals = {g["goal_no"]: g for g in d.table("goals") if g["version_id"] == latest[1]}
    groups = [(goals[n], [r for r in sides if r["goal_no"] == n]) for n in sorted(goals)]
    files = {f["format"]: f for f in table_files("kpi_comparison")}
    filters = {"to_version_id": rev, "status": status, "goal_no": goal}
    indicators, none = count_rule("indicators"), count_rule("no_indicator")
    return render_template(
        "kpis/compare.html",
        revisions=revisions,
        rev=rev,
        groups=[(g, rs) for g, rs in groups if rs],
        count=len(rows),
        total=len(every),
        indicators={"rule": indicators, "n": len(indicators.rows("kpi_comparison", every))},
        no_indicator={"rule": none, "n": len(none.rows("kpi_comparison", every))},
        counts=counts,
        headline=[(g, sum(counts[c] for c in g.codes)) for g in code_groups("kpi_comparison.status")],
        formats=FORMATS,
        tones={c["value"]: c["tone"] for c in categories("kpi_comparison", "status")},
        status=status,
        goal=goal,
        goals=list(goals.values()),
        old=d.get("versions", latest[0]),
        new=d.get("versions", latest[1]),
        files=files,
        cite=citation(
            plan_pages=[k["plan_page"] for r in sides for k in (r["before"], r["after"]) if k],
            source_pages=[(k["document_id"], k["source_page"]) for r in sides for k in (r["before"], r["after"]) if k],
        ),
        sql=sql_link("kpi_comparison", **filters),
        csv=csv_link("kpi_comparison", **filters),
    )


def table_files(table: str) -> list[dict]:
    """The download files of one table in the build being served (none when the build has no downloads)."""
    return [f for f in current_app.extensions["build"].get().file_index["files"] if f["table"] == table]


@bp.get("/<int:kpi_id>")
def kpi(kpi_id: int):
    """One KPI: its values in words, as a chart and as a table, its ※ notes, and how the revisions treated it.

    The revisions around the KPI's version (treatments: the one that made it and
    the one after) each give a 「改訂での扱い」 paragraph and table; the counterpart
    of the main one (lineage) is also drawn in the chart and the values table
    when its target differs, both targets under each version's label.
    """
    d = data()
    k = d.get("kpis", kpi_id)
    if k is None:
        abort(404)
    goal = next(g for g in d.table("goals") if g["version_id"] == k["version_id"] and g["goal_no"] == k["goal_no"])
    project = d.get("projects", k["project_id"]) if k["project_id"] else None
    treated = treatments(d, k)
    life = lineage(d, k)
    versions = {v["id"]: v for v in d.table("versions")}
    rows = chart.values(k, versions, life["other"]) if k["status"] == "set" else []
    title = f"{k['name']}の{chart.BASELINE}と{chart.TARGET}"
    steps, removed = history(d, k)
    history_title = f"{k['name']}の{chart.TARGET}の移り変わり"
    history_rows = chart.targets_over_versions(k, [h["kpi"] for h in steps], versions)
    return render_template(
        "kpis/kpi.html",
        kpi=k,
        goal=goal,
        project=project,
        treated=treated,
        version=versions[k["version_id"]],
        versions=versions,
        rows=rows,
        notes=chart.notes(k),
        note_ids=chart.note_ids(k),
        unit_notes=chart.unit_notes(rows, d.rows["units"]),
        chart_title=title,
        when=chart.when,
        chart=chart.kpi_chart(title, rows, f"chart-{k['id']}") if rows else None,
        history=steps,
        removed=removed,
        history_chart=chart.kpi_chart(history_title, history_rows, f"history-{k['id']}") if history_rows else None,
        cite=citation(plan_pages=[k["plan_page"]], source_pages=[(k["document_id"], k["source_page"])]),
        sql=links.row("kpis", k["id"]),
        csv=csv_link("kpis", id=k["id"]),
    )
