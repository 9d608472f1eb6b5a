"""One origin: the Flask pages at /, Datasette under /data/, with the protections a public portal needs.

* Datasette is given requests with the /data prefix removed from both `path`
  and `raw_path`, and keeps base_url="/data/" for the links it generates:
  base_url alone doubles the prefix (/data/data/…) when Datasette is mounted
  inside another app.  Redirects it sends get the prefix back, and never
  point to another site.  Only GET and HEAD reach Datasette.
* Query parameters that stock Datasette answers with a 500 are checked first
  and answered with a 400.
* Ad-hoc SQL (``?sql=`` and ``_where=``) passes a gate: one such query at a
  time per process and per client, so expensive queries cannot take every
  SQL thread from the people reading pages.
* Every response carries security headers; every successful page and data
  response carries an ETag derived from the build (the database's hash, the
  code's hash and the URL) and is answered 304 when it still matches.
  Rendered Flask pages are kept per build, so a page costs a lookup.
* A new build (db/strategy.db pointing at a new file) is picked up on the
  next request: pages, data, downloads and ETags all change with it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from a2wsgi import WSGIMiddleware

from . import paths
from .datasette import DATABASE, PREFIX, make_datasette
from .pipeline.export import sha256_file
from .pipeline.schema import tables
from .web import create_app as create_flask_app

READ_METHODS = {"GET", "HEAD"}
#: Datasette pages of no use to visitors that tell an attacker what runs here (README: "Security")
HIDDEN_DATASETTE = re.compile(r"^/-/(?!static/)")
#: how long a response may be reused before asking again with its ETag
PAGE_CACHE_CONTROL = "public, max-age=60, must-revalidate"
#: rendered Flask pages kept per build: at most this many bytes in all, and no single page above the second
PAGE_CACHE_BYTES = 32 * 1024 * 1024
PAGE_CACHE_MAX_BYTES = 512 * 1024
#: the download pages are pages; every other /downloads/ path is a file with its own ETag (its sha256)
DOWNLOAD_PAGES = {"/downloads/", "/downloads/dictionary", "/downloads/api", "/downloads/dcat.jsonld"}
#: ad-hoc SQL queries running at once, per process and per client address
SQL_SLOTS = 1
SQL_SLOTS_PER_CLIENT = 1
#: a query turned away waits this long before its 429, so a client looping on SQL cannot flood the server
SQL_REJECT_DELAY = 1.0
#: at most this many turned-away queries wait at once; beyond it they are answered at once
SQL_MAX_WAITING = 64


def _html(title: str, message: str, back: str = "/") -> bytes:
    return (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="stylesheet" href="/static/portal.css"></head>'
        f'<body><main id="main"><h1>{title}</h1><p>{message}</p>'
        f'<p><a href="{back}">戻る</a>・<a href="/">トップページへ</a></p></main></body></html>'
    ).encode()


# -- Content-Security-Policy --------------------------------------------------------------


def _script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def datasette_inline_script_hashes() -> list[str]:
    """Hashes of the two inline scripts of Datasette's templates that our pages use (table.html, SQL editor)."""
    import datasette

    templates = Path(datasette.__file__).parent / "templates"
    hashes = []
    foot = (templates / "_codemirror_foot.html").read_text(encoding="utf-8")
    for script in re.findall(r"<script>(.*?)</script>", foot, re.S):
        hashes.append(_script_hash(script))
    table = (templates / "table.html").read_text(encoding="utf-8")
    for script in re.findall(r"<script>(DATASETTE_ALLOW_FACET = .*?)</script>", table):
        hashes.append(_script_hash(script.replace("{{ datasette_allow_facet }}", "true")))
    return hashes


def csp(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


# -- the build being served ----------------------------------------------------------------


def _tree_digest(*roots: Path) -> str:
    """The hash of the code and templates that render pages: part of every ETag."""
    h = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root.parent)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


