"""The read stage (build.STAGES), last step — records: the plan model and the changes as rows of the published tables.

Row ids are given in reading order (version by version, oldest first; in a
version, the elements of the document whose 変更後 column it is, then those
only the next document's 変更前 column shows), so the same sources always
give the same ids.  An element two documents show is one row (chain.alias).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from .chain import Chain
from .changes import element_text
from .comparison import kpi_comparison_rows
from .lineage import lineage_rows
from .manifest import Manifest
from .plan import Element, Kpi
from .schema import tables
from .values import units


class _Ids:
    """Row ids per table, keyed by the model object."""

    def __init__(self, alias: dict[int, object] | None = None) -> None:
        self.by_obj: dict[int, int] = {}
        self.next: dict[str, int] = {}
        #: id(obj) → the object whose row stands for it (an element two documents show)
        self.alias = alias or {}

    def new(self, table: str, obj: object) -> int:
        n = self.next.get(table, 0) + 1
        self.next[table] = n
        self.by_obj[id(obj)] = n
        return n

    def of(self, obj: object | None) -> int | None:
        while obj is not None and id(obj) not in self.by_obj:
            obj = self.alias[id(obj)]
        return None if obj is None else self.by_obj[id(obj)]


def _where(el: Element) -> dict:
    return {"plan_page": el.plan_page, "source_page": el.page_no}


def _lines(el: Element) -> dict:
    return {"source_line_start": el.first_line, "source_line_end": el.last_line}


#: table name → the function that makes its rows, in the order they are made (a table's ids before the rows
#: that point to them); every table of tables.yaml has one (build_records checks)
ROWS: dict[str, Callable[[_Records], list[dict]]] = {}


def rows_of(name: str):
    """Register the function that makes the rows of table `name` (the order of registration is the order of making)."""

    def register(make: Callable[[_Records], list[dict]]):
        ROWS[name] = make
        return make

    return register


def build_records(manifest: Manifest, chain: Chain) -> dict[str, list[dict]]:
    """Rows for every table of tables.yaml, each row a dict in the schema's column order."""
    names = [t.name for t in tables()]
    if set(names) != set(ROWS):
        raise KeyError(f"tables.yaml and records.ROWS differ: {sorted(set(names) ^ set(ROWS))}")
    r = _Records(manifest, chain)
    for name, make in ROWS.items():
        r.rows[name] = make(r)
    # every row in its table's column order, and nothing the schema does not name
    rows = {}
    for t in tables():
        cols = t.columns
        for row in r.rows[t.name]:
            extra = set(row) - set(cols)
            if extra:
                raise KeyError(f"{t.name}: columns not in tables.yaml: {sorted(extra)}")
        rows[t.name] = [{c: row.get(c) for c in cols} for row in r.rows[t.name]]
    return rows


class _Records:
    """What the functions of ROWS share: the sources, the ids given so far and the rows made so far."""

    def __init__(self, manifest: Manifest, chain: Chain) -> None:
        self.manifest = manifest
        self.chain = chain
        self.town = {"municipality_code": manifest.municipality_code, "municipality_name": manifest.municipality_name}
        self.ids = _Ids(chain.alias)
        self.rows: dict[str, list[dict]] = {}

    def previous(self, el: Element) -> int | None:
        """The row of the element in the version before, that this one continues."""
        return self.ids.of(self.chain.previous.get(id(el)))

    def omitted(self, el) -> bool:
        return el.omitted and id(el) not in self.chain.shown

    def version(self, el: Element, version_id: int) -> dict:
        return {"version_id": version_id, "document_id": self.chain.document_of[id(el)]}

    def plan_rows(self, table: str, elements, columns: Callable[[object], dict]) -> list[dict]:
        """One row per element of the plan of every version, oldest first: its id, version and document, then `columns`."""
        out = []
        for version_id, plan in self.chain.versions.items():
            for el in elements(plan):
                out.append({"id": self.ids.new(table, el), **self.version(el, version_id), **columns(el)})
        return out

    @cached_property
    def lineage(self) -> dict[str, list[dict]]:
        return lineage_rows(self.rows, self.town)


@rows_of("documents")
def _documents(r: _Records) -> list[dict]:
    return [
        {
            **r.town,
            "id": rev.document_id,
            "title": info.title,
            "source_path": info.package_path,
            "published": info.published,
            "page_url": info.page_url,
            "pdf_url": info.pdf_url,
            "from_version_id": rev.document_id,
            "to_version_id": rev.document_id + 1,
        }
        for rev, info in zip(r.chain.revisions, r.manifest.documents, strict=True)
    ]


