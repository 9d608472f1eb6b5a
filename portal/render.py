"""Rendering the prebuilt site at build time (portal/site.py says what it is and how it is served).

portal/cli.py passes `render_site` to the pipeline's build, which calls it
with the staged database before the build is published: the pipeline itself
knows nothing of the pages.  It sits above portal.web (it drives the Flask
app), where portal.site sits below it (the server reads the files).
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import time
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from werkzeug.exceptions import HTTPException

from . import operator
from .errors import error_html
from .middleware import check_base_url
from .site import DEFAULT_BASE_URL, KEPT_HEADERS, UNAVAILABLE, URLS, file_name
from .web import create_app

#: what it says
UNAVAILABLE_DETAIL = (
    "検索と SQL（/data/ のデータの表と問い合わせ）は、ただいま使えません（サーバーの停止中か再起動中です）。"
    "ほかのページとダウンロードのファイルは、このまま読めます。"
)
#: the paths a visitor's links lead to that are not pages of the build (Datasette, files, search)
NOT_PAGES = ("/data/", "/static/")
#: Flask endpoints that answer per request (search) or make files (the rows of a page)
LIVE_ENDPOINTS = {"search.search", "downloads.selected_rows"}
#: a link of the site's own HTML (its templates quote every attribute; html.parser took a third of the render)
LINK = re.compile(r"""<a\s[^>]*?\bhref=(?:"([^"]*)"|'([^']*)')""")


def render_site(db: Path, out: Path, base_url: str | None = None) -> dict:
    """Render every page reachable from / by the site's links into `out`; returns what was rendered.

    `db` is the build's database, with its downloads beside it (the staging
    folder of a build).  The pages are rendered for the public origin
    `base_url` (PORTAL_BASE_URL, else portal serve's default) and the
    operator the environment names, as `portal serve` would.
    """
    started = time.perf_counter()
    base_url = check_base_url(base_url or os.environ.get("PORTAL_BASE_URL") or DEFAULT_BASE_URL)
    app = create_app({"DB": Path(db)})
    client = app.test_client()
    routes = app.url_map.bind("")
    origin = urlsplit(base_url + "/")
    pages: dict[str, dict] = {}
    seen = {"/"}
    queue = deque(["/"])
    size = 0
    while queue:
        url = queue.popleft()
        response = client.get(url, base_url=base_url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        body = response.get_data()
        name = file_name(url)
        if name is not None:
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            Path(f"{target}.gz").write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
            pages[url] = {"file": name, **{h: response.headers[h] for h in KEPT_HEADERS}}
            size += len(body)
        for double, single in LINK.findall(body.decode("utf-8")):
            href = html.unescape(double or single)
            link = urlsplit(urljoin(base_url + url, href))
            if (link.scheme, link.netloc) != (origin.scheme, origin.netloc):
                continue
            path = unquote(link.path)
            found = path + (f"?{link.query}" if link.query else "")
            if found in seen or path.startswith(NOT_PAGES) or path in ("/data",):
                continue
            seen.add(found)
            try:
                endpoint, _ = routes.match(path, method="GET")
            except HTTPException:  # not a page of the Flask app (a file, Datasette) or a redirect to one
                continue
            if endpoint not in LIVE_ENDPOINTS:
                queue.append(found)
    (out / UNAVAILABLE).write_bytes(error_html(503, UNAVAILABLE_DETAIL))
    # the files carry the database's time: nginx's ETag (time and size) is then the same on every copy of a build
    stamp = os.stat(db).st_mtime_ns
    for path in out.rglob("*.html*"):
        os.utime(path, ns=(stamp, stamp))
    who = operator.from_env()
    urls = {"base_url": base_url, "operator": [who.name, who.contact], "pages": pages}
    (out / URLS).write_text(json.dumps(urls, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return {"pages": len(pages), "bytes": size, "seconds": time.perf_counter() - started, "base_url": base_url}
