"""Datasette hooks for its pages: the portal's header and footer, and everything its templates show in Japanese.

The templates in templates/datasette/ override Datasette's own by name (the
supported way in the 0.65 line, which has no translation mechanism); these
hooks give them what they need to say things in Japanese: column titles and
code labels from tables.yaml, the reading order of columns, and SQLite's
errors in Japanese (japanese.py).
"""

from __future__ import annotations

import re
import sqlite3

from datasette import hookimpl
from datasette.utils import escape_sqlite
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from .. import links, operator, paths
from . import japanese, switches
from .defaults import defaults
from .metadata import QUERIES

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: columns holding one value on every row, per Datasette instance and table (the file is immutable)
_constant: dict[tuple[int, str, str], set[str]] = {}


@hookimpl
def prepare_jinja2_environment(env):
    """Let Datasette's pages include the portal's own header and footer (templates/_site_*.html)."""
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(paths.TEMPLATES))])
    # the portal's links: its pages by endpoint as in Flask (the shared header and footer), the rest from portal.links
    env.globals.update(links=links, url_for=links.url_for)
    # a query's column named like a column of the schema is shown as code; a Japanese alias as text
    env.tests["ascii_name"] = lambda name: bool(IDENTIFIER.match(str(name)))


async def constant_columns(datasette, database: str, table: str) -> set[str]:
    """The columns of a table that hold the same value on every row (the municipality, for one)."""
    key = (id(datasette), database, table)
    if key not in _constant:
        db = datasette.get_database(database)
        columns = await db.table_columns(table)
        counts = ", ".join(f"count(distinct {escape_sqlite(c)})" for c in columns)
        try:
            result = await db.execute(f"select count(*), {counts} from {escape_sqlite(table)}")
        except sqlite3.Error:
            return set()
        total, *distinct = result.first()
        _constant[key] = {c for c, n in zip(columns, distinct, strict=True) if total > 1 and n <= 1}
    return _constant[key]


async def _has_versions(datasette, database: str) -> bool:
    """Whether the database is one the portal built (it has the versions table)."""
    return await datasette.get_database(database).table_exists("versions")


@hookimpl
def extra_template_vars(datasette, database, table, view_name, request):
    """What the Japanese templates need: which page this is, titles, labels, and the table's reading order."""

    async def inner():
        here = links.DATA + (request.path if request is not None else "/")
        out = {
            # what the portal's header and footer say on Datasette's pages as on its own
            **operator.site_context(),
            "portal_view": view_name,
            "portal_here": here,
            "ja": japanese,
            "table_titles": japanese.table_titles(),
            "show_all_columns": request is not None and any(k in request.args for k in ("_all", "_col", "_nocol")),
        }
        if table and database and view_name in ("table", "row"):
            db = datasette.get_database(database)
            names = await db.table_columns(table) if await db.table_exists(table) else []
            constant = await constant_columns(datasette, database, table) if names else set()
            out["reading"], out["kept_back"] = japanese.reading_columns(table, names, constant)
        if database in datasette.databases and request is not None and await _has_versions(datasette, database):
            values = await switches.value_names(datasette, database)
            path = links.DATA + request.path
            params = [(k, v) for k in request.args for v in request.args.getlist(k)]
            out["value_names"] = values
            # a canned query is answered by Datasette's table view: known by its path
            canned = QUERIES.get(request.path.rsplit("/", 1)[-1]) if request.path.count("/") == 2 else None
            if canned is not None:
                out["portal_view"] = "query"
                if "params" in canned:
                    out["switches"] = [switches.query_switch(path, params, values)]
            elif table and view_name == "table":
                out["switches"] = switches.table_switches(table, path, params, values)
                # the switches say which rows the defaults choose; the form keeps them without showing them again
                out["switched_columns"] = list(defaults().get(table, {}))
                out["filtered_beyond_defaults"] = any(
                    not k.startswith("_") and not any(k == c or k.startswith(c + "__") for c in out["switched_columns"])
                    for k, _ in params
                )
        return out

    return inner


@hookimpl
def render_cell(value, column, table, database, datasette):
    """A code value shown as its Japanese label (tables.yaml); the URL and the data keep the code."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    if table:
        labels = japanese.code_labels(table, column)
        if value in labels:
            return Markup('<span class="code-label" data-code="{}">{}</span>').format(value, labels[value])
        return None
    label = japanese.query_code_label(column, value)
    if label is not None:
        return Markup('<span class="code-label" data-code="{}">{}</span>').format(value, escape(label))
    return None
