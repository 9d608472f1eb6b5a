"""Datasette plugin hooks for the portal: connection limits, bigram search, Japanese page furniture."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl
from jinja2 import ChoiceLoader, FileSystemLoader

from .. import paths
from ..search import match_query

#: the longest string or blob a query may build (bytes); the data's longest text is a few kB
MAX_LENGTH = 1_000_000
#: the longest SQL text a visitor may send (bytes)
MAX_SQL_LENGTH = 20_000


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Limit what one query can allocate, and make Datasette's search use the bigram index.

    trylast: this runs after Datasette's own hook, so our escape_fts replaces its one.
    """
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.create_function("escape_fts", 1, match_query, deterministic=True)


@hookimpl
def prepare_jinja2_environment(env):
    """Let Datasette's pages include the portal's own header and footer (templates/_site_*.html)."""
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(paths.TEMPLATES))])


@hookimpl
def extra_template_vars(view_name):
    """Which short Japanese help to show on a Datasette page."""
    return {"portal_view": view_name}
