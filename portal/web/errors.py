"""Errors in Japanese, with a way back; never a traceback."""

from __future__ import annotations

import logging

from flask import render_template
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("リクエストに誤りがあります", "URL の指定を確かめてください。"),
    403: ("このページは表示できません", "このページへのアクセスは許可されていません。"),
    404: ("ページが見つかりません", "URL が間違っているか、ページが移動した可能性があります。"),
    405: ("この方法では利用できません", "このページは表示（GET）のみ利用できます。"),
    413: ("送信された内容が大きすぎます", "このポータルは送信を受け付けていません。"),
    414: ("URL が長すぎます", "URL を短くしてください。"),
    500: ("サーバーで問題が起きました", "時間をおいてもう一度お試しください。"),
}


def render_error(status: int, detail: str | None = None):
    title, hint = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    return render_template("errors/error.html", status=status, title=title, hint=hint, detail=detail), status


def register(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        detail = exc.description if exc.code == 400 and exc.description and not exc.description.isascii() else None
        return render_error(exc.code or 500, detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # logged without local variables; the visitor sees a short Japanese page
        log.error("unexpected error on a page: %s: %s", type(exc).__name__, exc)
        return render_error(InternalServerError.code)