@rows_of("versions")
def _versions(r: _Records) -> list[dict]:
    out = []
    for seq, v in enumerate(r.manifest.versions, 1):
        source = r.manifest.documents[max(seq - 1, 1) - 1]
        out.append(
            {
                **r.town,
                "id": seq,
                "seq": seq,
                "column_label": v.column_label,
                "label": v.label,
                "description": v.description,
                "date": v.date,
                "plan_url": v.plan_url,
                "document_id": max(seq - 1, 1),
                "source_title": source.title,
                "source_path": source.package_path,
                "source_published": source.published,
            }
        )
    return out


@rows_of("source_pages")
def _source_pages(r: _Records) -> list[dict]:
    return [
        {
            "document_id": rev.document_id,
            "page_no": page.no,
            "printed_page_no": page.printed_no,
            "plan_pages": ",".join(str(p) for p in page.plan_pages),
            "header_line": page.header_line,
            "last_line": page.last_line,
        }
        for rev in r.chain.revisions
        for page in rev.document.pages
    ]


@rows_of("chapters")
def _chapters(r: _Records) -> list[dict]:
    return r.plan_rows(
        "chapters",
        lambda plan: plan.chapters,
        lambda c: {
            "level": c.level,
            "number": c.number,
            "number_to": c.number_to,
            "label": c.label,
            "title": c.title,
            "parent_id": r.ids.of(c.parent),
            "omitted": r.omitted(c),
            **_where(c),
            "source_line": c.first_line,
            "previous_id": r.previous(c),
        },
    )


@rows_of("goals")
def _goals(r: _Records) -> list[dict]:
    return r.plan_rows(
        "goals",
        lambda plan: plan.goals,
        lambda g: {
            **r.town,
            "goal_no": g.goal_no,
            "label": g.label,
            "title": g.title,
            "chapter_id": r.ids.of(g.chapter),
            **_where(g),
            "source_line": g.first_line,
        },
    )


@rows_of("measures")
def _measures(r: _Records) -> list[dict]:
    return r.plan_rows(
        "measures",
        lambda plan: plan.measures,
        lambda m: {
            "goal_no": m.goal_no,
            "parent_id": r.ids.of(m.parent),
            "level": m.level,
            "number": m.number,
            "label": m.label,
            "title": m.title,
            "omitted": r.omitted(m),
            "section": m.section,
            **_where(m),
            "source_line": m.first_line,
        },
    )


@rows_of("texts")
def _texts(r: _Records) -> list[dict]:
    return r.plan_rows(
        "texts",
        lambda plan: plan.texts,
        lambda t: {
            "kind": t.kind,
            "goal_no": t.goal_no,
            "measure_id": r.ids.of(t.measure),
            "chapter_id": r.ids.of(t.chapter),
            "chapter": t.chapter.heading if t.chapter else None,
            "seq": t.seq,
            "text": t.text,
            "section": t.section,
            **_where(t),
            **_lines(t),
            "previous_id": r.previous(t),
        },
    )


@rows_of("events")
def _events(r: _Records) -> list[dict]:
    return r.plan_rows(
        "events",
        lambda plan: plan.events,
        lambda e: {
            "text_id": r.ids.of(e.text_ref),
            "chapter_id": r.ids.of(e.text_ref.chapter),
            "seq": e.seq,
            "year": e.year,
            "month": e.month,
            "label": e.label,
            "sentence": e.sentence,
        },
    )


@rows_of("projects")
def _projects(r: _Records) -> list[dict]:
    return r.plan_rows(
        "projects",
        lambda plan: plan.projects,
        lambda p: {
            **r.town,
            "goal_no": p.goal_no,
            "measure_id": r.ids.of(p.measure),
            "seq": p.seq,
            "name": p.name,
            "description": p.description,
            "section": p.section,
            **_where(p),
            **_lines(p),
            "previous_id": r.previous(p),
        },
    )


@rows_of("kpis")
def _kpis(r: _Records) -> list[dict]:
    return r.plan_rows(
        "kpis",
        lambda plan: plan.kpis,
        lambda k: {**r.town, **_kpi_columns(k, r.ids), "previous_id": r.previous(k)},
    )


@rows_of("related_projects")
def _related_projects(r: _Records) -> list[dict]:
    return r.plan_rows(
        "related_projects",
        lambda plan: plan.related,
        lambda rp: {
            "goal_no": rp.goal_no,
            "measure_id": r.ids.of(rp.measure),
            "seq": rp.seq,
            "name": rp.name,
            "section": rp.section,
            **_where(rp),
            "source_line": rp.first_line,
            "previous_id": r.previous(rp),
        },
    )


@rows_of("omissions")
def _omissions(r: _Records) -> list[dict]:
    return r.plan_rows(
        "omissions",
        lambda plan: plan.omissions,
        lambda o: {
            "level": o.level,
            "goal_no": o.goal_no,
            "measure_id": r.ids.of(o.measure),
            "chapter_id": r.ids.of(o.chapter),
            "scope": o.scope,
            "number_from": o.number_from,
            "number_to": o.number_to,
            "section": o.section,
            **_where(o),
            "heading_line": o.heading_line,
            "marker_line": o.last_line,
        },
    )


