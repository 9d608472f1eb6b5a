"""The Japanese pages of the portal (Flask)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .. import paths
from ..pipeline.build import downloads_dir


def create_app(test_config: dict | None = None) -> Flask:
    """The Flask app; `test_config` may point it at another database or package."""
    app = Flask(__name__, template_folder=str(paths.TEMPLATES), static_folder="static", static_url_path="/static")
    app.config.from_mapping(
        DB=paths.DB,
        PACKAGE_DIR=paths.PACKAGE_DIR,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=1024,
    )
    if test_config:
        app.config.update(test_config)
    app.config["DB"] = Path(app.config["DB"])
    app.config["PACKAGE_DIR"] = Path(app.config["PACKAGE_DIR"])
    app.config.setdefault("DOWNLOADS", downloads_dir(app.config["DB"]))
    app.json.ensure_ascii = False
    # a doubled slash is not a path of ours: 404 rather than a redirect to a guessed one
    app.url_map.merge_slashes = False

    from . import changes, downloads, errors, format, goals, kpis, pages, search
    from .store import Store

    app.extensions["store"] = Store(app.config["DB"])
    format.register(app)
    errors.register(app)
    for module in (pages, goals, kpis, changes, search, downloads):
        app.register_blueprint(module.bp)
    return app
