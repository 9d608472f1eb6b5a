"""Conditional and kept responses for Datasette's pages and data.

Every successful GET gets an ETag made from the build (the database's hash),
the code that renders it and the URL, so a repeated request is answered 304
before Datasette does any work, and replicas of one build agree.  Plain
responses are kept in a bounded LRU cache (cachetools), counted in bytes of
key, headers and body together.
"""

from __future__ import annotations

import hashlib
from functools import cache

from cachetools import LRUCache
from werkzeug.http import parse_etags, quote_etag

from .. import paths

#: how long a response may be reused before asking again with its ETag
CACHE_CONTROL = b"public, max-age=60, must-revalidate"
#: kept responses: at most this many bytes in all; none larger than the second; no URL longer than the third
CACHE_BYTES = 24 * 1024 * 1024
MAX_RESPONSE_BYTES = 512 * 1024
MAX_KEY_BYTES = 2048

_cache: LRUCache = LRUCache(maxsize=CACHE_BYTES, getsizeof=lambda entry: entry[0])


@cache
def code_digest() -> str:
    """The hash of the code and templates that render pages: a new release changes every ETag."""
    h = hashlib.sha256()
    for root in (paths.PACKAGE, paths.TEMPLATES):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _header(scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers", []) if k == name), None)


def personal(scope) -> bool:
    """A request whose answer may depend on who asks: never kept, never shared."""
    return _header(scope, b"cookie") is not None or _header(scope, b"authorization") is not None


async def _status_only(send, status: int, etag: bytes) -> None:
    headers = [(b"etag", etag), (b"cache-control", CACHE_CONTROL), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


class Conditional:
    """ETag, 304 and the response cache around one build's Datasette."""

    def __init__(self, app, seed: str):
        self.app = app
        self.seed = seed

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or personal(scope):
            await self.app(scope, receive, send)
            return
        url = (scope.get("raw_path") or scope["path"].encode()) + b"?" + scope.get("query_string", b"")
        tag = hashlib.sha256(f"{self.seed}|{code_digest()}|".encode() + url).hexdigest()[:32]
        etag = quote_etag(tag, weak=True).encode()
        if_match = _header(scope, b"if-match")
        if if_match is not None and not parse_etags(if_match.decode("latin-1")).is_strong(tag):
            await _status_only(send, 412, etag)
            return
        if_none_match = _header(scope, b"if-none-match")
        if if_none_match is not None and parse_etags(if_none_match.decode("latin-1")).contains_weak(tag):
            await _status_only(send, 304, etag)
            return
        key = (self.seed, url) if len(url) <= MAX_KEY_BYTES and scope["method"] == "GET" else None
        kept = _cache.get(key) if key else None
        if kept is not None:
            _, headers, body = kept
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict = {}
        chunks: list[bytes] = []
        size = 0

        async def capture(message):
            nonlocal size
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if message["status"] == 200 and not any(k.lower() == b"set-cookie" for k, _ in headers):
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"cache-control")]
                    headers += [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
                message = dict(message, headers=headers)
                start.update(message)
            elif message["type"] == "http.response.body" and key is not None:
                size += len(message.get("body", b""))
                if size <= MAX_RESPONSE_BYTES:
                    chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        headers = start.get("headers", [])
        if key is not None and start.get("status") == 200 and size <= MAX_RESPONSE_BYTES and (b"etag", etag) in headers:
            body = b"".join(chunks)
            _cache[key] = (len(key[1]) + len(body) + sum(len(k) + len(v) for k, v in headers) + 200, headers, body)
