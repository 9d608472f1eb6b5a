"""The prebuilt site: every page a visitor can reach by the site's own links, rendered once per build.

A build is immutable and every page is a function of the build, so
`portal build` renders the pages into the build's folder (db/.builds/<id>/site/,
published with the database through db/current) and `portal serve` answers
them from disk; only what was not prebuilt (search, query combinations no
page links to, conditional requests other than If-None-Match) is rendered
live.  Behind nginx, the same files are served by nginx itself (README
「本番での公開」).

Rendering reuses the one renderer: the Flask app, through its test client,
crawled from / along the same-origin links of the rendered HTML.  A frozen
site generator (Frozen-Flask) was considered: it finds pages through
url_for calls and registered generators, not through the links a visitor
follows, and knows nothing of the query variants the pages link to, which
are most of this site's pages.

The files are named so that nginx can compute the name from $uri and $args
(README's `map`):

* a URL without query: ``site/page<path>.html`` (``/kpis/`` → ``page/kpis/.html``);
* a URL with a query: ``site/query/<query><path>.html``
  (``/goals/3?v=1`` → ``query/v=1/goals/3.html``); only queries matching
  QUERY_PATTERN (no slash, and a ``name=`` first, so never ``.`` or ``..``)
  are prebuilt, the rest are rendered live.

Each page has a gzip copy beside it (``.html.gz``, for nginx's gzip_static
too); Brotli is left out: it would need a compression library of its own and
nginx a module Debian does not ship.  ``site/urls.json`` maps each URL
(path and query as sent) to its file and the headers it is served with, and
records the public origin and operator the pages were rendered for: a server
configured otherwise renders every page live.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from starlette.responses import FileResponse
from starlette.staticfiles import NotModifiedResponse
from werkzeug.http import parse_etags, unquote_etag

from . import operator

#: the origin used when PORTAL_BASE_URL is not set (`portal serve` sets it from --host and --port)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
URLS = "urls.json"
#: the page nginx answers when no replica is there to render search and SQL (README's `error_page`)
UNAVAILABLE = "unavailable.html"
#: the queries that are prebuilt: a name first, then names, values and separators, never a slash
QUERY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+=[A-Za-z0-9._~=&%+-]*$")
#: the headers of a rendered page that its file is served with
KEPT_HEADERS = ("content-type", "etag", "cache-control")


def file_name(url: str) -> str | None:
    """The file of a URL inside site/ (see the module's docstring), or None when it is not prebuilt."""
    path, _, query = url.partition("?")
    if not path.startswith("/") or "/../" in path + "/" or "/./" in path + "/" or "\x00" in path:
        return None
    if not query:
        return f"page{path}.html"
    if not QUERY_PATTERN.match(query):
        return None
    return f"query/{query}{path}.html"


@dataclass(eq=False)
class Site:
    """A build's prebuilt pages, read from site/urls.json when first asked."""

    folder: Path
    stats: dict = field(default_factory=dict, repr=False)
    #: public origin → whether the pages were rendered for it and for the environment's operator
    rendered_for: dict = field(default_factory=dict, repr=False)

    @cached_property
    def urls(self) -> dict:
        try:
            return json.loads((self.folder / URLS).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"base_url": None, "operator": [None, None], "pages": {}}

    def page(self, url: str, base_url: str) -> dict | None:
        """The prebuilt page of a URL for a server with this public origin and the environment's operator."""
        if base_url not in self.rendered_for:
            # decided once per build and origin: neither changes while the server runs
            who = operator.from_env()
            self.rendered_for[base_url] = self.urls["base_url"] == base_url and self.urls["operator"] == [
                who.name,
                who.contact,
            ]
        return self.urls["pages"].get(url) if self.rendered_for[base_url] else None

    def file(self, name: str) -> tuple[Path, os.stat_result]:
        """A page's file and its stat (a build's files never change, so each is looked at once)."""
        path = self.folder / name
        if name not in self.stats:
            self.stats[name] = os.stat(path)
        return path, self.stats[name]


class PageFile(FileResponse):
    """A page's file, read in one piece: the largest page (the data dictionary, ~220 kB) in one read, not four."""

    chunk_size = 1024 * 1024


class Prebuilt:
    """An ASGI app that answers a prebuilt page from its file, and passes everything else to `live`.

    Glue, because the well-kept parts each do half: Starlette's StaticFiles
    names files by their path alone (not path and query), sends its own ETag
    (from the file's time and size) and Last-Modified, and answers Range; a
    prebuilt page must be answered as the live page is (its ETag, Cache-Control
    and type, no ranges), so this class looks the URL up in the build's
    urls.json and sends the file with Starlette's FileResponse, the gzip copy
    when the request accepts gzip (the test of Starlette's GZipMiddleware,
    which compresses the live pages), and 304 for a matching If-None-Match
    (Werkzeug's weak comparison, as the live page's make_conditional).
    Requests with other preconditions or a range go to `live`, whose answers
    to them are Werkzeug's.
    """

    LIVE_HEADERS = (b"if-match", b"if-unmodified-since", b"range", b"if-range")

    def __init__(self, builds, live, base_url: str):
        self.builds = builds
        self.live = live
        self.base_url = base_url

    async def __call__(self, scope, receive, send):
        entry = None
        if scope["method"] in ("GET", "HEAD"):
            qs = scope.get("query_string", b"").decode("latin-1")
            url = scope["path"] + (f"?{qs}" if qs else "")
            headers = dict(scope["headers"])
            if not any(h in headers for h in self.LIVE_HEADERS):
                site = self.builds.get().site
                entry = site.page(url, self.base_url)
        if entry is None:
            await self.live(scope, receive, send)
            return
        page_headers = {"etag": entry["etag"], "cache-control": entry["cache-control"], "vary": "Accept-Encoding"}
        inm = headers.get(b"if-none-match")
        if inm is not None and parse_etags(inm.decode("latin-1")).contains_weak(unquote_etag(entry["etag"])[0]):
            await NotModifiedResponse(page_headers)(scope, receive, send)
            return
        name = entry["file"]
        if b"gzip" in headers.get(b"accept-encoding", b""):
            name += ".gz"
            page_headers["content-encoding"] = "gzip"
        path, stat_result = site.file(name)
        response = PageFile(path, headers=page_headers, media_type=entry["content-type"], stat_result=stat_result)
        # the live page has neither: its only validator is the ETag, and it is sent whole
        del response.headers["last-modified"]
        del response.headers["accept-ranges"]
        await response(scope, receive, send)