@rows_of("reasons")
def _reasons(r: _Records) -> list[dict]:
    out = []
    for rev in r.chain.revisions:
        # a reason's plan page is the first page of the changes it explains
        reason_pages: dict[int, int] = {}
        for c in rev.changes:
            if c.plan_page is not None:
                reason_pages[id(c.reason)] = min(c.plan_page, reason_pages.get(id(c.reason), c.plan_page))
        for page in rev.document.pages:
            for reason in page.reasons:
                out.append(
                    {
                        "id": r.ids.new("reasons", reason),
                        "document_id": rev.document_id,
                        "source_page": page.no,
                        "seq": reason.seq,
                        "text": reason.text,
                        "plan_page": reason_pages.get(id(reason)),
                        "source_line_start": reason.first_line,
                        "source_line_end": reason.last_line,
                    }
                )
    return out


@rows_of("changes")
def _changes(r: _Records) -> list[dict]:
    out = []
    ids = r.ids
    for rev in r.chain.revisions:
        for c in rev.changes:  # a change may point to its parent further on
            ids.new("changes", c)
        for c in rev.changes:
            out.append(
                {
                    **r.town,
                    "id": ids.of(c),
                    "from_version_id": rev.document_id,
                    "to_version_id": rev.document_id + 1,
                    "document_id": rev.document_id,
                    "source_page": c.page_no,
                    "plan_page": c.plan_page,
                    "goal_no": c.goal_no,
                    "section": c.section,
                    "change_type": c.change_type,
                    "element_table": c.table,
                    "before_id": ids.of(c.before),
                    "after_id": ids.of(c.after),
                    "before_text": element_text(c.before),
                    "after_text": element_text(c.after),
                    "reason_id": ids.of(c.reason),
                    "reason": c.reason.text,
                    "parent_id": ids.of(c.parent),
                    "before_line": c.before.first_line if c.before else None,
                    "after_line": c.after.first_line if c.after else None,
                }
            )
    return out


@rows_of("units")
def _units(r: _Records) -> list[dict]:
    """The units the values use, described from the catalogue (vocabulary.yaml)."""
    used = {row[f"{side}_unit"] for row in r.rows["kpis"] for side in ("baseline", "target")} - {None}
    return [
        {"unit": unit.unit, "title": unit.title, "base_unit": unit.base_unit, "multiplier": unit.multiplier}
        for unit in units().values()
        if unit.unit in used
    ]


@rows_of("kpi_comparison")
def _kpi_comparison(r: _Records) -> list[dict]:
    return kpi_comparison_rows(r.rows["kpis"], r.rows["changes"], r.town)


@rows_of("indicators")
def _indicators(r: _Records) -> list[dict]:
    return r.lineage["indicators"]


@rows_of("project_lineage")
def _project_lineage(r: _Records) -> list[dict]:
    return r.lineage["project_lineage"]


def _kpi_columns(k: Kpi, ids: _Ids) -> dict:
    def side(prefix: str, amount, period) -> dict:
        return {
            f"{prefix}_text": amount.text if amount else None,
            f"{prefix}_value": amount.value if amount else None,
            f"{prefix}_value_kind": amount.kind if amount else None,
            f"{prefix}_unit": amount.unit if amount else None,
            f"{prefix}_year": period.year if period else None,
            f"{prefix}_year_type": period.year_type if period else None,
            f"{prefix}_label": period.label if period else None,
            f"{prefix}_each_year": period.each_year if period else None,
            f"{prefix}_year_start": period.year_start if period else None,
            f"{prefix}_year_end": period.year_end if period else None,
            f"{prefix}_per_year": amount.per_year if amount else None,
            f"{prefix}_qualifier": amount.qualifier if amount else None,
            f"{prefix}_value_note": amount.note if amount else None,
            f"{prefix}_base_value": amount.base_value if amount else None,
            f"{prefix}_base_unit": amount.base_unit if amount else None,
        }

    return {
        "goal_no": k.goal_no,
        "project_id": ids.of(k.project),
        "project_name": k.project.name if k.project else None,
        "kind": k.kind,
        "seq": k.seq,
        "name": k.name,
        **side("baseline", k.baseline, k.baseline_period),
        **side("target", k.target, k.target_period),
        "status": k.status,
        "status_text": k.status_text,
        "name_mark": k.name_mark,
        "baseline_mark": k.baseline_mark,
        "target_mark": k.target_mark,
        "note": k.note,
        "section": k.section,
        **_where(k),
        **_lines(k),
    }
