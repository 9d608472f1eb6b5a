"""The before/after table of indicators: one row per indicator and revision, with a status computed from the values.

It is made from the rows of `kpis` and `changes` only: an indicator of the
later version is paired with the one it continues (its `previous_id`, or the
`kpis` change that links the two, as when an indicator gives way to a
「設定しない」 row).  What is left unpaired was added or removed.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

SIDES = ("before", "after")
#: the columns copied from each side's kpis row, as <side>_<column>
VALUE_COLUMNS = tuple(
    f"{which}_{column}"
    for which in ("baseline", "target")
    for column in (
        "text",
        "value",
        "unit",
        "year",
        "label",
        "year_start",
        "year_end",
        "per_year",
        "qualifier",
        "value_note",
        "base_value",
        "base_unit",
    )
)


def _amount(k: dict, which: str) -> tuple:
    """What a baseline or target says: number, unit, per year or not, qualifier, or the words when there is no
    number, and the note beside it."""
    value = k[f"{which}_value"]
    return (
        value,
        k[f"{which}_unit"],
        bool(k[f"{which}_per_year"]),
        k[f"{which}_qualifier"],
        k[f"{which}_text"] if value is None else None,
        k[f"{which}_value_note"],
    )


def _period(k: dict, which: str) -> tuple:
    return (
        k[f"{which}_year"],
        k[f"{which}_year_type"],
        bool(k[f"{which}_each_year"]),
        k[f"{which}_year_start"],
        k[f"{which}_year_end"],
    )


def comparable(before: dict, after: dict) -> bool:
    """Two targets compare by number: both numbers, in the same unit, both per year or both totals, with the same
    qualifier (「2,000人以上」 and 「2,500人」 say different kinds of thing)."""
    return (
        before["target_value"] is not None
        and after["target_value"] is not None
        and before["target_unit"] == after["target_unit"]
        and bool(before["target_per_year"]) == bool(after["target_per_year"])
        and before["target_qualifier"] == after["target_qualifier"]
    )


def difference(before: dict, after: dict) -> float | int | None:
    """after − before of the targets, when they compare by number (exact in decimal)."""
    if not comparable(before, after):
        return None
    a, b = before["target_value"], after["target_value"]
    d = Decimal(str(b)) - Decimal(str(a))
    return int(d) if d == d.to_integral_value() else float(d)


def status(before: dict | None, after: dict | None) -> str:
    """The status code of one indicator across a revision (the codes of kpi_comparison.status in tables.yaml)."""
    if before is None and after is None:
        raise ValueError("an indicator needs at least one side")
    if before is None:
        return "added" if after["status"] == "set" else "added_not_set"
    if after is None:
        return "removed" if before["status"] == "set" else "removed_not_set"
    if before["status"] != after["status"]:
        return "changed_to_not_set" if after["status"] == "not_set" else "set_from_not_set"
    if after["status"] == "not_set":
        return "unchanged_not_set"
    if _amount(before, "target") != _amount(after, "target"):
        d = difference(before, after)
        if d is None:
            if comparable(before, {**after, "target_qualifier": before["target_qualifier"]}):
                return "qualifier_changed"  # the same kind of number, one with 以上 or 以下 and one without
            return "target_changed"
        if d == 0:  # the same number, written with another note
            return "target_changed"
        return "target_raised" if d > 0 else "target_lowered"
    if _amount(before, "baseline") != _amount(after, "baseline") or any(
        _period(before, w) != _period(after, w) for w in ("baseline", "target")
    ):
        return "baseline_or_year_changed"
    if before["name"] != after["name"]:
        return "renamed"
    return "unchanged"


#: an indicator on one side only, with no change that added or removed it: the other version's document does not
#: show its place (「－ 省 略 －」, or a part no document shows), so nothing says it was added or removed
NOT_SHOWN = {
    "removed": "not_shown_after",
    "removed_not_set": "not_shown_after",
    "added": "not_shown_before",
    "added_not_set": "not_shown_before",
}


def shown_status(code: str, change: dict | None) -> str:
    """An addition or removal stands only with the change that made it; without one, the other side is not shown."""
    return NOT_SHOWN[code] if code in NOT_SHOWN and change is None else code


def flags(before: dict | None, after: dict | None) -> dict:
    """Which parts changed.  The indicator's own flags only when both sides are indicators (a 「設定しない」 row has
    no name, values or years to compare); the project's name whenever both sides belong to a project."""
    both = before is not None and after is not None
    indicators = both and before["status"] == after["status"] == "set"
    projects = (before["project_name"], after["project_name"]) if both else (None, None)
    return {
        "target_changed": _amount(before, "target") != _amount(after, "target") if indicators else None,
        "baseline_changed": _amount(before, "baseline") != _amount(after, "baseline") if indicators else None,
        "year_changed": any(_period(before, w) != _period(after, w) for w in ("baseline", "target"))
        if indicators
        else None,
        "name_changed": before["name"] != after["name"] if indicators else None,
        "project_renamed": None if None in projects else projects[0] != projects[1],
    }


