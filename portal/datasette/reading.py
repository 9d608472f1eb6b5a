"""The order a reader needs on Datasette's pages: which tables first, which columns first and which kept back,
each facet once, and the portal's own page of a row (tables.yaml `display`)."""

from __future__ import annotations

from ..pipeline.display import column_role
from ..pipeline.schema import table as schema_table
from ..pipeline.schema import tables
from .labels import column_title, table_titles


def reading(table: str | None) -> list[str] | None:
    """The columns a reader needs first, in this order (tables.yaml `display.reading`); None when not set."""
    if table not in table_titles():
        return None
    return schema_table(table).display.get("reading")


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


def ordered_cells(cells: list[dict], order: list[str]) -> list[dict]:
    """A row's cells with the columns named in `order` first, in that order, then the rest."""
    rank = {c: i for i, c in enumerate(order)}
    return sorted(cells, key=lambda cell: rank.get(cell["column"], len(rank)))
