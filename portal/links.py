"""Where things are on the one origin, for the places Flask's url_for cannot reach.

The Flask views and templates build the links to their own pages with
`url_for`.  What Flask does not route — Datasette under /data/, the download
files, the static files — and the places Flask does not run (Datasette's
hooks and templates, the error page of the ASGI layer, the feed's absolute
links) take their links from here, so the data prefix and the database name
are written once.

The templates shared by Flask and Datasette (the header, the footer, the
error page) call `url_for` with the endpoint of a page: under Flask it is
Flask's own; elsewhere it is `url_for` below, which knows the few pages in
PAGES.  The Flask app checks at start that each of them is where its view
is (portal/web/__init__.py), so the two cannot drift apart.
"""

from __future__ import annotations

from urllib.parse import urlencode

#: where Datasette is mounted on the origin
DATA = "/data"
#: the database's name in Datasette: db/strategy.db is served as /data/strategy
DATABASE = "strategy"
#: where the files of the current build are served
DOWNLOADS = "/downloads"
#: the portal's static files (Starlette's StaticFiles, portal/web/static/)
STATIC = "/static"
#: the icon browsers ask for at the origin's root
FAVICON = "/favicon.ico"

#: Datasette's marker of a URL that names all its filters: the table's defaults (the latest version, the
#: indicators only) are not added to it (portal/datasette/defaults.py)
ALL_FILTERS = ("_defaults", "off")

#: the portal's pages linked from where Flask does not run: endpoint → path (checked against Flask's routes)
PAGES = {
    "pages.index": "/",
    "pages.about": "/about",
    "pages.glossary": "/glossary",
    "pages.accessibility": "/accessibility",
    "goals.index": "/goals/",
    "kpis.index": "/kpis/",
    "changes.index": "/changes/",
    "downloads.index": "/downloads/",
    "search.search": "/search",
}


def url_for(endpoint: str, _anchor: str | None = None, **params) -> str:
    """A page's URL by its Flask endpoint, for templates rendered outside Flask (the pages in PAGES only)."""
    try:
        url = PAGES[endpoint]
    except KeyError:
        raise LookupError(f"portal.links knows no page {endpoint!r}: add it to PAGES or link from Flask") from None
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return url + (f"?{query}" if query else "") + (f"#{_anchor}" if _anchor else "")


def data_home() -> str:
    """Datasette's first page: /data/"""
    return f"{DATA}/"


def database() -> str:
    """The database in Datasette: /data/strategy"""
    return f"{DATA}/{DATABASE}"


def table(name: str, _all: bool = False, **filters) -> str:
    """A table (or canned query) in Datasette, with filters; `_all` names every filter (no table default added)."""
    pairs = [(k, v) for k, v in filters.items() if v is not None]
    if _all:
        pairs.append(ALL_FILTERS)
    return f"{database()}/{name}" + (f"?{urlencode(pairs)}" if pairs else "")


def row(table_name: str, key) -> str:
    """One row in Datasette: /data/strategy/<table>/<primary key>"""
    return f"{database()}/{table_name}/{key}"


def download(name: str) -> str:
    """A file of the current build: /downloads/<name>"""
    return f"{DOWNLOADS}/{name}"


def rows_download(name: str, params: dict) -> str:
    """Selected rows as a file made on request: /downloads/rows/<name>?… (a list value repeats the parameter)."""
    return f"{DOWNLOADS}/rows/{name}?{urlencode(params, doseq=True)}"


def static(name: str) -> str:
    """One of the portal's static files: /static/<name>"""
    return f"{STATIC}/{name}"
