"""ダウンロード /downloads/: the page of every file (page.py), the data dictionary (dictionary.py), the
catalogue descriptions (catalog.py: DCAT and schema.org) and rows selected on request (rows.py).

The files themselves are served from the build's folder (portal/files.py); these are the pages about them.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request

bp = Blueprint("downloads", __name__, url_prefix="/downloads")


def file_index() -> dict:
    """The current build's downloads' file index; 503 when the build has no downloads."""
    m = current_app.extensions["build"].get().file_index
    if not m["files"]:
        abort(503, description="ダウンロード用のファイルがまだ作られていません。portal build を実行してください。")
    return m


def absolute(path: str) -> str:
    """An absolute URL of the portal: its origin is the configured public one (the Host header is pinned to it)."""
    return request.url_root.rstrip("/") + path


# the views register themselves on bp
from . import catalog, dictionary, page, rows  # noqa: E402, F401
