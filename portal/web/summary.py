"""「主な変更」: the revision's changes grouped by what they mean to a resident, each said in one sentence.

Every fact comes from the data (the changes table and the rows it points
to); the groups, the labels and the sentences are tables.yaml's (the groups
of `changes.change_type`, each code's `sentence`, `count_sentence` and
`short`), so the pages and the feed say a change in the same words.  Each
change belongs to exactly one group (tables.yaml `cover: all`), so a page
that shows the groups shows every change once, and a group's count is the
length of its list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import Data
from ..pipeline.display import CodeGroup, category, groups, moves, render
from .format import value_of

FIELD = "changes.change_type"
#: the KPI columns whose change is a change of a target or a baseline
VALUE_FIELDS = (
    ("target_value", "target_unit", "target"),
    ("baseline_value", "baseline_unit", "baseline"),
)
YEAR_FIELDS = (("target_year", "target_label", "target"), ("baseline_year", "baseline_label", "baseline"))


def group_keys() -> list[str]:
    return [g.key for g in groups(FIELD)]


def group_of(change_type: str) -> str:
    return next(g.key for g in groups(FIELD) if change_type in g.codes)


@dataclass
class Item:
    """One change with the rows it is about."""

    change: dict
    before: dict | None
    after: dict | None
    goal: dict | None
    #: for a changed KPI: ("target" | "baseline", "raised" | "lowered" | "changed" | "moved")
    moves: list[tuple[str, str]] = field(default_factory=list)

    @property
    def row(self) -> dict:
        return self.after if self.after is not None else self.before

    @property
    def code(self) -> str:
        return self.change["change_type"]

    def fields(self) -> dict:
        """What a change's sentence may name (the fields of tables.yaml's sentences)."""
        c, b, a, row = self.change, self.before, self.after, self.row
        not_set = next((r for r in (a, b) if r is not None and r.get("status") == "not_set"), None)
        return {
            "where": self.goal["label"] if self.goal else c["section"],
            "section": c["section"],
            "noun": category("changes", "element_table", c["element_table"]).get("noun", ""),
            "name": _name(row),
            "before_name": _name(b),
            "after_name": _name(a),
            "project": (row or {}).get("project_name"),
            "target": _target(a),
            "target_when": _when(a),
            "status_text": not_set["status_text"] if not_set else None,
            "moves": moves_text(self.moves, b, a),
            "excerpt": excerpt(c["after_text"] or c["before_text"]),
        }

    def sentence(self, html: bool = True) -> str:
        """The one plain sentence that says the change (HTML with its name in <strong>, or text)."""
        return render(category("changes", "change_type", self.code)["sentence"], self.fields(), html=html)

    def short(self) -> str:
        """The change's name in a list of names (the top page)."""
        return render(category("changes", "change_type", self.code)["short"], self.fields())


#: how much of a text a sentence quotes to tell it from the others
EXCERPT = 24


def excerpt(text: str | None) -> str | None:
    """The start of a text, on one line, cut with 「…」 when longer than EXCERPT characters."""
    if not text:
        return None
    one = " ".join(text.split())
    return one if len(one) <= EXCERPT else one[:EXCERPT].rstrip() + "…"


def _name(row: dict | None) -> str | None:
    if row is None:
        return None
    return row.get("name") or row.get("title") or row.get("text")


def _target(k: dict | None) -> str | None:
    if k is None or k.get("status") != "set":
        return None
    return value_of(k, "target")


def _when(k: dict | None) -> str | None:
    if k is None or k.get("status") != "set":
        return None
    return "各年度" if k["target_each_year"] else k["target_label"]


def moves_text(found: list[tuple[str, str]], before: dict | None, after: dict | None) -> str:
    """「目標値が6,300人から6,500人に上がりました」: how a changed KPI's values moved, in tables.yaml's words."""
    words = moves()
    if not found:
        return words["none"]
    parts = []
    for side, how in found:
        if how == "moved":
            old, new = before[f"{side}_label"] or "－", after[f"{side}_label"] or "－"
        else:
            old, new = value_of(before, side), value_of(after, side)
        parts.append(render(words[how], {"role": words["roles"][side], "old": old, "new": new}))
    return "、".join(parts) + words["end"]


@dataclass
class Group:
    group: CodeGroup
    items: list[Item]

    @property
    def key(self) -> str:
        return self.group.key

    @property
    def title(self) -> str:
        return self.group.title

    @property
    def buckets(self) -> list[tuple[str, list[Item]]]:
        """The items by change type, in the group's order of codes, each with its count sentence."""
        out = []
        for code in self.group.codes:
            items = [it for it in self.items if it.code == code]
            if items:
                said = category("changes", "change_type", code)["count_sentence"].replace("{n}", str(len(items)))
                out.append((said, items))
        return out

    @property
    def values_moved(self) -> bool:
        """Whether a changed KPI in the group moved a target, a baseline or a year."""
        return any(it.moves for it in self.items)


def value_moves(before: dict, after: dict) -> list[tuple[str, str]]:
    """How a KPI's target and baseline moved: raised, lowered, changed (other unit), or moved (another year)."""
    found = []
    for value, unit_, side in VALUE_FIELDS:
        old, new = before[value], after[value]
        # the same kind of number: unit, per year or a total, qualifier (以上・以下…) and note
        kind = [f"{side}_per_year", f"{side}_qualifier", f"{side}_value_note"]
        same_kind = before[unit_] == after[unit_] and all(before.get(f) == after.get(f) for f in kind)
        if old == new and same_kind:
            continue
        if old is not None and new is not None and same_kind and old != new:
            found.append((side, "raised" if new > old else "lowered"))
        else:
            found.append((side, "changed"))
    for year, label, side in YEAR_FIELDS:
        span = (f"{side}_year_start", f"{side}_year_end")
        if (
            before[year] != after[year]
            or before[label] != after[label]
            or any(before.get(f) != after.get(f) for f in span)
        ):
            found.append((side, "moved"))
    return found


def item(d: Data, c: dict) -> Item:
    table = c["element_table"]
    before = d.get(table, c["before_id"]) if c["before_id"] is not None else None
    after = d.get(table, c["after_id"]) if c["after_id"] is not None else None
    version = c["to_version_id"] if after is not None else c["from_version_id"]
    goal = next((g for g in d.table("goals") if g["version_id"] == version and g["goal_no"] == c["goal_no"]), None)
    is_set = before and after and before.get("status") == after.get("status") == "set"
    found = value_moves(before, after) if c["change_type"] == "kpi_modified" and is_set else []
    return Item(change=c, before=before, after=after, goal=goal, moves=found)


def summarize(d: Data, changes: list[dict]) -> list[Group]:
    """The given changes in their groups, in reading order; every group is returned, empty or not."""
    return [Group(g, [item(d, c) for c in changes if c["change_type"] in g.codes]) for g in groups(FIELD)]