def pairs(kpis: list[dict], revision: list[dict], first: int, second: int) -> list[tuple[dict | None, dict | None]]:
    """The indicators of version `first` and `second` paired, in the order of the later version; `revision` is the
    changes from the one to the other.

    A removed indicator comes right after the pair of the indicator that
    stood before it in the earlier version.
    """
    olds = [k for k in kpis if k["version_id"] == first]
    news = [k for k in kpis if k["version_id"] == second]
    by_id = {k["id"]: k for k in olds + news}
    partner: dict[int, int] = {}  # new id → old id
    for k in news:
        if k["previous_id"] is not None and k["previous_id"] in by_id:
            partner[k["id"]] = k["previous_id"]
    for c in revision:
        if (
            c["element_table"] == "kpis"
            and c["before_id"] is not None
            and c["after_id"] is not None
            and c["after_id"] not in partner
            and c["before_id"] not in partner.values()
        ):
            partner[c["after_id"]] = c["before_id"]
    out: list[tuple[dict | None, dict | None]] = [
        (by_id[partner[k["id"]]] if k["id"] in partner else None, k) for k in news
    ]
    paired_old = set(partner.values())
    for i, old in enumerate(olds):
        if old["id"] in paired_old:
            continue
        # after the pair of the nearest earlier indicator of the old version that has one, else first
        anchor = next((o["id"] for o in reversed(olds[:i]) if o["id"] in paired_old), None)
        at = 0 if anchor is None else 1 + next(j for j, (b, _) in enumerate(out) if b is not None and b["id"] == anchor)
        while at < len(out) and out[at][1] is None:
            at += 1  # keep removed indicators in their old order
        out.insert(at, (old, None))
    return out


def _change_for(before: dict | None, after: dict | None, revision: list[dict]) -> dict | None:
    """The change of the revision about this indicator, else the change of its project (renamed or replaced), else
    None."""

    def about(table: str, b: int | None, a: int | None) -> dict | None:
        return next(
            (
                c
                for c in revision
                if c["element_table"] == table
                and ((b is not None and c["before_id"] == b) or (a is not None and c["after_id"] == a))
            ),
            None,
        )

    own = about("kpis", before and before["id"], after and after["id"])
    if own is not None:
        return own
    return about("projects", before and before["project_id"], after and after["project_id"])


def kpi_comparison_rows(kpis: list[dict], changes: list[dict], town: dict) -> list[dict]:
    """The rows of kpi_comparison: every consecutive pair of versions, goal by goal."""
    rows: list[dict] = []
    versions = sorted({k["version_id"] for k in kpis})
    for first, second in pairwise(versions):
        revision = [c for c in changes if (c["from_version_id"], c["to_version_id"]) == (first, second)]
        paired = pairs(kpis, revision, first, second)
        paired.sort(key=lambda p: (p[1] or p[0])["goal_no"])  # stable: the order within a goal is kept
        for before, after in paired:
            either = after or before
            change = _change_for(before, after, revision)
            row = {
                **town,
                "id": len(rows) + 1,
                "from_version_id": first,
                "to_version_id": second,
                "goal_no": either["goal_no"],
                "kind": either["kind"],
                "name": (after and after["name"]) or (before and before["name"]),
                "status": shown_status(status(before, after), change),
                "before_kpi_id": before and before["id"],
                "after_kpi_id": after and after["id"],
                "before_project_name": before and before["project_name"],
                "after_project_name": after and after["project_name"],
                "before_name": before and before["name"],
                "after_name": after and after["name"],
                "target_difference": difference(before, after) if before and after else None,
                **flags(before, after),
                "change_id": change and change["id"],
                "reason": change and change["reason"],
            }
            for side, k in zip(SIDES, (before, after), strict=True):
                for col in VALUE_COLUMNS:
                    row[f"{side}_{col}"] = k[col] if k is not None else None
            rows.append(row)
    return rows
