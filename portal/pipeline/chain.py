"""Stage 4b — the chain: N 新旧対照表 documents → N+1 versions of the plan.

Document k compares version k (its 変更前 column) with version k+1 (its
変更後 column).  Version 1 is document 1's 変更前; version k+1 is document
k's 変更後, completed with what document k+1's 変更前 shows and document k's
変更後 leaves out (a part 「－ 省 略 －」 in one and shown in the other).

Where both columns show the same part (paired as in changes.compare: the
same heading, the same container), they must say the same, white space
aside; otherwise the build stops, naming both files and lines.  An element
shown in both is one row: the element of document k+1's 変更前 stands for
(is an alias of) the element of document k's 変更後, so references and
`previous_id` of later versions resolve to it.  What neither document shows
is not invented: its omission stays recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .changes import Change, Comparison, compare, place_reasons
from .errors import SourceError
from .plan import Chapter, Element, Omission, Plan, parse_plan
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

    @property
    def previous(self) -> dict[int, Element]:
        """id(element) → the element of the version before that it continues, over every revision."""
        out: dict[int, Element] = {}
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


def _chapter_key(c: Chapter | None) -> tuple:
    return c.key if c is not None else ()


def _covered(o: Omission, other: Plan) -> bool:
    """Whether the other column shows what the omission leaves out: a chapter or measure in its range.

    Only headings with numbers are matched; an omitted goal or 《…》 part stays
    recorded as omitted even when the other column shows it.
    """
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
