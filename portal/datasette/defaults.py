"""Datasette hook asgi_wrapper: a table's page opens on the rows tables.yaml says a reader means.

tables.yaml `display.defaults` names, per table, the filters its page starts
with: the latest version, and for kpis the indicators only (the count rule
指標, so the page and its facets count what every other surface counts).  A
request for such a table's page that does not filter one of those columns
gets the filter added, with the marker `_defaults=off`; every link the page
then makes (facets, pages, the switch of versions) carries the marker, so a
visitor can lift a default (「すべての版」) and the URL says what is shown.
JSON, CSV and the row pages are never changed: the API answers what it asks.

Datasette has no setting for a default filter (its table metadata has facets,
sort and size, not filters), so the query string is completed before it reads
the request: an ASGI wrapper, as Datasette's plugin hooks intend.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

from ..pipeline.display import LATEST
from ..pipeline.schema import tables

#: the marker of a URL whose filters are all written out: no default is added to it
MARKER = ("_defaults", "off")
#: the HTML page of one table of one database, as Datasette sees the path
TABLE_PAGE = re.compile(r"^/([A-Za-z0-9_]+)/([a-z_]+)$")


def defaults() -> dict[str, dict]:
    """Table → column → default value (「latest」 for a version) from tables.yaml."""
    return {t.name: t.display["defaults"] for t in tables() if "defaults" in t.display}


def filtered(params: list[tuple[str, str]], column: str) -> bool:
    """Whether the URL filters a column (column=…, or column__op=…)."""
    return any(k == column or k.startswith(column + "__") for k, _ in params)


def completed(params: list[tuple[str, str]], wanted: dict, latest: int) -> list[tuple[str, str]] | None:
    """The parameters with the table's defaults added, or None when nothing is to be added."""
    if MARKER in params:
        return None
    added = [(c, str(latest if v == LATEST else v)) for c, v in wanted.items() if not filtered(params, c)]
    return [*params, *added, MARKER]


async def latest_version(datasette, database: str) -> int | None:
    """The id of the newest version in the database."""
    row = (await datasette.get_database(database).execute("select id from versions order by seq desc limit 1")).first()
    return row[0] if row else None


@hookimpl
def asgi_wrapper(datasette):
    wanted = defaults()
    #: database → its newest version: one Datasette serves one build, whose file is immutable, so it is read once
    newest: dict[str, int | None] = {}

    def wrap(app):
        async def with_defaults(scope, receive, send):
            if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
                m = TABLE_PAGE.match(scope["path"])
                if m and m.group(2) in wanted and m.group(1) in datasette.databases:
                    params = parse_qsl(
                        scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True
                    )
                    if m.group(1) not in newest:
                        newest[m.group(1)] = await latest_version(datasette, m.group(1))
                    latest = newest[m.group(1)]
                    more = completed(params, wanted[m.group(2)], latest) if latest is not None else None
                    if more is not None:
                        scope = dict(scope, query_string=urlencode(more).encode("utf-8"))
            await app(scope, receive, send)

        return with_defaults

    return wrap
