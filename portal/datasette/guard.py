"""Datasette hook asgi_wrapper: what a request to /data/ may ask for, before Datasette does any work.

In order: only GET and HEAD; no diagnostic pages; no parameter that would
make one request expensive (many facets, a facet given as JSON Datasette
cannot read, a time limit that is not a number); the request marked ad-hoc
when it carries the visitor's own SQL (`sql`, `_where`), so that its
queries run in a worker process (adhoc.py); a cap on the bytes of every
response; then ETags and kept responses (caching.py), and the
Content-Security-Policy of Datasette's pages (csp.py).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, unquote

from datasette import hookimpl
from starlette.responses import JSONResponse, Response

from .. import links
from ..errors import error_html
from . import ours
from .adhoc import CURRENT, Visit
from .caching import Conditional
from .csp import datasette_inline_script_hashes, policy

#: Datasette pages of no use to visitors that tell an attacker what runs here (README: "Security")
HIDDEN = re.compile(r"^/-/(?!static/)")
#: the most parameters, and the most facets, one request may carry
MAX_PARAMS = 64
MAX_FACETS = 8
#: a time limit is a number of milliseconds
TIME_LIMIT = re.compile(r"^[0-9]{1,7}$")
#: parameters that carry SQL written by the visitor: the request's queries run in a worker process
ADHOC = ("sql", "_where")
#: the most bytes of one response; a query's result is bounded far below this (sqlworker.MAX_RESULT_CHARS),
#: Datasette's streamed CSV by its max_csv_mb setting
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
BACK = links.data_home()


def route_paths(scope) -> set[str]:
    """The path Datasette is given (without /data), raw and percent-decoded."""
    raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").partition("?")[0]
    return {raw, unquote(raw), scope["path"]}


def facet_problem(key: str, value: str) -> str | None:
    """A message when a facet is given as JSON that Datasette cannot read (it would answer 500), else None."""
    if not value.startswith("{"):
        return None
    try:
        config = json.loads(value)
    except ValueError:
        return f"「{key}」の値が JSON として読めません。"
    column = config.get("column") or config.get("simple") if isinstance(config, dict) else None
    if not isinstance(column, str) or not column:
        return f'「{key}」に JSON を使うときは、{{"column": "列の名前"}} のように列の名前を書いてください。'
    return None


def problem(params: list[tuple[str, str]]) -> str | None:
    """A Japanese message when the parameters ask for more than one request may, else None."""
    if len(params) > MAX_PARAMS:
        return f"URL の条件が多すぎます（{MAX_PARAMS} 個まで）。"
    facets = [(k, v) for k, v in params if k.startswith("_facet") and k != "_facet_size"]
    if len(facets) > MAX_FACETS:
        return f"ファセット（_facet）は {MAX_FACETS} 個まで指定できます。"
    if len(set(facets)) < len(facets):
        return "同じファセット（_facet）が二度指定されています。"
    for key, value in facets:
        message = facet_problem(key, value)
        if message:
            return message
    for key, value in params:
        if key == "_timelimit" and not TIME_LIMIT.match(value):
            return "「_timelimit」はミリ秒を表す数（半角数字）で指定してください。"
        if key == "_through":
            try:
                through = json.loads(value)
            except ValueError:
                return "「_through」の値が JSON として読めません。"
            if not isinstance(through, dict) or not {"table", "column", "value"} <= set(through):
                return "「_through」には table、column、value を持つ JSON を指定してください。"
    return None


async def answer(send, scope, status: int, message: str, headers: dict | None = None) -> None:
    """A refusal in Japanese: JSON for .json URLs, otherwise the portal's error page; never kept by a cache."""
    headers = {"cache-control": "no-store", **(headers or {})}
    if scope["path"].endswith(".json"):
        response = JSONResponse({"ok": False, "status": status, "error": message}, status, headers=headers)
    else:
        response = Response(
            error_html(status, detail=message, back=BACK, here=BACK), status, headers, media_type="text/html"
        )
    await response(scope, None, send)


def capped(send, scope, limit: int):
    """`send`, passing at most `limit` bytes of body: past it, a 400 if nothing was sent yet, else a closing note.

    The response's start is held until its first body, so that a body too
    large from the first byte is answered with an error instead.
    """
    held = None
    sent = 0
    cut = False

    async def capped_send(message):
        nonlocal held, sent, cut
        if cut:
            return
        if message["type"] == "http.response.start":
            held = message
            return
        if message["type"] == "http.response.body":
            sent += len(message.get("body", b""))
            if sent > limit:
                cut = True
                note = f"応答が上限（{limit:,} バイト）を超えたので、ここで打ち切りました。"
                if held is not None:
                    await answer(send, scope, 400, note)
                else:
                    await send({"type": "http.response.body", "body": f"\n{note}\n".encode(), "more_body": False})
                return
        if held is not None:
            start, held = held, None
            await send(start)
        await send(message)

    return capped_send


class Guard:
    def __init__(self, app, base_url: str):
        self.app = app
        self.base_url = base_url
        self.csp = policy(datasette_inline_script_hashes()).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                message = dict(message, headers=headers + [(b"content-security-policy", self.csp)])
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            await answer(with_policy, scope, 405, "データの表示（GET）のみ利用できます。", {"allow": "GET, HEAD"})
            return
        paths = route_paths(scope)
        # the prefix given twice (/data/data/…) would be removed twice: never a page of ours
        if any(HIDDEN.match(path) or path.startswith(self.base_url) for path in paths):
            await answer(with_policy, scope, 404, "このページは公開していません。")
            return
        params = parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
        message = problem(params)
        if message:
            await answer(with_policy, scope, 400, message)
            return
        adhoc = any(k in ADHOC for k, _ in params)
        if adhoc and scope["path"].endswith(".blob"):
            # a visitor's query returns a blob as its size, never its bytes
            await answer(with_policy, scope, 400, "SQL の問い合わせの結果から BLOB はダウンロードできません。")
            return
        client = (scope.get("client") or ("?", 0))[0]
        csv_sql = next((v for k, v in params if k == "sql"), None) if scope["path"].endswith(".csv") else None
        token = CURRENT.set(Visit(client=client, adhoc=adhoc, csv_sql=csv_sql))
        try:
            await self.app(scope, receive, capped(with_policy, scope, MAX_RESPONSE_BYTES))
        finally:
            CURRENT.reset(token)


@hookimpl
def asgi_wrapper(datasette):
    """Guard, then conditional responses, around the portal's Datasette of one build."""
    if not ours(datasette):
        return None
    seed = next(db.hash for db in datasette.databases.values() if db.hash)

    def wrap(app):
        return Guard(Conditional(app, seed), datasette.setting("base_url"))

    return wrap
