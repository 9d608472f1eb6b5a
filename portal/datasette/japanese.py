"""The Japanese words of Datasette's pages that its templates cannot hold themselves.

Datasette 0.65 has no translation mechanism, so its templates are overridden
by name (templates/datasette/) and these helpers are given to them through
the extra_template_vars hook (templates.py): the Japanese titles of columns
and labels of codes (from tables.yaml, through schema.py), the names of
Datasette's filter operators, which columns a table shows first, and SQLite's
error messages in Japanese.
"""

from __future__ import annotations

import re
from functools import cache

from markupsafe import Markup, escape

from ..pipeline import display
from ..pipeline.display import column_role
from ..pipeline.schema import table as schema_table
from ..pipeline.schema import tables, version_fields
from .switches import facet_values  # noqa: F401 (the facet template's helper, given to it through `ja`)

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


def reading(table: str | None) -> list[str] | None:
    """The columns a reader needs first, in this order (tables.yaml `display.reading`); None when not set."""
    if table not in table_titles():
        return None
    return schema_table(table).display.get("reading")


@cache
def _fields() -> dict[tuple[str, str], dict]:
    return {(t.name, f["name"]): f for t in tables() for f in t.fields}


def names() -> dict[str, str]:
    """The portal's words for itself and its parts (tables.yaml `names`), for the templates."""
    return display.names()


@cache
def table_titles() -> dict[str, str]:
    return {t.name: t.title for t in tables()}


def table_order(names: list[str]) -> list[str]:
    """Tables as the SQL pages list them: the main ones first (tables.yaml `display.main`), then tables.yaml's order."""
    ranked = {t.name: (t.display.get("main", 10**6), i) for i, t in enumerate(tables())}
    return sorted(names, key=lambda n: ranked.get(n, (10**6, 10**6)))


def main_tables() -> list[str]:
    return [t for t in table_order(list(table_titles())) if "main" in schema_table(t).display]


def column_summary(table: str, columns: list[str], most: int = 6) -> tuple[list[str], int]:
    """The titles of the columns a reader looks at first (the reading order, else the first ones), and how many more."""
    order = [c for c in (reading(table) or []) if c in columns] or columns
    shown = [column_title(table, c) or c for c in order[:most]]
    return shown, len(columns) - len(shown)


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


def reading_columns(table: str, names: list[str], constant: set[str]) -> tuple[list[str], list[str]]:
    """The columns shown by default, in reading order, and the ones kept back."""
    order = reading(table)
    lead = [c for c in order or [] if c in names]
    rest = [c for c in names if c not in lead]
    # kept to the row page (and to 「すべての列」): constant columns, places in the source and footnotes
    shown = lead + [c for c in rest if c not in constant and not column_role("secondary", c) and order is None]
    return shown, [c for c in names if c not in shown]


def page_link(table: str | None, row) -> tuple[str, str] | None:
    """(URL, name) of the portal's own page for a row (tables.yaml `display.page`), for the tables that have one."""
    page = schema_table(table).display.get("page") if table in table_titles() else None
    if page is None:
        return None
    return page["url"].format(**{k: row[k] for k in row.keys()}), page["name"]  # noqa: SIM118 (a sqlite3.Row)


