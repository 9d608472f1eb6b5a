"""The read stage (build.STAGES) — changes: compare the two versions and attach each change to its reason.

Elements are compared inside the same container (a chapter, a goal's
directions, a measure's texts, projects and related projects, a project's
KPIs).  Wording is compared with all white space removed, so spaces added by
the PDF extraction and different line breaks are not changes; a reworded
sentence is.

Reasons sit in the 変更理由 column beside the rows they explain.  Their
vertical spacing (blank lines) mirrors the spacing of those rows, so on each
page the changes, in reading order, are split into as many consecutive groups
as there are reasons, choosing the split whose row positions line up best with
the reasons' positions (least absolute deviation after a common shift), found
by dynamic programming in polynomial time (best_splits).
Changes inside an added, removed or replaced project belong to that project's
row and share its reason: its indicators, and the row that says no KPI is set
(「KPIの設定が困難なため設定しない」), which is no indicator but is part of the
project's KPI cell all the same.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SourceError
from .plan import Chapter, Element, Goal, Kpi, Measure, Plan, Project, Related, Text
from .source import Document, Page, Reason
from .text import compact

#: how alike two texts must be (difflib ratio) to count as the same text edited
SIMILAR = 0.5


@dataclass
class Change:
    change_type: str
    table: str  #: the table of the element: chapters, goals, measures, texts, projects, kpis, related_projects
    before: Element | None
    after: Element | None
    parent: Change | None = None
    reason: Reason | None = None
    children: list[Change] = field(default_factory=list)

    @property
    def element(self) -> Element:
        return self.after if self.after is not None else self.before

    @property
    def section(self) -> str:
        return self.element.section

    @property
    def page_no(self) -> int:
        return self.element.page_no

    @property
    def plan_page(self) -> int | None:
        return self.element.plan_page

    @property
    def goal_no(self) -> int | None:
        return getattr(self.element, "goal_no", None)


def element_text(el: Element | None) -> str | None:
    """The words of an element as a reader of the 新旧対照表 sees them."""
    if el is None:
        return None
    if isinstance(el, Text):
        return el.text
    if isinstance(el, Project):
        return f"{el.name}\n・{el.description}"
    if isinstance(el, Kpi):
        if el.status == "not_set":
            return el.status_text
        mark = lambda m: m or ""  # noqa: E731
        return (
            f"{el.name}{mark(el.name_mark)}：基準値 {el.baseline.shown}（{el.baseline_period.label}）{mark(el.baseline_mark)}"
            f" → 目標値 {el.target.shown}（{el.target_period.label}）{mark(el.target_mark)}"
        )
    if isinstance(el, Related):
        return el.name
    if isinstance(el, Goal):
        return f"{el.label} {el.title}"
    if isinstance(el, Measure):
        return f"{el.label}{el.title}"
    if isinstance(el, Chapter):
        return el.heading
    raise TypeError(type(el))


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def align(before: list, after: list, key, content=None, pair_all: bool = False) -> list[tuple]:
    """Pair the elements of two ordered lists: (b, a), (b, None) removed, (None, a) added.

    Equal keys pair at once.  In a run of differing keys, elements pair in
    order when the run has the same length on both sides and `pair_all` is
    set (a row of a table replaced by another), or else when their contents
    are alike.
    """
    content = content or key
    out: list[tuple] = []
    sm = difflib.SequenceMatcher(None, [key(x) for x in before], [key(x) for x in after], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        bs, as_ = before[i1:i2], after[j1:j2]
        if op == "equal":
            out += list(zip(bs, as_, strict=False))
            continue
        if pair_all and len(bs) == len(as_):
            out += list(zip(bs, as_, strict=False))
            continue
        j = 0
        for b in bs:
            match = next((k for k in range(j, len(as_)) if _ratio(content(b), content(as_[k])) >= SIMILAR), None)
            if match is None:
                out.append((b, None))
                continue
            out += [(None, a) for a in as_[j:match]]
            out.append((b, as_[match]))
            j = match + 1
        out += [(None, a) for a in as_[j:]]
    return out


def group_by(items: list, key) -> dict:
    groups: dict = {}
    for x in items:
        groups.setdefault(key(x), []).append(x)
    return groups


def _measure_key(m: Measure | None) -> tuple:
    return m.path if m is not None else ()


@dataclass
class Comparison:
    """The outcome of comparing two plans."""

    changes: list[Change]
    #: after-element id → before-element, for elements that continue across versions
    previous: dict[int, Element]


def compare(old: Plan, new: Plan) -> Comparison:
    """All changes from `old` to `new`, primary changes first in reading order of the 資料."""
    changes: list[Change] = []
    previous: dict[int, Element] = {}

    def link(b: Element, a: Element) -> None:
        previous[id(a)] = b

    # titles of parts and chapters, goals and measures
    headings = (
        ("chapters", lambda c: c.key),
        ("goals", lambda g: g.goal_no),
        ("measures", lambda m: (m.goal_no, m.path)),
    )
    for table, key in headings:
        for b, a in align(getattr(old, table), getattr(new, table), key=key, pair_all=True):
            if b and a:
                link(b, a)
                if compact(b.title) != compact(a.title):
                    changes.append(Change("text_modified", table, b, a))
            else:
                changes.append(Change("text_added" if a else "text_removed", table, b, a))

    # running text: paragraphs, directions, measure texts — per container
    tkey = lambda t: (t.kind, t.chapter.key if t.chapter else (), t.goal_no, _measure_key(t.measure))  # noqa: E731
    old_t, new_t = group_by(old.texts, tkey), group_by(new.texts, tkey)
    for container in list(old_t) + [c for c in new_t if c not in old_t]:
        for b, a in align(old_t.get(container, []), new_t.get(container, []), key=lambda t: compact(t.text)):
            if b and a:
                link(b, a)
                if compact(b.text) != compact(a.text):
                    changes.append(Change("text_modified", "texts", b, a))
            else:
                changes.append(Change("text_added" if a else "text_removed", "texts", b, a))

    # numerical goals, per goal
    nkey = lambda k: k.goal_no  # noqa: E731
    old_n = group_by([k for k in old.kpis if k.kind == "numerical_goal"], nkey)
    new_n = group_by([k for k in new.kpis if k.kind == "numerical_goal"], nkey)
    for container in list(old_n) + [c for c in new_n if c not in old_n]:
        changes += _kpi_changes(old_n.get(container, []), new_n.get(container, []), None, link)

    # projects and their KPIs, per measure
    pkey = lambda p: (p.goal_no, _measure_key(p.measure))  # noqa: E731
    old_p, new_p = group_by(old.projects, pkey), group_by(new.projects, pkey)
    for container in list(old_p) + [c for c in new_p if c not in old_p]:
        pairs = align(
            old_p.get(container, []),
            new_p.get(container, []),
            key=lambda p: compact(p.name),
            content=lambda p: compact(p.name + p.description),
            pair_all=True,
        )
        for b, a in pairs:
            if b and a:
                link(b, a)
                if compact(b.name) != compact(a.name):
                    parent = Change("project_replaced", "projects", b, a)
                elif compact(b.description) != compact(a.description):
                    parent = Change("project_modified", "projects", b, a)
                else:
                    parent = None
                kpi_changes = _kpi_changes(b.kpis, a.kpis, parent, link)
                if parent:
                    changes.append(parent)
                changes += kpi_changes
            else:
                parent = Change("project_added" if a else "project_removed", "projects", b, a)
                changes.append(parent)
                for k in (a or b).kpis:
                    if k.status == "set":
                        kind = "kpi_added" if a else "kpi_removed"
                    else:
                        kind = "kpi_not_set" if a else "kpi_not_set_removed"
                    parent.children.append(Change(kind, "kpis", None if a else k, k if a else None, parent=parent))
                changes += parent.children

    # related projects, per measure
    rkey = lambda r: (r.goal_no, _measure_key(r.measure))  # noqa: E731
    old_r, new_r = group_by(old.related, rkey), group_by(new.related, rkey)
    for container in list(old_r) + [c for c in new_r if c not in old_r]:
        for b, a in align(old_r.get(container, []), new_r.get(container, []), key=lambda r: compact(r.name)):
            if b and a:
                link(b, a)
            else:
                changes.append(
                    Change("related_project_added" if a else "related_project_removed", "related_projects", b, a)
                )

    return Comparison(changes=changes, previous=previous)


def _kpi_changes(before: list[Kpi], after: list[Kpi], parent: Change | None, link) -> list[Change]:
    """Changes of the KPI cell of a project (or the 数値目標 of a goal) that is in both versions.

    Indicators pair with indicators.  An indicator that is gone is
    `kpi_removed`, or, when the cell now says that no KPI is set,
    `kpi_changed_to_not_set` with that not-set row as its after side: the
    indicator was given up, not deleted.  Likewise an indicator set where the
    cell said "not set" is `kpi_set_from_not_set`, its before side the not-set
    row.  Two not-set rows are compared by their words.
    """
    out: list[Change] = []
    b_set, a_set = [k for k in before if k.status == "set"], [k for k in after if k.status == "set"]
    b_not = next((k for k in before if k.status != "set"), None)
    a_not = next((k for k in after if k.status != "set"), None)
    for b, a in align(b_set, a_set, key=lambda k: compact(k.name or ""), pair_all=True):
        if b and a:
            link(b, a)
            if element_text(b) != element_text(a) or compact(b.note or "") != compact(a.note or ""):
                out.append(Change("kpi_modified", "kpis", b, a, parent=parent))
        elif b:
            out.append(Change("kpi_changed_to_not_set" if a_not else "kpi_removed", "kpis", b, a_not, parent=parent))
        else:
            out.append(Change("kpi_set_from_not_set" if b_not else "kpi_added", "kpis", b_not, a, parent=parent))
    if b_not and a_not:
        link(b_not, a_not)  # the cell said "not set" in both versions: the same row continues
        if compact(b_not.status_text or "") != compact(a_not.status_text or ""):
            out.append(Change("kpi_modified", "kpis", b_not, a_not, parent=parent))
    if parent is not None:
        parent.children += out
    return out


def place_reasons(changes: list[Change], document: Document, path: Path) -> list[Change]:
    """Attach every change to a reason of its page, and return the changes in the 資料's reading order.

    Raises SourceError where a reason cannot be placed.
    """
    by_page = group_by([c for c in changes if c.parent is None], lambda c: c.page_no)
    for page in document.pages:
        primary = by_page.get(page.no, [])
        reasons = page.reasons
        if not primary and reasons:
            raise SourceError(path, reasons[0].first_line, "変更理由がありますが、このページに変更箇所が見つかりません")
        if primary and not reasons:
            raise SourceError(
                path, primary[0].element.first_line, "変更箇所がありますが、このページに変更理由がありません"
            )
        if len(reasons) > len(primary):
            extra = reasons[len(primary)]
            raise SourceError(
                path,
                extra.first_line,
                f"変更理由が {len(reasons)} 件ありますが、変更箇所は {len(primary)} 件で、この理由を当てる変更がありません",
            )
        if not primary:
            continue
        groups = _best_split(page, primary, reasons, path)
        for reason, group in zip(reasons, groups, strict=False):
            for change in group:
                change.reason = reason
    for change in changes:
        if change.parent is not None:
            change.reason = change.parent.reason
    pages = {p.no: p for p in document.pages}
    return sorted(changes, key=lambda c: (c.page_no, anchor(c, pages[c.page_no]), c.parent is not None))


def anchor(change: Change, page: Page) -> int:
    """The change's row position, in lines of the 変更後 column."""
    if change.after is not None:
        return change.after.first_line
    return change.before.first_line + page.column_offset


