"""Datasette hook prepare_connection: what one query may do, and search with the bigram index."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from ..search import match_query

#: the longest string or blob a query may build (bytes); the data's longest text is a few kB
MAX_LENGTH = 1_000_000
#: the longest SQL text a visitor may send (bytes)
MAX_SQL_LENGTH = 20_000
#: functions refused in every query: they can run for seconds inside one call, where the time limit
#: (SQLite's progress handler) never fires — printf('%.*c', 2147483647, 'x') takes 30 s
REFUSED_FUNCTIONS = {"printf", "format"}
#: tables a query may not read: pragma_database_list shows where the database file lies on the server
REFUSED_TABLES = {"pragma_database_list"}


def authorize(action: int, arg1, arg2, db_name, source) -> int:
    """SQLite's authorizer: refuse the functions and tables above, allow the rest (the file is read-only)."""
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in REFUSED_TABLES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Limit what one query can allocate or read, and make Datasette's search use the bigram index.

    trylast: this runs after Datasette's own hook, so our escape_fts replaces its one.
    """
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.set_authorizer(authorize)
    conn.create_function("escape_fts", 1, match_query, deterministic=True)