#: SQLite's and Datasette's messages for a query that cannot run, in Japanese (the English text as SQLite gives it)
ERRORS = [
    # the portal's own messages about a query (adhoc.py) are Japanese already
    (re.compile(r"^(SQL の問い合わせ.*)$", re.S), "{0}"),
    (re.compile(r"^no such table: (.+) \(nearest: (.+)\)$"), "表「{0}」はありません。近い名前の表：{1}"),
    (re.compile(r"^no such table: (.+)$"), "表「{0}」はありません。表の名前を確かめてください。"),
    (re.compile(r"^no such column: (.+)$"), "列「{0}」はありません。列の名前を確かめてください。"),
    (re.compile(r"^no such function: (.+)$"), "関数「{0}」は使えません。"),
    (re.compile(r'^near "(.+)": syntax error$'), "「{0}」の近くで SQL の書き方に誤りがあります。"),
    (re.compile(r"^incomplete input$"), "SQL が途中で終わっています。"),
    (
        re.compile(r"^ambiguous column name: (.+)$"),
        "列「{0}」がどの表のものか分かりません。「表名.列名」と書いてください。",
    ),
    (re.compile(r"^not authorized$"), "この関数や表は使えません（printf、format など）。"),
    (re.compile(r"^not authorized to use function: (.+)$"), "関数「{0}」は使えません。"),
    (re.compile(r"^Statement must be a SELECT$"), "使えるのは SELECT 文（データを読むこと）だけです。"),
    (re.compile(r"^Statement may not contain PRAGMA$"), "PRAGMA は使えません。"),
    (
        re.compile(r"^(?:SQL query took too long|interrupted)"),
        "SQL の問い合わせが時間の上限（1 秒）を超えたので止めました。条件を絞ってください。",
    ),
    (re.compile(r"^(?:string or blob too big|.*too big)$"), "作られる文字列が大きすぎます。"),
    (re.compile(r"^LIKE or GLOB pattern too complex$"), "LIKE・GLOB のパターンが長すぎます（1,000 文字まで）。"),
    (re.compile(r"^You can only execute one statement at a time$"), "一度に実行できる SQL 文は一つだけです。"),
    (re.compile(r"^Incorrect number of bindings supplied.*"), "SQL の中の :名前 に渡す値の数が合いません。"),
    (re.compile(r"^Table not found: (.+)$"), "表「{0}」はありません。"),
    (re.compile(r"^Table not found$"), "その名前の表はありません。"),
    (re.compile(r"^Database not found: (.+)$"), "データベース「{0}」はありません。"),
    (re.compile(r"^Database not found$"), "その名前のデータベースはありません。"),
    (re.compile(r"^Row not found: (.+)$"), "この行（{0}）はありません。"),
    (re.compile(r"^Record not found$"), "この ID の行はありません。"),
    (re.compile(r"^Cannot sort table by (.+)$"), "列「{0}」では並べ替えられません。"),
    (re.compile(r"^Cannot use _sort and _sort_desc at the same time$"), "昇順と降順の並べ替えは同時に指定できません。"),
    (re.compile(r"^_size must be a positive integer$"), "「_size」には正の整数を指定してください。"),
    (re.compile(r"^_size must be <= (\d+)$"), "「_size」は {0} 以下にしてください。"),
    (re.compile(r"^Invalid _facet"), "ファセット（_facet）の指定が正しくありません。"),
]


def error_in_japanese(message: str) -> str | None:
    """A message of SQLite or Datasette in Japanese, or None when it is not one we know."""
    text = str(message).strip()
    for pattern, japanese in ERRORS:
        m = pattern.match(text)
        if m:
            return japanese.format(*m.groups())
    return None


def arrange(table: str | None, display_columns: list, display_rows: list, shown: list[str] | None, show_all: bool):
    """Datasette's columns and cells in reading order: (columns, rows, how many columns are kept back).

    `shown` are the columns shown by default (reading_columns).  Datasette
    puts the link to the row page (the primary key) first; a table with a
    reading order (tables.yaml `display.reading`) gets it last, after what a
    reader needs.  With `show_all` (or nothing chosen) every column is shown,
    the chosen ones first.
    """
    by_name = {c["name"]: c for c in display_columns}
    names = list(by_name)
    link = names[0] if names else None
    order = [c for c in (shown or []) if c in by_name and c != link]
    if show_all or shown is None:
        order += [c for c in names if c not in order and c != link]
    if link is not None:
        order = order + [link] if reading(table) is not None else [link, *order]
    rows = []
    for row in display_rows:
        cells = {cell["column"]: cell for cell in row}
        rows.append([cells[c] for c in order if c in cells])
    return [by_name[c] for c in order], rows, len(names) - len(order)


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


def unique_facets(facet_results: list[dict], table: str | None = None) -> list[dict]:
    """Each facet once (a column configured as a facet and asked for again in the URL, _facet, comes back twice),
    in the order tables.yaml lists the table's facets, then those asked for in the URL."""
    seen: set[tuple] = set()
    out = []
    for f in facet_results:
        key = (f["name"], f.get("type"))
        if key not in seen:
            seen.add(key)
            out.append(f)
    configured = schema_table(table).display.get("facets", []) if table in table_titles() else []
    return sorted(out, key=lambda f: configured.index(f["name"]) if f["name"] in configured else len(configured))


def shown_value(table: str | None, column: str, value, names: dict | None = None):
    """A filter's value as the page names it: a code's label, a version's name, 「基本目標３」; else as given."""
    labels = code_labels(table, column)
    if value in labels or str(value) in {str(k) for k in labels}:
        return next(label for code, label in labels.items() if str(code) == str(value))
    names = names or {}
    if table in table_titles() and column in version_fields(schema_table(table)):
        return dict((str(k), v) for k, v in names.get("versions", [])).get(str(value), value)
    return {str(k): v for k, v in names.get(column, {}).items()}.get(str(value), value)


def ordered_cells(cells: list[dict], order: list[str]) -> list[dict]:
    """A row's cells with the columns named in `order` first, in that order, then the rest."""
    rank = {c: i for i, c in enumerate(order)}
    return sorted(cells, key=lambda cell: rank.get(cell["column"], len(rank)))