class Build:
    """The database being served, noticed again when db/strategy.db points at a new file."""

    def __init__(self, db_path: Path):
        self.path = Path(db_path)
        self._lock = threading.Lock()
        self.stamp: tuple | None = None
        self.sha256 = ""
        self.refresh()

    def _stat(self) -> tuple:
        st = os.stat(self.path)
        return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)

    def refresh(self) -> bool:
        """Look at the file; return True when it is a new build."""
        stamp = self._stat()
        if stamp == self.stamp:
            return False
        with self._lock:
            if stamp == self.stamp:
                return False
            self.sha256, self.stamp = sha256_file(self.path), stamp
            return True


# -- checks on Datasette's query parameters ------------------------------------------------

COLUMNS = {t.name: set(t.columns) | {"rowid"} for t in tables()}
_TABLE_PATH = re.compile(rf"^/{DATABASE}/([A-Za-z_][A-Za-z0-9_]*)(?:\.(?:json|csv))?$")


def bad_datasette_request(path: str, params: list[tuple[str, str]]) -> str | None:
    """A Japanese message when a parameter is one that stock Datasette answers with a 500."""
    m = _TABLE_PATH.match(path)
    columns = COLUMNS.get(m.group(1)) if m else None
    for key, value in params:
        if key == "_timelimit" and not value.isdigit():
            return "「_timelimit」はミリ秒を表す数で指定してください。"
        if key in ("_sort", "_sort_desc") and columns is not None and value not in columns:
            return f"「{key}」に指定した列「{value[:40]}」はこの表にありません。"
        if key == "_through":
            try:
                through = json.loads(value)
            except ValueError:
                return "「_through」の値が JSON として読めません。"
            if not isinstance(through, dict) or not {"table", "column", "value"} <= set(through):
                return "「_through」には table、column、value を持つ JSON を指定してください。"
    return None


def is_adhoc_sql(params: list[tuple[str, str]]) -> bool:
    return any(k in ("sql", "_where") for k, _ in params)


class SqlGate:
    """Admits at most `slots` ad-hoc SQL queries at once, and `per_client` per client address."""

    def __init__(self, slots: int = SQL_SLOTS, per_client: int = SQL_SLOTS_PER_CLIENT):
        self.slots = slots
        self.per_client = per_client
        self.running = 0
        self.by_client: dict[str, int] = {}

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


# -- the application -----------------------------------------------------------------------


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _without(headers: list[tuple[bytes, bytes]], *names: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() not in names]


def _fix_location(value: bytes, prefix: bytes) -> bytes:
    """A redirect from Datasette, kept on this site and under /data."""
    parts = urlsplit(value.decode("latin-1"))
    path = parts.path or "/"
    if parts.scheme or parts.netloc or path.startswith("//"):
        path = "/" + path.lstrip("/")
    target = path.encode("latin-1")
    if not (target == prefix or target.startswith(prefix + b"/")):
        target = prefix + target
    if parts.query:
        target += b"?" + parts.query.encode("latin-1")
    return target