def _best_split(page: Page, changes: list[Change], reasons: list[Reason], path: Path) -> list[list[Change]]:
    ordered = sorted(changes, key=lambda c: anchor(c, page))
    rows = [anchor(c, page) for c in ordered]
    marks = [r.first_line for r in reasons]
    if len(reasons) == 1:
        return [ordered]
    splits = best_splits(rows, marks)
    if len(splits) > 1:
        raise SourceError(
            path,
            reasons[0].first_line,
            "変更理由をどの変更箇所に当てるか、位置から一つに決められません",
        )
    bounds = splits[0]
    return [ordered[bounds[g] : bounds[g + 1]] for g in range(len(reasons))]


def best_splits(rows: list[int], marks: list[int], limit: int = 2) -> list[tuple[int, ...]]:
    """The splits of `rows` (in order) into len(marks) consecutive non-empty groups that fit the marks best.

    A split's cost is the least sum of |marks[g] - row - shift| over its rows,
    for one common shift: the reasons' column may stand higher or lower than
    the rows as a whole.  The best shift is always one of the offsets
    marks[g] - row, so for each such shift a dynamic programme over (group,
    last row) finds the cheapest split in O(groups × rows); in all
    O(groups² × rows²) steps instead of trying every split.  Returns up to
    `limit` distinct splits of the least cost, each as bounds (0, …, len(rows)):
    more than one means the position cannot decide.
    """
    n, r = len(rows), len(marks)
    if r > n:
        raise ValueError("more groups than rows")
    inf = float("inf")
    shifts = sorted({m - x for m in marks for x in rows})
    tables: list[tuple[int, list[list[float]], list[list[int]]]] = []
    best = inf
    for shift in shifts:
        # prefix[g][i]: cost of rows[:i] all placed with reason g
        prefix = [[0] * (n + 1) for _ in range(r)]
        for g, m in enumerate(marks):
            acc = 0
            for i, x in enumerate(rows):
                acc += abs(m - x - shift)
                prefix[g][i + 1] = acc
        # cost[g][j]: least cost of rows[:j] split into groups 0..g, group g ending at row j-1
        cost = [[inf] * (n + 1) for _ in range(r)]
        for j in range(1, n + 1):
            cost[0][j] = prefix[0][j]
        for g in range(1, r):
            lowest = inf  # min over i < j of cost[g-1][i] - prefix[g][i]
            for j in range(g + 1, n + 1):
                i = j - 1
                lowest = min(lowest, cost[g - 1][i] - prefix[g][i])
                cost[g][j] = lowest + prefix[g][j]
        total = cost[r - 1][n]
        if total < best:
            best, tables = total, []
        if total == best:
            tables.append((shift, cost, prefix))
    found: list[tuple[int, ...]] = []
    for _, cost, prefix in tables:
        _walk_back(cost, prefix, r - 1, n, (n,), found, limit)
        if len(found) >= limit:
            break
    return found


def _walk_back(cost, prefix, g: int, j: int, tail: tuple[int, ...], found: list, limit: int) -> None:
    """Collect the optimal splits ending with group g at row j-1 (each branch taken leads to a split)."""
    if len(found) >= limit:
        return
    if g == 0:
        bounds = (0, *tail)
        if bounds not in found:
            found.append(bounds)
        return
    for i in range(j - 1, g - 1, -1):
        if cost[g - 1][i] + prefix[g][j] - prefix[g][i] == cost[g][j]:
            _walk_back(cost, prefix, g - 1, i, (i, *tail), found, limit)
            if len(found) >= limit:
                return
