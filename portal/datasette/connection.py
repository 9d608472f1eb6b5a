"""Datasette hook prepare_connection: what one query may do, and search with the bigram index.

The policy itself (length limits, refused functions and tables) is
sqlworker.prepare(), which the worker processes that run a visitor's SQL
apply to their own connections too.
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from . import ours
from .sqlworker import prepare


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection, datasette) -> None:
    """Limit what one query can allocate or read, and make Datasette's search use the bigram index.

    trylast: this runs after Datasette's own hook, so our escape_fts replaces its one.
    """
    if ours(datasette):
        prepare(conn)