class Portal:
    """The ASGI application: routing, security headers, ETags, page cache and the SQL gate."""

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self.build = Build(self.db_path)
        self.code = _tree_digest(paths.ROOT / "portal", paths.TEMPLATES)[:16]
        self.pages = WSGIMiddleware(create_flask_app({"DB": self.db_path}), workers=8)
        self._datasette = None
        self._datasette_sha = None
        self.cache: OrderedDict[tuple, tuple] = OrderedDict()
        self.cache_bytes = 0
        self.gate = SqlGate()
        self.waiting = 0
        self.csp_pages = csp([]).encode()
        self.csp_data = csp(datasette_inline_script_hashes()).encode()
        self.hsts = os.environ.get("PORTAL_HSTS") == "1"

    def datasette(self):
        """Datasette for the current build: a new build gets a new instance (the file is opened immutable)."""
        if self._datasette_sha != self.build.sha256:
            self._datasette = make_datasette(self.db_path).app()
            self._datasette_sha = self.build.sha256
        return self._datasette

    def clear_cache(self) -> None:
        self.cache.clear()
        self.cache_bytes = 0

    def etag(self, scope: dict) -> str:
        key = f"{self.build.sha256}|{self.code}|{scope['path']}|{scope.get('query_string', b'').decode('latin-1')}"
        return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if self.build.refresh():
            self.clear_cache()
        path = scope["path"]
        is_data = path == PREFIX or path.startswith(PREFIX + "/")
        send = self.secured(send, self.csp_data if is_data else self.csp_pages)
        if is_data:
            await self.data(scope, receive, send)
        else:
            await self.page(scope, receive, send)

    def secured(self, send, policy: bytes):
        """Add the security headers to every response, and drop an app's own Date (the server sends one)."""
        hsts = self.hsts

        async def wrapped(message):
            if message["type"] == "http.response.start":
                headers = _without(list(message.get("headers", [])), b"date", b"server", b"x-powered-by")
                headers += [
                    (b"content-security-policy", policy),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = dict(message, headers=headers)
            await send(message)

        return wrapped

    async def simple(self, send, status: int, body: bytes, extra: list | None = None, json_body: dict | None = None):
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            ctype = b"application/json; charset=utf-8"
        else:
            ctype = b"text/html; charset=utf-8"
        headers = [
            (b"content-type", ctype),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ] + (extra or [])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def not_modified(self, scope: dict, etag: str) -> bool:
        inm = dict(scope.get("headers", [])).get(b"if-none-match")
        return (
            scope["method"] in READ_METHODS
            and inm is not None
            and etag.encode() in [t.strip() for t in inm.split(b",")]
        )

    async def send_304(self, send, etag: str):
        await send(
            {
                "type": "http.response.start",
                "status": 304,
                "headers": [(b"etag", etag.encode()), (b"cache-control", PAGE_CACHE_CONTROL.encode())],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    # -- Datasette under /data/ --
    async def data(self, scope, receive, send):
        wants_json = scope["path"].endswith(".json")
        if scope["method"] not in READ_METHODS:
            await self.simple(
                send,
                405,
                _html("この方法では利用できません（405）", "データの表示（GET）のみ利用できます。", "/data/"),
                [(b"allow", b"GET, HEAD")],
            )
            return
        if scope["path"] == PREFIX:
            await self.simple(send, 301, b"", [(b"location", PREFIX.encode() + b"/")])
            return
        inner = scope["path"][len(PREFIX) :]
        if HIDDEN_DATASETTE.match(inner):
            await self.simple(
                send, 404, _html("ページが見つかりません（404）", "このページは公開していません。", "/data/")
            )
            return
        params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        problem = bad_datasette_request(inner, params)
        if problem:
            if wants_json:
                await self.simple(send, 400, b"", json_body={"ok": False, "status": 400, "error": problem})
            else:
                await self.simple(send, 400, _html("リクエストに誤りがあります（400）", problem, "/data/"))
            return
        app = self.datasette()
        etag = self.etag(scope)
        if self.not_modified(scope, etag):
            await self.send_304(send, etag)
            return
        client = (scope.get("client") or ("?", 0))[0]
        adhoc = is_adhoc_sql(params)
        if not adhoc and await self.from_cache(scope, send):
            return
        if adhoc and not self.gate.enter(client):
            if self.waiting < SQL_MAX_WAITING:
                self.waiting += 1
                try:
                    await asyncio.sleep(SQL_REJECT_DELAY)
                finally:
                    self.waiting -= 1
            message = "ほかの SQL の問い合わせを処理中です。数秒おいてからもう一度お試しください。"
            extra = [(b"retry-after", b"2")]
            if wants_json:
                await self.simple(send, 429, b"", extra, json_body={"ok": False, "status": 429, "error": message})
            else:
                await self.simple(send, 429, _html("混み合っています（429）", message, "/data/"), extra)
            return
        prefix = PREFIX.encode()

        def transform(message):
            headers = list(message.get("headers", []))
            headers = [(k, _fix_location(v, prefix) if k.lower() == b"location" else v) for k, v in headers]
            if message["status"] == 200 and _header(headers, b"set-cookie") is None:
                headers = _without(headers, b"cache-control", b"etag")
                headers += [(b"etag", etag.encode()), (b"cache-control", PAGE_CACHE_CONTROL.encode())]
            return dict(message, headers=headers)

        async def send_data(message):
            if message["type"] == "http.response.start":
                message = transform(message)
            await send(message)

        inner_scope = dict(scope, path=inner or "/", root_path="")
        raw = scope.get("raw_path")
        if raw is not None:
            inner_scope["raw_path"] = raw[len(PREFIX) :] or b"/"
        try:
            if adhoc:
                await app(inner_scope, receive, send_data)
            else:
                await self.cached(scope, app, inner_scope, receive, send, transform)
        finally:
            if adhoc:
                self.gate.leave(client)

    # -- responses kept per build --
    def cache_key(self, scope: dict) -> tuple:
        return (self.build.sha256, scope["path"], scope.get("query_string", b""))

    async def from_cache(self, scope: dict, send) -> bool:
        """Send a response kept for this build and URL; False when there is none."""
        if scope["method"] != "GET" or dict(scope.get("headers", [])).get(b"cookie"):
            return False
        key = self.cache_key(scope)
        hit = self.cache.get(key)
        if hit is None:
            return False
        self.cache.move_to_end(key)
        status, headers, body = hit
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    async def cached(self, scope: dict, app, app_scope: dict, receive, send, transform) -> None:
        """Run `app`, and keep its response (as `transform` leaves it) for this build when it is a plain 200."""
        start: dict = {}
        chunks: list[bytes] = []
        size = 0

        async def capture(message):
            nonlocal size
            if message["type"] == "http.response.start":
                message = transform(message)
                start.update(message)
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if size <= PAGE_CACHE_MAX_BYTES:
                    chunks.append(message.get("body", b""))
            await send(message)

        await app(app_scope, receive, capture)
        headers = start.get("headers", [])
        if (
            scope["method"] == "GET"
            and start.get("status") == 200
            and size <= PAGE_CACHE_MAX_BYTES
            and _header(headers, b"set-cookie") is None
            and not dict(scope.get("headers", [])).get(b"cookie")
        ):
            key = self.cache_key(scope)
            body = b"".join(chunks)
            self.cache[key] = (200, headers, body)
            self.cache_bytes += len(body)
            while self.cache_bytes > PAGE_CACHE_BYTES:
                _, (_, _, old) = self.cache.popitem(last=False)
                self.cache_bytes -= len(old)

    # -- the Flask pages --
    async def page(self, scope, receive, send):
        path = scope["path"]
        is_file = path.startswith("/downloads/") and path not in DOWNLOAD_PAGES
        if scope["method"] not in READ_METHODS or is_file:
            await self.pages(scope, receive, send)
            return
        etag = self.etag(scope)
        if self.not_modified(scope, etag):
            await self.send_304(send, etag)
            return
        if await self.from_cache(scope, send):
            return

        def with_etag(message):
            if message["status"] != 200:
                return message
            headers = _without(list(message.get("headers", [])), b"cache-control", b"etag")
            headers += [(b"etag", etag.encode()), (b"cache-control", PAGE_CACHE_CONTROL.encode())]
            return dict(message, headers=headers)

        await self.cached(scope, self.pages, scope, receive, send, with_etag)


def create_app(db_path: Path | None = None) -> Portal:
    """The portal as one ASGI application."""
    return Portal(Path(db_path or paths.DB))


def from_environment() -> Portal:
    """The app for `portal serve` workers: the database path comes from PORTAL_DB."""
    return create_app(Path(os.environ.get("PORTAL_DB", paths.DB)))
