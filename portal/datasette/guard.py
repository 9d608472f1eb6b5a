"""Datasette hook asgi_wrapper: what a request to /data/ may ask for, before Datasette does any work.

In order: only GET and HEAD; no diagnostic pages; no parameter that would
make one request expensive (many facets, a time limit that is not a
number); ad-hoc SQL through a gate; then ETags and kept responses
(caching.py), and the Content-Security-Policy of Datasette's pages (csp.py).
"""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import parse_qsl, unquote

from datasette import hookimpl
from starlette.responses import JSONResponse, Response

from ..errors import error_html
from .caching import Conditional
from .csp import datasette_inline_script_hashes, policy

#: Datasette pages of no use to visitors that tell an attacker what runs here (README: "Security")
HIDDEN = re.compile(r"^/-/(?!static/)")
#: the most parameters, and the most facets, one request may carry
MAX_PARAMS = 64
MAX_FACETS = 8
#: a time limit is a number of milliseconds
TIME_LIMIT = re.compile(r"^[0-9]{1,7}$")
#: ad-hoc SQL queries running at once, per process and per client address
SQL_SLOTS = 2
SQL_SLOTS_PER_CLIENT = 1
#: a query turned away waits this long before its 429, so a client looping on SQL cannot flood the server
SQL_REJECT_DELAY = 1.0
#: at most this many turned-away queries wait at once; beyond it they are answered at once
SQL_MAX_WAITING = 64
BACK = "/data/"


def route_paths(scope) -> set[str]:
    """The path Datasette is given (without /data), raw and percent-decoded."""
    raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").partition("?")[0]
    return {raw, unquote(raw), scope["path"]}


def problem(params: list[tuple[str, str]]) -> str | None:
    """A Japanese message when the parameters ask for more than one request may, else None."""
    if len(params) > MAX_PARAMS:
        return f"URL の条件が多すぎます（{MAX_PARAMS} 個まで）。"
    facets = [(k, v) for k, v in params if k.startswith("_facet") and k != "_facet_size"]
    if len(facets) > MAX_FACETS:
        return f"ファセット（_facet）は {MAX_FACETS} 個まで指定できます。"
    if len(set(facets)) < len(facets):
        return "同じファセット（_facet）が二度指定されています。"
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


class SqlGate:
    """Admits at most `slots` ad-hoc SQL queries at once, and `per_client` per client address."""

    def __init__(self, slots: int = SQL_SLOTS, per_client: int = SQL_SLOTS_PER_CLIENT):
        self.slots = slots
        self.per_client = per_client
        self.running = 0
        self.by_client: dict[str, int] = {}
        self.waiting = 0

    def enter(self, client: str) -> bool:
        if self.running >= self.slots or self.by_client.get(client, 0) >= self.per_client:
            return False
        self.running += 1
        self.by_client[client] = self.by_client.get(client, 0) + 1
        return True

    def leave(self, client: str) -> None:
        self.running -= 1
        left = self.by_client[client] - 1
        if left:
            self.by_client[client] = left
        else:
            del self.by_client[client]

    async def turn_away(self) -> None:
        """Wait before answering 429, unless too many are already waiting."""
        if self.waiting >= SQL_MAX_WAITING:
            return
        self.waiting += 1
        try:
            await asyncio.sleep(SQL_REJECT_DELAY)
        finally:
            self.waiting -= 1


#: one gate per process: every build's Datasette shares it
GATE = SqlGate()


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
        if not any(k in ("sql", "_where") for k, _ in params):
            await self.app(scope, receive, with_policy)
            return
        client = (scope.get("client") or ("?", 0))[0]
        if not GATE.enter(client):
            await GATE.turn_away()
            message = "ほかの SQL の問い合わせを処理中です。数秒おいてからもう一度お試しください。"
            await answer(with_policy, scope, 429, message, {"retry-after": "2"})
            return
        try:
            await self.app(scope, receive, with_policy)
        finally:
            GATE.leave(client)


@hookimpl
def asgi_wrapper(datasette):
    """Guard, then conditional responses, around the Datasette of one build."""
    seed = next(db.hash for db in datasette.databases.values() if db.hash)

    def wrap(app):
        return Guard(Conditional(app, seed), datasette.setting("base_url"))

    return wrap
