"""Datasette plugin hooks for the portal: connection limits, bigram search, Japanese page furniture."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

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
def extra_template_vars(template, request):
    """What our base template needs on Datasette's pages: which help text to show."""
    kind = None
    if template in ("table.html", "row.html", "query.html", "database.html", "index.html"):
        kind = template.split(".")[0]
    return {"portal_page_kind": kind}
