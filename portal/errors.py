"""The portal's error page, for every part of it: Flask, Datasette and the ASGI layer; and its bounded log.

One template (templates/errors/error.html) with Jinja's autoescape, so a value
taken from the request can never become markup.  `QuietLog` writes the lines
a visitor's errors cause, at most a few a minute for one visitor.
"""

from __future__ import annotations

import logging
import time
from functools import cache

from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import links, paths
from .operator import site_context

#: status → (title, what the visitor can do)
MESSAGES = {
    400: ("リクエストに誤りがあります", "URL の指定を確かめてください。"),
    403: ("このページは表示できません", "このページへのアクセスは許可されていません。"),
    404: ("ページが見つかりません", "URL が間違っているか、ページが移動した可能性があります。"),
    405: ("この方法では利用できません", "このページは表示（GET）のみ利用できます。"),
    406: ("この形式では提供していません", "URL の拡張子や形式の指定を確かめてください。"),
    412: ("条件に合いません", "指定された条件（If-Match など）に合わないため、送りませんでした。"),
    413: ("送信された内容が大きすぎます", "このポータルは送信を受け付けていません。"),
    414: ("URL が長すぎます", "URL を短くしてください（検索語や条件を減らしてください）。"),
    416: ("指定された範囲がありません", "ファイルの大きさを超える範囲が指定されました。"),
    429: ("混み合っています", "数秒おいてから、もう一度お試しください。"),
    431: ("リクエストのヘッダーが大きすぎます", "ブラウザーの Cookie などを減らしてから、もう一度お試しください。"),
    500: ("サーバーで問題が起きました", "時間をおいてもう一度お試しください。"),
    503: ("ただいま混み合っています", "しばらくしてから、もう一度お試しください。"),
}


def error_context(
    status: int, detail: str | None = None, back: str | None = None, detail_en: str | None = None
) -> dict:
    """What errors/error.html needs for a status: a Japanese title and hint, and optional details."""
    title, hint = MESSAGES.get(status) or (MESSAGES[500] if status >= 500 else MESSAGES[400])
    return {"status": status, "title": title, "hint": hint, "detail": detail, "detail_en": detail_en, "back": back}


@cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(paths.TEMPLATES)), autoescape=select_autoescape(default=True))
    # the portal's links outside Flask: its pages by endpoint (portal.links.PAGES), the rest from portal.links
    env.globals.update(links=links, url_for=links.url_for)
    return env


def error_html(
    status: int,
    detail: str | None = None,
    back: str | None = None,
    detail_en: str | None = None,
    here: str | None = None,
) -> bytes:
    """The error page as bytes, for the parts of the portal that are not Flask (`here`: the section to mark current)."""
    # the footer's words, as the portal's own pages have them (portal/operator.py)
    context = {**site_context(), **error_context(status, detail, back, detail_en)}
    if here is not None:
        context["portal_here"] = here
    return _environment().get_template("errors/error.html").render(context).encode()


class QuietLog:
    """A logger's warnings, at most `per_visitor` lines a minute for one visitor and `overall` in all.

    The lines left out are counted, and the count written once the minute
    is over: a visitor looping on a failing request cannot fill the disk.
    The standard library's logging has no rate limit, and the maintained
    ones (for structlog or loguru) would bring a logging framework along.
    """

    def __init__(self, logger: logging.Logger, per_visitor: int = 5, overall: int = 60, window: float = 60.0):
        self.logger = logger
        self.per_visitor = per_visitor
        self.overall = overall
        self.window = window
        self.started = time.monotonic()
        self.lines: dict[str, int] = {}  # at most `overall` visitors: one is added only with a line written
        self.left_out = 0

    def __call__(self, visitor: str, message: str, *args) -> bool:
        """Write one line for `visitor` if its budget allows; whether it was written."""
        now = time.monotonic()
        if now - self.started >= self.window:
            if self.left_out:
                self.logger.warning(
                    "%d log lines left out in the last %d s (too many from one visitor)", self.left_out, self.window
                )
            self.started, self.lines, self.left_out = now, {}, 0
        written = sum(self.lines.values())
        if self.lines.get(visitor, 0) >= self.per_visitor or written >= self.overall:
            self.left_out += 1
            return False
        self.lines[visitor] = self.lines.get(visitor, 0) + 1
        self.logger.warning(message, *args)
        return True
