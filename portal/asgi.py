"""One origin: the Flask pages at /, Datasette under /data/.

Datasette is given requests with the /data prefix removed from both `path`
and `raw_path`, and keeps base_url="/data/" for the links it generates; this
avoids the doubled /data/data/ links that base_url alone produces when
Datasette is mounted inside another app.  Redirects it sends are given the
prefix back.  Only GET and HEAD reach Datasette.
"""

from __future__ import annotations

from pathlib import Path

from a2wsgi import WSGIMiddleware

from . import paths
from .datasette import PREFIX, make_datasette
from .web import create_app as create_flask_app

READ_METHODS = {"GET", "HEAD"}

METHOD_NOT_ALLOWED = (
    "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>この方法では利用できません（405）</title></head>"
    "<body><h1>この方法では利用できません</h1><p>データの表示（GET）のみ利用できます。</p>"
    "<p><a href=\"/data/\">SQLで調べるページへ戻る</a></p></body></html>"
).encode()


async def _send_simple(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def strip_prefix(scope: dict) -> dict:
    """The request as Datasette should see it: without the /data prefix in path and raw_path."""
    path = scope["path"][len(PREFIX):] or "/"
    raw = scope.get("raw_path")
    if raw is not None:
        raw = raw[len(PREFIX):] or b"/"
    return dict(scope, path=path, raw_path=raw, root_path="")


def _fix_location(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    out = []
    prefix = PREFIX.encode()
    for key, value in headers:
        if key.lower() == b"location" and value.startswith(b"/") and not value.startswith(b"//"):
            if not (value == prefix or value.startswith(prefix + b"/") or value.startswith(prefix + b"?")):
                value = prefix + value
        out.append((key, value))
    return out


def create_app(db_path: Path | None = None):
    """The portal as one ASGI application."""
    db_path = Path(db_path or paths.DB)
    flask_app = create_flask_app({"DB": db_path})
    pages = WSGIMiddleware(flask_app, workers=8)
    datasette = make_datasette(db_path).app()

    async def app(scope, receive, send):
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
        path = scope["path"]
        if path == PREFIX or path.startswith(PREFIX + "/"):
            if scope["method"] not in READ_METHODS:
                await _send_simple(send, 405, METHOD_NOT_ALLOWED, [
                    (b"content-type", b"text/html; charset=utf-8"), (b"allow", b"GET, HEAD"),
                ])
                return
            if path == PREFIX:
                await _send_simple(send, 301, b"", [(b"location", PREFIX.encode() + b"/")])
                return

            async def send_fixed(message):
                if message["type"] == "http.response.start":
                    message = dict(message, headers=_fix_location(list(message.get("headers", []))))
                await send(message)

            await datasette(strip_prefix(scope), receive, send_fixed)
            return
        await pages(scope, receive, send)

    return app


def from_environment():
    """The app for `portal serve` workers: the database path comes from PORTAL_DB."""
    import os

    return create_app(Path(os.environ.get("PORTAL_DB", paths.DB)))
