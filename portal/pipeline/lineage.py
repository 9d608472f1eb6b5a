"""Lineage: one identity for each indicator and each project across every version.

Made from the rows only: a row of a later version continues the row its
`previous_id` names (paired in changes.compare: the same indicator or
project, also when renamed or replaced by another in its place), so
following `previous_id` from the oldest version gives each row its identity.
Each row also names the change that made it differ from the row it continues
(`change_id`, whose reason is in `changes`); an identity names the change that
added it and the one that removed it.

The 「KPIの設定が困難なため設定しない」 rows of `kpis` are no indicator and
get none.
"""

from __future__ import annotations

from .display import categories

#: (table, identity table, identity column)
LINES = (("kpis", "indicators", "indicator_id"), ("projects", "project_lineage", "lineage_id"))


def lineage_rows(rows: dict[str, list[dict]], town: dict) -> dict[str, list[dict]]:
    """The rows of `indicators` and `project_lineage`; sets indicator_id / lineage_id and change_id on the rows.

    Which changes start or end an identity is said of each change type in tables.yaml (`lineage`): an
    indicator set where a project had none starts one, one given up for 「設定しない」 ends one.
    """
    steps = {c["value"]: c.get("lineage") for c in categories("changes", "change_type")}
    out: dict[str, list[dict]] = {}
    for table, identities, column in LINES:
        made = {c["after_id"]: c for c in rows["changes"] if c["element_table"] == table and c["after_id"]}
        ended = {c["before_id"]: c for c in rows["changes"] if c["element_table"] == table and c["before_id"]}
        member: dict[int, dict] = {}  # row id → its identity's row
        lines: list[dict] = []
        ordered = sorted(rows[table], key=lambda r: (r["version_id"], r["id"]))
        for row in ordered:
            change = made.get(row["id"])
            row["change_id"] = change and change["id"]
            if table == "kpis" and row["status"] != "set":
                row[column] = None
                continue
            line = member.get(row["previous_id"]) if row["previous_id"] is not None else None
            if line is None:
                line = {
                    **town,
                    "id": len(lines) + 1,
                    **({"kind": row["kind"]} if table == "kpis" else {}),
                    "goal_no": row["goal_no"],
                    "first_version_id": row["version_id"],
                    "first_row_id": row["id"],
                    "added_change_id": change["id"] if change and change["before_id"] is None else None,
                    "names": [],
                    "rows": [],
                }
                if change is not None and steps[change["change_type"]] == "starts":
                    line["added_change_id"] = change["id"]  # also where a 「設定しない」 row gave way to it
                lines.append(line)
            member[row["id"]] = line
            row[column] = line["id"]
            line["rows"].append(row)
            if not line["names"] or line["names"][-1] != row["name"]:
                line["names"].append(row["name"])
        for line in lines:
            last = line.pop("rows")[-1]
            gone = ended.get(last["id"])
            removed = gone is not None and steps[gone["change_type"]] == "ends"
            line.update(
                name=last["name"],
                names=" → ".join(line["names"]),
                goal_no=last["goal_no"],
                last_version_id=last["version_id"],
                last_row_id=last["id"],
                removed_change_id=gone["id"] if removed else None,
            )
        out[identities] = lines
    return out
