"""The Japanese pages of the portal (Flask)."""

from __future__ import annotations

from flask import Flask

from .. import links, paths


def create_app(test_config: dict | None = None) -> Flask:
    """The Flask app; `test_config` may point it at another database (DB) or hand it the CurrentBuild (BUILD)."""
    app = Flask(__name__, template_folder=str(paths.TEMPLATES), static_folder=None)
    app.config.from_mapping(DB=paths.DB, JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=1024)
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    # a doubled slash is not a path of ours: 404 rather than a redirect to a guessed one
    app.url_map.merge_slashes = False

    from .. import operator
    from ..current import CurrentBuild
    from . import caching, changes, downloads, errors, format, goals, kpis, pages, search

    app.extensions["build"] = app.config.get("BUILD") or CurrentBuild(app.config["DB"])
    # who runs the portal: a setting of the deployment (portal/operator.py), read once
    app.config.setdefault("OPERATOR", operator.from_env())
    format.register(app)
    errors.register(app)
    caching.register(app)
    for module in (pages, goals, kpis, changes, search, downloads):
        app.register_blueprint(module.bp)
    app.register_blueprint(changes.feed_bp)
    # links the templates build outside Flask's url_for: Datasette, the files (portal.links)
    app.jinja_env.globals["links"] = links
    check_pages(app)
    return app


def check_pages(app: Flask) -> None:
    """The links written outside Flask lead to its pages: each page portal.links names for Datasette's templates
    and the error page is where Flask routes it, and each row page tables.yaml names (`display.page`, linked from
    Datasette's row pages) is a route of Flask's."""
    from werkzeug.exceptions import HTTPException

    from ..pipeline.schema import tables

    routes = app.url_map.bind("localhost")
    for endpoint, path in links.PAGES.items():
        if routes.build(endpoint) != path:
            raise RuntimeError(f"portal.links.PAGES: {endpoint} is at {routes.build(endpoint)}, not {path}")
    for t in tables():
        if "page" in t.display:
            url = t.display["page"]["url"]
            path = url.split("?", 1)[0].format_map(_Ones())
            try:
                routes.match(path, method="GET")
            except HTTPException:
                raise RuntimeError(f"tables.yaml {t.name}.display.page: {url} is not a page of the portal") from None


class _Ones(dict):
    """Every column of a URL pattern as 1, to match the pattern against Flask's routes."""

    def __missing__(self, key: str) -> str:
        return "1"
