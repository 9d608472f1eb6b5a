"""The prebuilt site: the pages `portal build` renders, and how `portal serve` answers them from disk.

The prebuilt pages can never drift from the live ones: every prebuilt URL is
rendered live by the same portal and compared byte for byte.
"""

from __future__ import annotations

import gzip
import json

import pytest

from portal.asgi import create_app
from portal.paths import SITE
from portal.site import URLS, file_name

from .conftest import ORIGIN, InProcess

#: headers that differ by nature: the time, and the size of a body compressed at another level
UNCOMPARED = {"date", "content-length"}


@pytest.fixture(scope="module")
def site(built):
    folder = built.build_dir / SITE
    return folder, json.loads((folder / URLS).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def live(built):
    """The same portal with no prebuilt pages: everything rendered by Flask."""
    client = InProcess(create_app(built.db, ORIGIN, prebuilt=False), ORIGIN)
    yield client
    client.close()


def test_the_build_reports_its_pages(built, site):
    _, urls = site
    assert built.site["pages"] == len(urls["pages"]) > 0
    assert urls["base_url"] == ORIGIN


def test_the_crawl_finds_every_kind_of_page_and_the_query_variants_the_pages_link_to(site):
    _, urls = site
    pages = set(urls["pages"])
    for url in (
        "/",
        "/about",
        "/glossary",
        "/accessibility",
        "/goals/",
        "/goals/3",
        "/goals/3?v=1",
        "/kpis/",
        "/kpis/?v=1",
        "/kpis/3",
        "/kpis/compare",
        "/kpis/compare?status=added",
        "/changes/",
        "/changes/1",
        "/changes/?group=kpis",
        "/changes/?goal=3",
        "/downloads/",
        "/downloads/dictionary",
        "/downloads/api",
    ):
        assert url in pages, url
    # one page per KPI and per change of the build
    assert {u for u in pages if u.startswith("/kpis/") and u[6:].isdigit()} == {f"/kpis/{n}" for n in range(1, 34)}
    assert {u for u in pages if u.startswith("/changes/") and u[9:].isdigit()} == {
        f"/changes/{n}" for n in range(1, 19)
    }
    # what answers per request, Datasette, files and feeds are not pages of the build
    for url in pages:
        assert not url.startswith(("/search", "/data", "/static/", "/downloads/rows/")), url
        assert url not in ("/changes.atom", "/downloads/dcat.jsonld"), url


def test_every_prebuilt_page_is_the_live_page_byte_for_byte(site, live):
    folder, urls = site
    for url, entry in urls["pages"].items():
        page = (folder / entry["file"]).read_bytes()
        assert gzip.decompress((folder / f"{entry['file']}.gz").read_bytes()) == page, url
        answer = live.get(url, headers={"accept-encoding": "identity"})
        assert answer.status_code == 200, url
        assert answer.content == page, url
        assert answer.headers["etag"] == entry["etag"], url


def test_a_prebuilt_page_is_served_with_the_live_pages_headers(site, portal, live):
    folder, urls = site
    for url in ("/", "/goals/3?v=1", "/kpis/compare?status=added", "/downloads/dictionary"):
        file = folder / urls["pages"][url]["file"]
        for encoding in ("identity", "gzip, deflate, br"):
            served = portal.get(url, headers={"accept-encoding": encoding})
            # the file itself, or its gzip copy: not compressed again
            sent = file if encoding == "identity" else file.with_name(file.name + ".gz")
            assert served.headers["content-length"] == str(sent.stat().st_size), (url, encoding)
            rendered = live.get(url, headers={"accept-encoding": encoding})
            assert served.status_code == rendered.status_code == 200
            assert served.content == rendered.content, url  # httpx decompresses both
            mine = {k: v for k, v in served.headers.items() if k not in UNCOMPARED}
            theirs = {k: v for k, v in rendered.headers.items() if k not in UNCOMPARED}
            assert mine["vary"] == "Accept-Encoding"
            assert mine.get("content-encoding") == (None if encoding == "identity" else "gzip")
            assert mine == theirs, (url, encoding)


def test_a_prebuilt_page_answers_if_none_match_with_304_and_head_without_a_body(portal):
    first = portal.get("/goals/3?v=1")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    for inm in (etag, etag[2:], f'"x", {etag}', "*"):
        again = portal.get("/goals/3?v=1", headers={"if-none-match": inm})
        assert again.status_code == 304 and again.content == b"", inm
        assert again.headers["etag"] == etag
    assert portal.get("/goals/3?v=1", headers={"if-none-match": '"other"'}).status_code == 200
    head = portal.request("HEAD", "/goals/3?v=1")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == first.headers["content-length"]


def test_preconditions_and_ranges_get_the_live_pages_answers(portal, live):
    etag = portal.get("/kpis/").headers["etag"]
    for headers in ({"if-match": '"other"'}, {"range": "bytes=0-9"}, {"if-match": etag}):
        served, rendered = portal.get("/kpis/", headers=headers), live.get("/kpis/", headers=headers)
        assert served.status_code == rendered.status_code, headers
        assert served.content == rendered.content, headers


def test_what_is_not_prebuilt_is_rendered_live(site, portal):
    _, urls = site
    for url in ("/kpis/?v=1&goal=2", "/goals/3?v=1&v=1", "/search?q=%E4%BA%BA%E5%8F%A3", "/goals/9"):
        assert url not in urls["pages"]
    assert portal.get("/kpis/?v=1&goal=2").status_code == 200
    assert portal.get("/search?q=%E4%BA%BA%E5%8F%A3").status_code == 200
    assert portal.get("/goals/9").status_code == 404
    assert portal.get("/goals/3?v=9").status_code == 400


def test_a_server_for_another_origin_or_operator_renders_its_own_pages(built, monkeypatch):
    other = InProcess(create_app(built.db, "https://opendata.example.jp"), "https://opendata.example.jp")
    try:
        assert '<meta property="og:url" content="https://opendata.example.jp/goals/3">' in other.get("/goals/3").text
    finally:
        other.close()
    monkeypatch.setenv("PORTAL_OPERATOR_NAME", "テスト運営団体")
    client = InProcess(create_app(built.db, ORIGIN), ORIGIN)
    try:
        assert "テスト運営団体" in client.get("/goals/3").text
    finally:
        client.close()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/", "page/.html"),
        ("/kpis/", "page/kpis/.html"),
        ("/goals/3", "page/goals/3.html"),
        ("/goals/3?v=1", "query/v=1/goals/3.html"),
        ("/kpis/compare?rev=2&status=added", "query/rev=2&status=added/kpis/compare.html"),
        ("/goals/3?..", None),
        ("/goals/3?v=1/../../x", None),
        ("/goals/3?=1", None),
        ("/goals/../about", None),
        ("goals/3", None),
    ],
)
def test_file_names_are_what_nginx_computes_and_never_leave_their_folder(url, name):
    assert file_name(url) == name


def test_a_render_that_fails_fails_the_build_and_leaves_the_last_good_one_served(tree):
    from portal.pipeline.build import build

    root, source = tree
    db = root / "db" / "strategy.db"
    served = db.resolve()

    def broken(database, folder):
        folder.mkdir()
        (folder / "half.html").write_text("<p>", encoding="utf-8")
        raise RuntimeError("the renderer stopped")

    with pytest.raises(RuntimeError, match="the renderer stopped"):
        build(source, db, root / "datapackage", render=broken)
    assert db.resolve() == served
    assert not [p for p in (root / "db" / ".builds").iterdir() if p.name.startswith(".staging-")]
