"""What every surface says, read from tables.yaml: the portal's names, count rules, groups of codes, the
sentence each code reads as, per-table display settings and the canned queries.

The pages, the feed, Datasette, the canned queries and the files for people
all ask here, so one fact has one name and one count wherever it is shown.
Nothing here holds a list of its own: every table, column, code and word
comes from tables.yaml (checked when loaded, schema.load_schema).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from markupsafe import Markup, escape

from .schema import load_schema, table, tables
from .tables_check import LATEST, QUERY_PLACEHOLDER

__all__ = ["LATEST"]


def names() -> dict[str, str]:
    """The portal's words for itself and its parts (tables.yaml `names`)."""
    return load_schema()["names"]


def categories(table_name: str, field: str) -> list[dict]:
    """The codes of a field with everything tables.yaml says of each (label, sentence, tone, …)."""
    return table(table_name).field(field)["categories"]


def category(table_name: str, field: str, code) -> dict:
    """What tables.yaml says of one code; an unknown code is a KeyError naming it."""
    found = next((c for c in categories(table_name, field) if c["value"] == code), None)
    if found is None:
        raise KeyError(f"{table_name}.{field}: no code {code!r} in tables.yaml")
    return found


# ── count rules ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CountRule:
    """Which rows of a table a count counts (tables.yaml `counts`)."""

    key: str
    label: str
    description: str
    where: dict[str, dict]

    def matches(self, table_name: str, row: dict) -> bool:
        """Whether a row (a dict of the table's columns) is counted."""
        return all(_holds(row.get(c), cond) for c, cond in self.where[table_name].items())

    def rows(self, table_name: str, rows) -> list[dict]:
        return [r for r in rows if self.matches(table_name, r)]

    def sql(self, table_name: str, alias: str) -> str:
        """The rule as an SQL condition on `alias`, e.g. k.status = 'set'."""
        parts = []
        for c, cond in self.where[table_name].items():
            col = f'{alias}."{c}"'
            if isinstance(cond, dict):
                parts.append(f"{col} is {'' if cond['empty'] else 'not '}null")
            elif isinstance(cond, list):
                parts.append(f"{col} in ({', '.join(_literal(v) for v in cond)})")
            else:
                parts.append(f"{col} = {_literal(cond)}")
        return "(" + " and ".join(parts) + ")"

    def params(self, table_name: str) -> list[tuple[str, str]]:
        """The rule as Datasette's table filters (column=value, column__in=…, column__isnull=1)."""
        out = []
        for c, cond in self.where[table_name].items():
            if isinstance(cond, dict):
                out.append((f"{c}__{'isnull' if cond['empty'] else 'notnull'}", "1"))
            elif isinstance(cond, list):
                out.append((f"{c}__in", ",".join(map(str, cond))))
            else:
                out.append((c, str(cond)))
        return out


def _holds(value, cond) -> bool:
    if isinstance(cond, dict):
        return (value is None) == cond["empty"]
    if isinstance(cond, list):
        return value in cond
    return value == cond


def _literal(value) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


def count_rule(key: str) -> CountRule:
    spec = load_schema()["counts"][key]
    return CountRule(key, spec["label"], spec["description"], spec["where"])


# ── groups of codes ──────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CodeGroup:
    key: str
    title: str
    codes: tuple
    #: said when nothing of the group happened ("no target changed" is an answer too); shown even when empty
    none: str | None = None
    #: counted rather than spelled out where space is short (the top page)
    folded: bool = False


def groups(field: str) -> list[CodeGroup]:
    """The groups of a field's codes (「changes.change_type」), in reading order."""
    return [
        CodeGroup(g["key"], g["title"], tuple(g["codes"]), g.get("none"), g.get("folded", False))
        for g in load_schema()["groups"][field]["groups"]
    ]


def group(field: str, key: str) -> CodeGroup:
    return next(g for g in groups(field) if g.key == key)


def group_of(field: str, code) -> CodeGroup | None:
    return next((g for g in groups(field) if code in g.codes), None)


def moves() -> dict:
    """The words of a changed KPI's moves (tables.yaml `moves`)."""
    return load_schema()["moves"]


def value_labels() -> dict[str, dict]:
    """Columns whose values are named by another table's rows (goal_no → 「基本目標３」)."""
    return load_schema()["value_labels"]


# ── sentences ────────────────────────────────────────────────────────────────

_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_TOKEN = re.compile(r"\*\*|\{(\w+)\}")


