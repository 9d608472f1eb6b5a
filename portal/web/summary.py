"""「主な変更」: the revision's changes grouped by what they mean to a resident, ready to be said in sentences.

Every fact comes from the data (the changes table and the rows it points
to); the sentences themselves are written in templates/changes/_summary.html.
Each change belongs to exactly one group, so a page that shows the groups
shows every change once, and a group's count is the length of its list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .store import Data

#: group key → the change types it holds, in the order a resident reads them; wording edits come last
GROUPS: dict[str, tuple[str, ...]] = {
    "projects": ("project_added", "project_replaced", "project_removed", "project_modified"),
    "kpis": ("kpi_added", "kpi_removed", "kpi_not_set", "kpi_not_set_removed"),
    "values": ("kpi_modified",),
    "related": ("related_project_added", "related_project_removed"),
    "texts": ("text_added", "text_modified", "text_removed"),
}
#: the KPI columns whose change is a change of a target or a baseline
VALUE_FIELDS = (
    ("target_value", "target_unit", "target"),
    ("baseline_value", "baseline_unit", "baseline"),
)
YEAR_FIELDS = (("target_year", "target_label", "target"), ("baseline_year", "baseline_label", "baseline"))


#: the order of the sentences within a group: a KPI that is no longer set comes after the added ones
BUCKET_ORDER = [t for types in GROUPS.values() for t in types]
BUCKET_ORDER.insert(BUCKET_ORDER.index("kpi_removed"), "kpi_no_longer_set")


def group_of(change_type: str) -> str:
    return next(key for key, types in GROUPS.items() if change_type in types)


@dataclass
class Item:
    """One change with the rows it is about."""

    change: dict
    before: dict | None
    after: dict | None
    goal: dict | None
    #: for a changed KPI: ("target" | "baseline", "raised" | "lowered" | "changed" | "moved", old row, new row)
    moves: list[tuple[str, str]] = field(default_factory=list)

    @property
    def row(self) -> dict:
        return self.after if self.after is not None else self.before

    @property
    def bucket(self) -> str:
        """What kind of sentence the change makes: its type, or "kpi_no_longer_set" for a KPI replaced by 「設定しない」."""
        c = self.change
        if c["change_type"] == "kpi_removed" and self.after is not None and self.after["status"] == "not_set":
            return "kpi_no_longer_set"
        return c["change_type"]


@dataclass
class Group:
    key: str
    items: list[Item]

    @property
    def buckets(self) -> list[tuple[str, list[Item]]]:
        """The items by the sentence they make, in the order of GROUPS (additions first)."""
        out: dict[str, list[Item]] = {}
        for it in self.items:
            out.setdefault(it.bucket, []).append(it)
        return sorted(out.items(), key=lambda kv: BUCKET_ORDER.index(kv[0]))


def value_moves(before: dict, after: dict) -> list[tuple[str, str]]:
    """How a KPI's target and baseline moved: raised, lowered, changed (other unit), or moved (another year)."""
    moves = []
    for value, unit, side in VALUE_FIELDS:
        old, new = before[value], after[value]
        if old == new and before[unit] == after[unit]:
            continue
        if old is not None and new is not None and before[unit] == after[unit]:
            moves.append((side, "raised" if new > old else "lowered"))
        else:
            moves.append((side, "changed"))
    for year, label, side in YEAR_FIELDS:
        if before[year] != after[year] or before[label] != after[label]:
            moves.append((side, "moved"))
    return moves


def item(d: Data, c: dict) -> Item:
    table = c["element_table"]
    before = d.get(table, c["before_id"]) if c["before_id"] is not None else None
    after = d.get(table, c["after_id"]) if c["after_id"] is not None else None
    version = c["to_version_id"] if after is not None else c["from_version_id"]
    goal = next((g for g in d.table("goals") if g["version_id"] == version and g["goal_no"] == c["goal_no"]), None)
    moves = value_moves(before, after) if c["change_type"] == "kpi_modified" and before and after else []
    return Item(change=c, before=before, after=after, goal=goal, moves=moves)


def summarize(d: Data, changes: list[dict]) -> list[Group]:
    """The given changes in their groups, in reading order; every group is returned, empty or not."""
    return [Group(key, [item(d, c) for c in changes if c["change_type"] in types]) for key, types in GROUPS.items()]
