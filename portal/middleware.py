"""What every request and response of the portal goes through, whichever part answers it.

Small ASGI middlewares, written here because the maintained ones do
something else: Starlette's TrustedHostMiddleware refuses an unknown Host
(in English) instead of pinning the origin, no maintained package adds
this project's set of security headers without a framework around it, and
Starlette's GZipMiddleware keeps a file's strong ETag on its compressed body
(`WeakWhenCompressed`).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from starlette.responses import Response

from .errors import error_html

#: the longest path and query string accepted, as nginx's default request-line buffer
MAX_URL_BYTES = 8192


def check_base_url(base_url: str) -> str:
    """The public origin, e.g. https://opendata.example.jp: scheme and host only."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
        raise ValueError(
            f"公開 URL は https://example.jp のように、スキームとホスト名だけで指定してください: {base_url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


class Front:
    """Answers every request as addressed to the public origin, and refuses overlong URLs.

    The Host header is not trusted: links, the DCAT catalogue and Datasette's
    next-page URLs are built from the configured origin (PORTAL_BASE_URL),
    so no response, and no cached copy of one, can name another host.
    """

    def __init__(self, app, base_url: str):
        self.app = app
        parts = urlsplit(check_base_url(base_url))
        self.scheme = parts.scheme
        self.host = parts.netloc.encode("idna")
        self.server = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("raw_path") or b"") + len(scope.get("query_string", b"")) > MAX_URL_BYTES:
            await Response(error_html(414), 414, media_type="text/html")(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != b"host"] + [(b"host", self.host)]
        await self.app(dict(scope, scheme=self.scheme, server=self.server, headers=headers), receive, send)


class SecurityHeaders:
    """Adds the security headers to every response; a part with its own policy (Datasette) keeps it."""

    def __init__(self, app, policy: str, hsts: bool | None = None):
        self.app = app
        self.policy = policy.encode()
        hsts = os.environ.get("PORTAL_HSTS") == "1" if hsts is None else hsts
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ] + ([(b"strict-transport-security", b"max-age=31536000")] if hsts else [])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message):
            if message["type"] == "http.response.start":
                given = message.get("headers", [])
                policy = next((v for k, v in given if k.lower() == b"content-security-policy"), self.policy)
                ours = [*self.headers, (b"content-security-policy", policy)]
                # the server sends its own Date; a framework's second one would be a duplicate
                dropped = {b"date", b"server", b"x-powered-by"} | {k for k, _ in ours}
                message = dict(message, headers=[(k, v) for k, v in given if k.lower() not in dropped] + ours)
            await send(message)

        await self.app(scope, receive, secured)


class WeakWhenCompressed:
    """Makes a strong ETag weak on the answer to a request that accepts gzip (wrapping GZipMiddleware).

    A strong ETag promises the same bytes; the compressed body of a file is
    not the file's bytes, and a client holding it could join it to a range
    of the uncompressed file with If-Range.  A weak ETag still answers
    If-None-Match (304) but never If-Range or If-Match.  Whether the body is
    compressed depends on its size and type, and a 304 refreshes the ETag a
    client stored with its compressed copy, so every answer to a request
    that accepts gzip gets the weak one (the test is GZipMiddleware's own).
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        accepts_gzip = scope["type"] == "http" and any(
            k == b"accept-encoding" and b"gzip" in v for k, v in scope.get("headers", [])
        )
        if not accepts_gzip:
            await self.app(scope, receive, send)
            return

        async def weakened(message):
            if message["type"] == "http.response.start":
                headers = [
                    (k, b"W/" + v if k.lower() == b"etag" and v.startswith(b'"') else v)
                    for k, v in message.get("headers", [])
                ]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, weakened)
