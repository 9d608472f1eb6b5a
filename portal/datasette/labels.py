"""The schema's words on Datasette's pages: Japanese titles of tables and columns, labels of codes, names of
filter operators, and the schema's names set as code in its prose (all from tables.yaml, through schema.py)."""

from __future__ import annotations

import re
from functools import cache

from markupsafe import Markup, escape

from ..pipeline import display
from ..pipeline.schema import table as schema_table
from ..pipeline.schema import tables, version_fields

#: Datasette's filter operators (datasette/filters.py, keyed by lookup) in Japanese
LOOKUPS = {
    "exact": "＝（等しい）",
    "not": "≠（等しくない）",
    "contains": "を含む",
    "endswith": "で終わる",
    "startswith": "で始まる",
    "gt": "＞（より大きい）",
    "gte": "≧（以上）",
    "lt": "＜（より小さい）",
    "lte": "≦（以下）",
    "like": "LIKE のパターンに合う",
    "notlike": "LIKE のパターンに合わない",
    "glob": "GLOB のパターンに合う",
    "in": "のどれか（カンマ区切り）",
    "notin": "のどれでもない（カンマ区切り）",
    "arraycontains": "（JSON の配列が）を含む",
    "arraynotcontains": "（JSON の配列が）を含まない",
    "date": "の日付",
    "isnull": "が空（NULL）",
    "notnull": "が空（NULL）でない",
    "isblank": "が空または空文字",
    "notblank": "が空でも空文字でもない",
}


@cache
def _fields() -> dict[tuple[str, str], dict]:
    return {(t.name, f["name"]): f for t in tables() for f in t.fields}


def names() -> dict[str, str]:
    """The portal's words for itself and its parts (tables.yaml `names`), for the templates."""
    return display.names()


@cache
def table_titles() -> dict[str, str]:
    return {t.name: t.title for t in tables()}


def column_title(table: str | None, column: str) -> str:
    """A column's Japanese title from tables.yaml, or "" when the schema has none (a query's own column)."""
    f = _fields().get((table or "", column))
    return f["title"] if f else ""


def code_labels(table: str | None, column: str) -> dict:
    """The Japanese label of each code of a column (tables.yaml `categories`); empty when it has none."""
    f = _fields().get((table or "", column))
    return {c["value"]: c["label"] for c in f.get("categories", [])} if f else {}


def code_label(table: str | None, column: str, value):
    """The Japanese label of one code value, or the value itself when it is not a code."""
    return code_labels(table, column).get(value, value)


@cache
def _codes_by_column() -> dict[str, dict]:
    """For each column name of the schema, its codes' labels across tables, without a code labelled two ways."""
    out: dict[str, dict] = {}
    clashes: set[tuple[str, str]] = set()
    for (_, name), f in _fields().items():
        for c in f.get("categories", []):
            seen = out.setdefault(name, {})
            if seen.get(c["value"], c["label"]) != c["label"]:
                clashes.add((name, c["value"]))
            seen[c["value"]] = c["label"]
    for name, value in clashes:
        del out[name][value]
    return out


def query_code_label(column: str, value) -> str | None:
    """A query's code cell in Japanese, or None: a column known by its name in the schema (「select kind from
    kpis」).  The canned queries show labels already (tables.yaml `queries`, {labels:…})."""
    if not isinstance(value, str) or not value:
        return None
    return _codes_by_column().get(column, {}).get(value)


def lookup_name(key: str, display: str) -> str:
    return LOOKUPS.get(key, display)


def fields(table: str | None) -> list[dict]:
    """The fields of a table as tables.yaml describes them (name, title, description, categories)."""
    return [f for (t, _), f in _fields().items() if t == table]


@cache
def _identifiers() -> re.Pattern:
    """Names of tables and columns and code values of the schema, as whole words (longest first)."""
    names = {t.name for t in tables()}
    for (_, name), f in _fields().items():
        names.add(name)
        names.update(str(c["value"]) for c in f.get("categories", []))
    words = sorted((n for n in names if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)), key=len, reverse=True)
    word = "|".join(map(re.escape, words))
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{word})(?:\s*=\s*(?:{word}|[0-9]+))?(?![A-Za-z0-9_])")


def mark_code(text: str) -> Markup:
    """Prose from tables.yaml with the names of tables, columns and codes in it set as code (「kind = kpi」)."""
    text = str(text or "")
    out, last = [], 0
    for m in _identifiers().finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(Markup("<code>{}</code>").format(m.group(0)))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def shown_value(table: str | None, column: str, value, names: dict | None = None):
    """A filter's value as the page names it: a code's label, a version's name, 「基本目標３」; else as given."""
    labels = code_labels(table, column)
    if value in labels or str(value) in {str(k) for k in labels}:
        return next(label for code, label in labels.items() if str(code) == str(value))
    names = names or {}
    if table in table_titles() and column in version_fields(schema_table(table)):
        return dict((str(k), v) for k, v in names.get("versions", [])).get(str(value), value)
    return {str(k): v for k, v in names.get(column, {}).items()}.get(str(value), value)
