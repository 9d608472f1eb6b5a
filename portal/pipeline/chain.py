"""The read stage (build.STAGES) — the chain: N 新旧対照表 documents → N+1 versions of the plan.

Document k compares version k (its 変更前 column) with version k+1 (its
変更後 column).  Version 1 is document 1's 変更前; version k+1 is document
k's 変更後, completed with what document k+1's 変更前 shows and document k's
変更後 leaves out (a part 「－ 省 略 －」 in one and shown in the other).

Where both columns show the same part (paired as in changes.compare: the
same heading, the same container), they must say the same, white space
aside; otherwise the build stops, naming both files and lines.  The same
holds for what a part holds: where both columns show a container (a
sub-measure's texts, 具体的な事業 table and 主な関連事業 list, a project's KPI
cell, the ○ directions and 数値目標 under a 《…》 heading, the paragraphs of a
chapter), an element one column shows in it and the other lacks is a
disagreement too.  A container is shown when its heading is, not followed by
「－ 省 略 －」: what a shown heading holds runs, complete, to the next
heading.  Lists of headings (the chapters of a part, the measures of a goal)
are not checked for missing members: a 資料 leaves out whole pages of the
plan without a marker.  An element
shown in both is one row: the element of document k+1's 変更前 stands for
(is an alias of) the element of document k's 変更後, so references and
`previous_id` of later versions resolve to it.  What neither document shows
is not invented: its omission stays recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .changes import Change, Comparison, compare, element_text, group_by, place_reasons
from .errors import SourceError
from .plan import Chapter, Element, Goal, Kpi, Measure, Omission, Plan, Project, Related, Subsection, Text, parse_plan
from .source import Document, read_source
from .text import compact


@dataclass
class Revision:
    """One document of the chain: its two columns, and the changes between them with their reasons."""

    document_id: int
    path: Path
    document: Document
    before: Plan
    after: Plan
    comparison: Comparison
    changes: list[Change]


@dataclass
class Chain:
    revisions: list[Revision]
    #: version id → the plan of that version (for a middle version, two documents' columns together)
    versions: dict[int, Plan]
    #: id(element of document k+1's 変更前) → the element of document k's 変更後 it repeats
    alias: dict[int, Element] = field(default_factory=dict)
    #: id(element) → the document it was read from
    document_of: dict[int, int] = field(default_factory=dict)
    #: ids of headings omitted in one column whose content the other document's column shows
    shown: set[int] = field(default_factory=set)
    #: id(element of version k+1) → the element of version k it continues across document k, which omits both
    across: dict[int, Element] = field(default_factory=dict)

    @property
    def previous(self) -> dict[int, Element]:
        """id(element) → the element of the version before that it continues, over every revision."""
        out: dict[int, Element] = dict(self.across)
        for r in self.revisions:
            out.update(r.comparison.previous)
        return out


def read_revision(document_id: int, path: Path) -> Revision:
    """Read one document: its pages, both columns' plans, the changes and their reasons (SourceError if bad)."""
    document = read_source(path)
    before = parse_plan(document.column("before"), path)
    after = parse_plan(document.column("after"), path)
    comparison = compare(before, after)
    changes = place_reasons(comparison.changes, document, path)
    return Revision(document_id, path, document, before, after, comparison, changes)


def read_chain(paths: list[Path]) -> Chain:
    """Read the documents, oldest first, and join them into versions."""
    revisions = [read_revision(k, Path(p)) for k, p in enumerate(paths, 1)]
    chain = Chain(revisions=revisions, versions={})
    for r in revisions:
        for plan in (r.before, r.after):
            for el in _elements(plan):
                chain.document_of[id(el)] = r.document_id
    chain.versions[1] = revisions[0].before
    for k, (r, nxt) in enumerate(zip(revisions, revisions[1:] + [None], strict=True), 2):
        chain.versions[k] = r.after if nxt is None else _join(chain, r, nxt)
    for r in revisions:
        _link_across(chain, r)
    return chain


def _elements(plan: Plan) -> list[Element]:
    return [
        *plan.chapters,
        *plan.goals,
        *plan.measures,
        *plan.texts,
        *plan.events,
        *plan.projects,
        *plan.kpis,
        *plan.related,
        *plan.omissions,
    ]


