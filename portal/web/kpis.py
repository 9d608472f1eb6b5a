"""KPI一覧 and one page per KPI: values in words and as a chart, and the KPI's life across versions."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from . import chart
from .changes import choice, revisions_of
from .common import citation, csv_link, data, int_param, latest_version, sql_link, version_param
from .format import COMPARISON
from .store import Data

bp = Blueprint("kpis", __name__, url_prefix="/kpis")

#: what a revision did to an indicator, from kpi_comparison.status, seen from the side the page's row is on:
#: (state, label) when the row is the older side (the revision after its version), and when it is the newer side
TREATMENT = {
    "unchanged": (("unchanged", "変更なし"), ("unchanged", "変更なし")),
    "target_raised": (("changed", "変更あり"), ("changed", "変更あり")),
    "target_lowered": (("changed", "変更あり"), ("changed", "変更あり")),
    "target_changed": (("changed", "変更あり"), ("changed", "変更あり")),
    "baseline_or_year_changed": (("changed", "変更あり"), ("changed", "変更あり")),
    "renamed": (("changed", "変更あり"), ("changed", "変更あり")),
    "added": (None, ("added", "追加")),
    "added_not_set": (None, ("not_set", "設定しない")),
    "removed": (("removed", "削除"), None),
    "removed_not_set": (("not_set", "設定なし"), None),
    # an indicator that gives way to 「設定しない」 is removed; the 「設定しない」 row is no indicator
    "changed_to_not_set": (("removed", "設定しないに変更"), ("not_set", "設定しない")),
    "set_from_not_set": (("not_set", "設定なし"), ("added", "追加")),
    # on one side only, and no change added or removed it: the other version's document does not show it
    "not_shown_after": (("not_shown", "次の版の資料になし"), None),
    "not_shown_before": (None, ("not_shown", "前の版の資料になし")),
}


def treatments(d: Data, kpi: dict) -> list[dict]:
    """What each revision around the KPI's version did to it, oldest revision first: the revision that made the
    version (none for the first version) and the one after it (none for the latest).

    Read from kpi_comparison (one row per indicator and revision), so the pages and the comparison table
    tell the same story.  Each has the state and its label, the counterpart in the other version (when the
    indicator is in both), whether its project was renamed, the change that explains it, and the two versions.
    """
    out = []
    for r in d.table("kpi_comparison"):
        side = 0 if r["before_kpi_id"] == kpi["id"] else 1 if r["after_kpi_id"] == kpi["id"] else None
        if side is None:
            continue
        state, label = TREATMENT[r["status"]][side]
        before, after = d.get("kpis", r["before_kpi_id"]), d.get("kpis", r["after_kpi_id"])
        both = before is not None and after is not None and state in ("unchanged", "changed")
        out.append(
            {
                "state": state,
                "label": label,
                "status": r["status"],
                "before": before,
                "other": (after if side == 0 else before) if both else None,
                "pair": [before, after] if both else [],
                "moved": both and before["project_name"] != after["project_name"],
                "change": d.get("changes", r["change_id"]) if state != "unchanged" else None,
                "old": d.get("versions", r["from_version_id"]),
                "new": d.get("versions", r["to_version_id"]),
            }
        )
    return sorted(out, key=lambda t: t["old"]["seq"])


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
    d = data()
    version = version_param()
    rows = [k for k in d.table("kpis") if k["version_id"] == version]
    goals = {g["goal_no"]: g for g in d.table("goals") if g["version_id"] == version}
    groups = [(goals[n], [dict(k, life=lineage(d, k)) for k in rows if k["goal_no"] == n]) for n in sorted(goals)]
    return render_template(
        "kpis/index.html",
        groups=groups,
        version=version,
        versions=d.table("versions"),
        cite=citation(
            plan_pages=[k["plan_page"] for k in rows], source_pages=[(k["document_id"], k["source_page"]) for k in rows]
        ),
        sql=sql_link("kpis", version_id=version),
        csv=csv_link("kpis", version_id=version),
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
    return render_template(
        "kpis/compare.html",
        revisions=revisions,
        rev=rev,
        groups=[(g, rs) for g, rs in groups if rs],
        count=len(rows),
        total=len(every),
        counts=counts,
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
    return [f for f in current_app.extensions["build"].get().manifest["files"] if f["table"] == table]


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
        sql=f"/data/strategy/kpis/{k['id']}",
        csv=csv_link("kpis", id=k["id"]),
    )
