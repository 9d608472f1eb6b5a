"""Errors in Japanese, with a way back; never a traceback."""

from __future__ import annotations

import logging

from flask import render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from ..errors import MESSAGES, error_context

log = logging.getLogger(__name__)


def register(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        # only the portal's own Japanese explanations are shown; Werkzeug's English ones are not
        detail = exc.description if status in MESSAGES and exc.description and not exc.description.isascii() else None
        body = render_template("errors/error.html", **error_context(status, detail))
        # keep what the exception says about itself, such as Allow on a 405
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # logged without local variables; the visitor sees a short Japanese page
        log.error("unexpected error on a page: %s: %s", type(exc).__name__, exc)
        return render_template("errors/error.html", **error_context(InternalServerError.code)), 500