def _join(chain: Chain, earlier: Revision, later: Revision) -> Plan:
    """One version from document k's 変更後 (`earlier.after`) and document k+1's 変更前 (`later.before`)."""
    a, b = earlier.after, later.before
    check = compare(a, b)
    for c in check.changes:
        if c.before is not None and c.after is not None:
            raise SourceError(
                later.path,
                c.after.first_line,
                f"この「変更前」の記載が、{earlier.path.name} の {c.before.first_line} 行目（「変更後」）と食い違います"
                f"（{earlier.path}:{c.before.first_line}、空白の違いは除いて比べています）",
            )
    for c in check.changes:
        if c.parent is None:  # an element inside an added or removed project goes with its project
            _missing(c, check, earlier, later)
    alias = check.previous  # id(b's element) → a's element
    chain.alias.update(alias)
    for partner in [*b.chapters, *b.measures]:
        el = alias.get(id(partner))
        if el is not None and el.omitted and not partner.omitted:
            chain.shown.add(id(el))

    def extra(items: list) -> list:
        return [x for x in items if id(x) not in alias]

    return Plan(
        chapters=a.chapters + extra(b.chapters),
        goals=a.goals + extra(b.goals),
        measures=a.measures + extra(b.measures),
        texts=a.texts + extra(b.texts),
        events=a.events + [e for e in b.events if id(e.text_ref) not in alias],
        projects=a.projects + extra(b.projects),
        kpis=a.kpis + extra(b.kpis),
        related=a.related + extra(b.related),
        omissions=[o for o in a.omissions if not _covered(o, b)]
        + [o for o in b.omissions if not _covered(o, a) and not any(_same_scope(o, x) for x in a.omissions)],
    )


#: the tables whose rows name the row they continue (previous_id)
CONTINUED = ("chapters", "texts", "projects", "kpis", "related")


def _identity(el: Element) -> tuple:
    """Where an element stands (its heading path, by numbers) and what it says, white space aside."""
    measure = lambda m: m.path if m is not None else ()  # noqa: E731
    if isinstance(el, Chapter):
        return ("chapters", el.key, compact(el.heading))
    if isinstance(el, Text):
        chapter = el.chapter.key if el.chapter else ()
        subsection = compact(el.subsection.title) if el.subsection else None
        return ("texts", el.kind, chapter, el.goal_no, measure(el.measure), subsection, compact(el.text))
    if isinstance(el, Project):
        return ("projects", el.goal_no, measure(el.measure), compact(el.name), compact(el.description))
    if isinstance(el, Kpi):
        project = el.project
        where = (
            (measure(project.measure), compact(project.name))
            if project
            else (compact(el.subsection.title),)
            if el.subsection
            else ()
        )
        return ("kpis", el.kind, el.goal_no, where, compact(element_text(el) or ""), compact(el.note or ""))
    return ("related", el.goal_no, measure(el.measure), compact(el.name))


def _link_across(chain: Chain, r: Revision) -> None:
    """Link what document k omits in both columns across it: version k's element to version k+1's.

    Version k may hold an element only document k-1's 変更後 shows, and
    version k+1 one only document k+1's 変更前 shows.  Document k says nothing
    of either (its 「－ 省 略 －」 means "unchanged, left out", or its pages leave
    that part of the plan out).  Such elements are the same element when they
    stand at the same heading path (numbers of part, chapter, goal, measure;
    the project they belong to) and say the same, white space aside: the
    element continues, and no change links them.  Anything else is not linked:
    a lineage starts anew there (an indicator whose figures differ across the
    gap is, as far as the documents go, another row; no change is made up).
    An element the same words stand for twice on one side is linked only
    when both sides hold it equally often, in order.
    """
    k = r.document_id
    before, after = chain.versions[k], chain.versions[k + 1]
    in_before = {id(x) for x in _elements(r.before)} | {
        id(chain.alias[id(x)]) for x in _elements(r.before) if id(x) in chain.alias
    }
    in_after = {id(x) for x in _elements(r.after)}
    for table in CONTINUED:
        olds = [x for x in getattr(before, table) if id(x) not in in_before]
        news = [x for x in getattr(after, table) if id(x) not in in_after]
        old_by, new_by = group_by(olds, _identity), group_by(news, _identity)
        for key, found in new_by.items():
            if len(old_by.get(key, [])) == len(found):
                for old, new in zip(old_by[key], found, strict=True):
                    chain.across[id(new)] = old


def _chapter_key(c: Chapter | None) -> tuple:
    return c.key if c is not None else ()


def _covered(o: Omission, other: Plan) -> bool:
    """Whether the other column shows what the omission leaves out.

    A goal (its heading followed by 「－ 省 略 －」) is shown where the other
    column has that goal's heading followed by what stands under it; a 《…》
    part where the other column has the same 《…》 heading in that goal, not
    omitted; a range of chapters or measures where it has a heading in the
    range, not omitted.  What the other column shows of it is then in the
    version (its elements are added), and what it omits in turn is recorded
    from its own omissions.
    """
    if o.level == "goal":
        return o.goal_no is not None and _goal_shown(other, o.goal_no) is not None
    if o.level == "subsection":
        return _subsection_shown(other, o.goal_no, o.scope) is not None
    lo, hi = o.number_from, o.number_to
    if lo is None or hi is None:
        return False
    if o.level in ("part", "chapter") and o.chapter is not None:
        parent = _chapter_key(o.chapter.parent)
        return any(
            not c.omitted and c.level == o.level and _chapter_key(c.parent) == parent and lo <= c.number <= hi
            for c in other.chapters
        )
    if o.level in ("measure", "submeasure"):
        level = 1 if o.level == "measure" else 2
        parent = o.measure.path if (level == 2 and o.measure is not None) else None
        return any(
            not m.omitted
            and m.goal_no == o.goal_no
            and m.level == level
            and (m.parent.path if m.parent else None) == parent
            and lo <= m.number <= hi
            for m in other.measures
        )
    return False


