"""Stage 5 — records: the plan model and the changes as rows of the published tables.

Row ids are given in reading order (version by version, oldest first; in a
version, the elements of the document whose 変更後 column it is, then those
only the next document's 変更前 column shows), so the same sources always
give the same ids.  An element two documents show is one row (chain.alias).
"""

from __future__ import annotations

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


def build_records(manifest: Manifest, chain: Chain) -> dict[str, list[dict]]:
    """Rows for every table of tables.yaml, each row a dict in the schema's column order."""
    town = {"municipality_code": manifest.municipality_code, "municipality_name": manifest.municipality_name}
    ids = _Ids(chain.alias)
    rows: dict[str, list[dict]] = {t.name: [] for t in tables()}
    continues = chain.previous
    documents = manifest.documents

    def previous(el: Element) -> int | None:
        return ids.of(continues.get(id(el)))

    def omitted(el) -> bool:
        return el.omitted and id(el) not in chain.shown

    for r, info in zip(chain.revisions, documents, strict=True):
        rows["documents"].append(
            {
                **town,
                "id": r.document_id,
                "title": info.title,
                "source_path": info.package_path,
                "published": info.published,
                "page_url": info.page_url,
                "pdf_url": info.pdf_url,
                "from_version_id": r.document_id,
                "to_version_id": r.document_id + 1,
            }
        )

    for seq, v in enumerate(manifest.versions, 1):
        source = documents[max(seq - 1, 1) - 1]
        rows["versions"].append(
            {
                **town,
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

    for r in chain.revisions:
        for page in r.document.pages:
            rows["source_pages"].append(
                {
                    "document_id": r.document_id,
                    "page_no": page.no,
                    "printed_page_no": page.printed_no,
                    "plan_pages": ",".join(str(p) for p in page.plan_pages),
                    "header_line": page.header_line,
                    "last_line": page.last_line,
                }
            )

    for version_id, plan in chain.versions.items():
        v = {"version_id": version_id}

        def doc(el: Element) -> dict:
            return {"document_id": chain.document_of[id(el)]}

        for c in plan.chapters:
            rows["chapters"].append(
                {
                    "id": ids.new("chapters", c),
                    **v,
                    **doc(c),
                    "level": c.level,
                    "number": c.number,
                    "number_to": c.number_to,
                    "label": c.label,
                    "title": c.title,
                    "parent_id": ids.of(c.parent),
                    "omitted": omitted(c),
                    **_where(c),
                    "source_line": c.first_line,
                    "previous_id": previous(c),
                }
            )
        for g in plan.goals:
            rows["goals"].append(
                {
                    **town,
                    "id": ids.new("goals", g),
                    **v,
                    **doc(g),
                    "goal_no": g.goal_no,
                    "label": g.label,
                    "title": g.title,
                    "chapter_id": ids.of(g.chapter),
                    **_where(g),
                    "source_line": g.first_line,
                }
            )
        for m in plan.measures:
            rows["measures"].append(
                {
                    "id": ids.new("measures", m),
                    **v,
                    **doc(m),
                    "goal_no": m.goal_no,
                    "parent_id": ids.of(m.parent),
                    "level": m.level,
                    "number": m.number,
                    "label": m.label,
                    "title": m.title,
                    "omitted": omitted(m),
                    "section": m.section,
                    **_where(m),
                    "source_line": m.first_line,
                }
            )
        for t in plan.texts:
            rows["texts"].append(
                {
                    "id": ids.new("texts", t),
                    **v,
                    **doc(t),
                    "kind": t.kind,
                    "goal_no": t.goal_no,
                    "measure_id": ids.of(t.measure),
                    "chapter_id": ids.of(t.chapter),
                    "chapter": t.chapter.heading if t.chapter else None,
                    "seq": t.seq,
                    "text": t.text,
                    "section": t.section,
                    **_where(t),
                    **_lines(t),
                    "previous_id": previous(t),
                }
            )
        for e in plan.events:
            rows["events"].append(
                {
                    "id": ids.new("events", e),
                    **v,
                    **doc(e),
                    "text_id": ids.of(e.text_ref),
                    "chapter_id": ids.of(e.text_ref.chapter),
                    "seq": e.seq,
                    "year": e.year,
                    "month": e.month,
                    "label": e.label,
                    "sentence": e.sentence,
                }
            )
        for p in plan.projects:
            rows["projects"].append(
                {
                    **town,
                    "id": ids.new("projects", p),
                    **v,
                    **doc(p),
                    "goal_no": p.goal_no,
                    "measure_id": ids.of(p.measure),
                    "seq": p.seq,
                    "name": p.name,
                    "description": p.description,
                    "section": p.section,
                    **_where(p),
                    **_lines(p),
                    "previous_id": previous(p),
                }
            )
        for k in plan.kpis:
            rows["kpis"].append(
                {
                    **town,
                    "id": ids.new("kpis", k),
                    **v,
                    **doc(k),
                    **_kpi_columns(k, ids),
                    "previous_id": previous(k),
                }
            )
        for r in plan.related:
            rows["related_projects"].append(
                {
                    "id": ids.new("related_projects", r),
                    **v,
                    **doc(r),
                    "goal_no": r.goal_no,
                    "measure_id": ids.of(r.measure),
                    "seq": r.seq,
                    "name": r.name,
                    "section": r.section,
                    **_where(r),
                    "source_line": r.first_line,
                    "previous_id": previous(r),
                }
            )
        for o in plan.omissions:
            rows["omissions"].append(
                {
                    "id": ids.new("omissions", o),
                    **v,
                    **doc(o),
                    "level": o.level,
                    "goal_no": o.goal_no,
                    "measure_id": ids.of(o.measure),
                    "chapter_id": ids.of(o.chapter),
                    "scope": o.scope,
                    "number_from": o.number_from,
                    "number_to": o.number_to,
                    "section": o.section,
                    **_where(o),
                    "heading_line": o.heading_line,
                    "marker_line": o.last_line,
                }
            )

    for r in chain.revisions:
        # a reason's plan page is the first page of the changes it explains
        reason_pages: dict[int, int] = {}
        for c in r.changes:
            if c.plan_page is not None:
                reason_pages[id(c.reason)] = min(c.plan_page, reason_pages.get(id(c.reason), c.plan_page))
        for page in r.document.pages:
            for reason in page.reasons:
                rows["reasons"].append(
                    {
                        "id": ids.new("reasons", reason),
                        "document_id": r.document_id,
                        "source_page": page.no,
                        "seq": reason.seq,
                        "text": reason.text,
                        "plan_page": reason_pages.get(id(reason)),
                        "source_line_start": reason.first_line,
                        "source_line_end": reason.last_line,
                    }
                )

    for r in chain.revisions:
        for c in r.changes:
            ids.new("changes", c)
        for c in r.changes:
            rows["changes"].append(
                {
                    **town,
                    "id": ids.of(c),
                    "from_version_id": r.document_id,
                    "to_version_id": r.document_id + 1,
                    "document_id": r.document_id,
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

    # the units the values use, described from the catalogue (vocabulary.yaml)
    used = {row[f"{side}_unit"] for row in rows["kpis"] for side in ("baseline", "target")} - {None}
    for unit in units().values():
        if unit.unit in used:
            rows["units"].append(
                {"unit": unit.unit, "title": unit.title, "base_unit": unit.base_unit, "multiplier": unit.multiplier}
            )

    rows["kpi_comparison"] = kpi_comparison_rows(rows["kpis"], rows["changes"], town)
    rows.update(lineage_rows(rows, town))

    # every row in its table's column order, and nothing the schema does not name
    for t in tables():
        cols = t.columns
        for i, row in enumerate(rows[t.name]):
            extra = set(row) - set(cols)
            if extra:
                raise KeyError(f"{t.name}: columns not in tables.yaml: {sorted(extra)}")
            rows[t.name][i] = {c: row.get(c) for c in cols}
    return rows


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
