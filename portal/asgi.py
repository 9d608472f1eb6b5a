"""One origin: the Japanese pages at /, Datasette under /data/, files under /static/ and /downloads/.

A composition of well-kept parts; each job lives where its docstring says:

* portal.current — the one object that knows the build being served;
* the build's prebuilt pages from their files (portal.site), and Flask (portal.web) through a2wsgi
  for the rest, with Werkzeug's conditional responses;
* Datasette (portal.datasette) for /data/, its guards in its own plugin hooks;
* Starlette's StaticFiles for /static/, Datasette's /data/-/static/ and the downloads (portal.files);
* Starlette's GZipMiddleware for text that is not a download (its ETags weak when it may compress);
* portal.middleware for the public origin, long URLs and the security headers.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

import datasette
from a2wsgi import WSGIMiddleware
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, request_response
from starlette.staticfiles import StaticFiles

from . import links, paths
from .current import CurrentBuild
from .datasette import PREFIX, DataApp
from .datasette.csp import policy
from .errors import error_html
from .files import Downloads
from .middleware import Front, SecurityHeaders, WeakWhenCompressed, check_base_url
from .site import DEFAULT_BASE_URL, Prebuilt
from .web import create_app as create_flask_app

#: the pages under /downloads/; every other path there is a file of the current build
DOWNLOAD_PAGES = ("/downloads/", "/downloads/dictionary", "/downloads/api", "/downloads/dcat.jsonld")


def compressed(app):
    return WeakWhenCompressed(GZipMiddleware(app, minimum_size=1024, compresslevel=6))


class GetOnly:
    """An app that answers only GET and HEAD; any other method gets 405 with Allow.

    A Route's own method check does not help at /data and /favicon.ico: the
    Mount("/") of the pages matches every method, and Starlette's router
    prefers a route that matches fully to one that matches but the method.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"allow": "GET, HEAD"})
        await self.app(scope, receive, send)


async def http_error(request, exc: HTTPException) -> Response:
    """Starlette's errors (a missing static file, a method other than GET) as the portal's Japanese page."""
    return Response(error_html(exc.status_code), exc.status_code, headers=exc.headers, media_type="text/html")


async def favicon(request) -> Response:
    """The icon browsers ask for at /favicon.ico; pages name it (and its SVG) in their head too."""
    return FileResponse(paths.STATIC / "favicon.ico", headers={"cache-control": "public, max-age=86400"})


def create_app(db_path: Path | None = None, base_url: str | None = None, prebuilt: bool = True):
    """The portal as one ASGI application, serving the build that `db_path` points at.

    `prebuilt` False renders every page live (the test that the prebuilt pages are the live ones compares the two).
    """
    builds = CurrentBuild(Path(db_path or paths.DB))
    base_url = check_base_url(base_url or os.environ.get("PORTAL_BASE_URL") or DEFAULT_BASE_URL)
    # a page of the build's prebuilt site from its file; the rest rendered by Flask
    pages = compressed(WSGIMiddleware(create_flask_app({"BUILD": builds}), workers=8))
    if prebuilt:
        pages = Prebuilt(builds, pages, base_url)
    data = DataApp(builds)

    @asynccontextmanager
    async def lifespan(app):
        await data.instance()  # Datasette is started before the first request
        yield
        await data.shutdown()

    routes = [
        Route(PREFIX, GetOnly(RedirectResponse(PREFIX + "/", 301))),
        Mount(PREFIX + "/-/static", compressed(StaticFiles(directory=Path(datasette.__file__).parent / "static"))),
        Mount(PREFIX, compressed(data)),
        Mount("/static", compressed(StaticFiles(directory=paths.STATIC))),
        Route(links.FAVICON, GetOnly(request_response(favicon))),
        *(Route(path, pages) for path in DOWNLOAD_PAGES),
        Route("/downloads/rows/{name}", pages),
        Mount("/downloads", Downloads(builds)),
        Mount("/", pages),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan)
    return SecurityHeaders(Front(app, base_url), policy())


def from_environment():
    """The app for `portal serve` workers: the database from PORTAL_DB, the public origin from PORTAL_BASE_URL."""
    return create_app(Path(os.environ.get("PORTAL_DB", paths.DB)))