def _same_scope(o: Omission, x: Omission) -> bool:
    """Two columns omitting the same part (recorded once)."""
    return (o.level, o.goal_no, o.number_from, o.number_to, compact(o.scope)) == (
        x.level,
        x.goal_no,
        x.number_from,
        x.number_to,
        compact(x.scope),
    )


def _short(text: str, size: int = 20) -> str:
    words = compact(text)
    return words[:size] + ("…" if len(words) > size else "")


#: how an error names an element: (type, what it is, its words)
DESCRIBED = (
    (Project, "事業", lambda e: e.name),
    (Kpi, "指標", lambda e: e.name or e.status_text),
    (Related, "関連事業", lambda e: e.name),
    (Text, "文", lambda e: _short(e.text)),
    (Measure, "見出し", lambda e: f"{e.label}{e.title}"),
    (Subsection, "見出し", lambda e: e.title),
    (Chapter, "見出し", lambda e: e.heading),
    (Goal, "見出し", lambda e: e.label),
)


def _describe(el: Element) -> str:
    """An element as a reader finds it in the 資料: its kind and its words."""
    kind, words = next((kind, words) for t, kind, words in DESCRIBED if isinstance(el, t))
    return f"{kind}「{words(el)}」"


def _goal_shown(plan: Plan, goal_no: int) -> Goal | None:
    """The goal's heading, when the column shows it and what stands under it (not 「－ 省 略 －」)."""
    if any(o.level == "goal" and o.goal_no == goal_no for o in plan.omissions):
        return None
    goal = next((g for g in plan.goals if g.goal_no == goal_no), None)
    content = [*plan.subsections, *plan.measures, *plan.texts, *plan.kpis, *plan.omissions]
    if goal is None or not any(getattr(x, "goal_no", None) == goal_no for x in content):
        return None
    return goal


def _subsection_shown(plan: Plan, goal_no: int | None, title: str) -> Subsection | None:
    """The 《…》 heading of that goal, when the column shows it with its content."""
    return next(
        (s for s in plan.subsections if s.goal_no == goal_no and compact(s.title) == compact(title) and not s.omitted),
        None,
    )


def _container(el: Element, plan: Plan, partner: dict[int, Element]) -> Element | None:
    """The heading (or project) in `plan` under which `el` would stand, if `plan` shows that container whole.

    `partner` maps id(element of the other column) → the element of `plan`
    paired with it.  None where `plan` does not show the container (omitted,
    or on a page the 資料 leaves out), and for headings themselves, whose
    lists are not known to be complete.
    """
    if isinstance(el, Kpi) and el.kind == "kpi":
        return partner.get(id(el.project))
    if isinstance(el, Kpi | Text) and el.goal_no is not None and el.subsection is not None:
        return _subsection_shown(plan, el.goal_no, el.subsection.title)
    if isinstance(el, Kpi):  # a 数値目標 table directly under its goal's heading
        if any(s.goal_no == el.goal_no for s in plan.subsections):
            return None
        return _goal_shown(plan, el.goal_no)
    if isinstance(el, Text) and el.kind == "paragraph" and el.chapter is not None:
        return next((c for c in plan.chapters if c.key == el.chapter.key and not c.omitted), None)
    if isinstance(el, Text | Project | Related) and el.measure is not None:
        return next(
            (
                m
                for m in plan.measures
                if (m.goal_no, m.level, m.path) == (el.goal_no, el.measure.level, el.measure.path) and not m.omitted
            ),
            None,
        )
    return None


def _missing(c: Change, check: Comparison, earlier: Revision, later: Revision) -> None:
    """An element only one of the two columns shows, in a container both show: a disagreement (SourceError)."""
    forward = check.previous  # id(project of document k+1's 変更前) → the project of document k's 変更後
    backward = {id(forward[id(p)]): p for p in later.before.projects if id(p) in forward}
    if c.after is not None:  # shown by document k+1's 変更前 only
        el, heading = c.after, _container(c.after, earlier.after, forward)
        if heading is None:
            return
        line = el.first_line
        message = (
            f"この「変更前」の{_describe(el)}が、{earlier.path.name} の「変更後」の同じ箇所"
            f"（{earlier.path}:{heading.first_line} の{_describe(heading)}の下）にありません"
        )
    else:  # shown by document k's 変更後 only
        el, heading = c.before, _container(c.before, later.before, backward)
        if heading is None:
            return
        line = heading.first_line
        message = (
            f"この「変更前」の{_describe(heading)}の下に、{earlier.path.name} の「変更後」にある{_describe(el)}"
            f"（{earlier.path}:{el.first_line}）がありません"
        )
    raise SourceError(later.path, line, message)