def render(template: str, fields: dict[str, Any], html: bool = False) -> str:
    """A sentence of tables.yaml with its fields filled in.

    「[…]」 is kept only when every field in it has a value; 「**…**」 is the
    name the sentence is about, <strong> in HTML and plain in text.  In HTML
    every field is escaped.  A field the sentence names but `fields` lacks is a
    KeyError (a slip in tables.yaml shows at once).
    """

    def optional(m: re.Match) -> str:
        inner = m.group(1)
        return inner if all(fields[f] not in (None, "") for f in re.findall(r"\{(\w+)\}", inner)) else ""

    text = _OPTIONAL.sub(optional, template)
    out: list[str] = []
    at, strong = 0, False
    for m in _TOKEN.finditer(text):
        out.append(str(escape(text[at : m.start()])) if html else text[at : m.start()])
        if m.group(0) == "**":
            if html:
                out.append("</strong>" if strong else "<strong>")
            strong = not strong
        else:
            value = fields[m.group(1)]
            value = "" if value is None else str(value)
            out.append(str(escape(value)) if html else value)
        at = m.end()
    out.append(str(escape(text[at:])) if html else text[at:])
    return Markup("".join(out)) if html else "".join(out)


# ── per-table display settings ───────────────────────────────────────────────


def searchable() -> dict[str, list[str]]:
    """Table → the columns whose text the search index holds (the FTS table is "<table>_fts"), in the order the
    results page lists them (`search.rank`)."""
    found = sorted((t for t in tables() if "search" in t.display), key=lambda t: t.display["search"]["rank"])
    return {t.name: t.display["search"]["columns"] for t in found}


def naming(table_name: str) -> list[str]:
    """The columns that name a search hit of the table (tables.yaml `display.search.names`)."""
    return table(table_name).display.get("search", {}).get("names", [])


def shown(table_name: str) -> list[str]:
    """The columns a search hit of the table shows; linked rows of two versions that read the same there are one
    entry (tables.yaml `display.shown`)."""
    return table(table_name).display.get("shown", [])


def search_related(table_name: str) -> list[dict]:
    """Rows of other tables whose text finds a row of this one (a KPI by its project's description)."""
    return table(table_name).display.get("search", {}).get("related", [])


def people_columns(table_name: str) -> list[str]:
    """The columns of the files for people in the order a reader needs them: the reading order first, then the rest,
    with ids and places in the source last."""
    t = table(table_name)
    lead = [c for c in t.display.get("reading", []) if c in t.columns]
    rest = [c for c in t.columns if c not in lead]
    late = [c for c in rest if column_role("reference", c)]
    return lead + [c for c in rest if c not in late] + late


def column_role(role: str, column: str) -> bool:
    """Whether a column plays a part (tables.yaml `column_roles`: reference, secondary)."""
    return re.fullmatch(load_schema()["column_roles"][role], column) is not None


def formats() -> dict[str, dict]:
    """The forms each table is published in, with the label pages give them (tables.yaml `formats`)."""
    return load_schema()["formats"]


def books() -> dict[str, dict]:
    """Workbooks of a page's rows (tables.yaml `books`): title, tables, the filters each must be given."""
    return load_schema()["books"]


# ── canned queries ───────────────────────────────────────────────────────────


def label_sql(table_name: str, field: str, expr: str) -> str:
    """SQL that shows a code column's Japanese label (from tables.yaml), e.g. for c.change_type."""
    cases = " ".join(f"when {_literal(c['value'])} then {_literal(c['label'])}" for c in categories(table_name, field))
    return f"(case {expr} {cases} else {expr} end)"


LATEST_VERSION_SQL = "(select id from versions order by seq desc limit 1)"
#: the canned queries' version parameter: empty means the latest
VERSION_PARAM = "version"


@cache
def queries() -> dict[str, dict]:
    """The canned queries with their SQL written out: labels, groups of codes and count rules filled in."""

    def fill(m: re.Match) -> str:
        if m.group(0) == "{version}":
            return f"coalesce(nullif(:{VERSION_PARAM}, ''), {LATEST_VERSION_SQL})"
        kind, args = m.group(1), m.group(2).split(":")
        if kind == "labels":
            t, _, f = args[0].partition(".")
            return label_sql(t, f, args[1])
        if kind == "codes":
            return ", ".join(_literal(c) for c in group(args[0], args[1]).codes)
        return count_rule(args[0]).sql(args[1], args[2])

    out = {}
    for name, q in load_schema()["queries"].items():
        sql = q["sql"].strip()
        entry = {
            "title": q["title"],
            "description": " ".join(q["description"].split()),
            "sql": QUERY_PLACEHOLDER.sub(fill, sql),
            "pages": q["pages"],
        }
        if "{version}" in sql:
            entry["params"] = [VERSION_PARAM]
        out[name] = entry
    return out
