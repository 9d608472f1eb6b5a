"""The real `portal serve` on loopback: pages, Datasette under /data/, and a crawl of every internal link."""

from __future__ import annotations

import csv
import io
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx


def get(base, path, **kw):
    return httpx.get(base + path, timeout=30, **kw)


def test_pages_and_datasette_on_one_origin(live_server):
    for path in ["/", "/about", "/goals/3", "/kpis/", "/changes/", "/search?q=保育", "/glossary", "/downloads/"]:
        r = get(live_server, path)
        assert r.status_code == 200, path
        assert '<html lang="ja">' in r.text
    r = get(live_server, "/data/strategy/kpis")
    assert r.status_code == 200
    assert '<html lang="ja">' in r.text
    assert "数値目標と重要業績評価指標（KPI）" in r.text
    assert "このページの使い方" in r.text and 'href="/kpis/"' in r.text  # the portal's help and navigation


def test_datasette_json_and_csv(live_server):
    rows = get(live_server, "/data/strategy/kpis.json?_shape=array&version_id=2&kind=numerical_goal").json()
    assert {r["name"] for r in rows} == {"就業者数", "観光入込客数", "出生数"}
    assert {r["target_value"] for r in rows} == {6300, 1638, 108}
    text = get(live_server, "/data/strategy/kpis.csv?version_id=1&_size=max").text
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 15 and table[0]["municipality_code"] == "012262"


def test_datasette_search_box_uses_the_bigram_index(live_server):
    rows = get(live_server, "/data/strategy/projects.json", params={"_search": "給食", "_shape": "array"}).json()
    assert [r["name"] for r in rows] == ["学校給食費無償化事業"]
    rows = get(live_server, "/data/strategy/kpis.json", params={"_search": "出生", "_shape": "array"}).json()
    assert {r["name"] for r in rows} == {"出生数"}


def test_generated_links_have_a_single_prefix(live_server):
    page = get(live_server, "/data/strategy/related_projects?_size=10").text
    assert "/data/data/" not in page
    assert 'href="/data/strategy/related_projects.json?_size=10' in page
    data = get(live_server, "/data/strategy/related_projects.json?_size=10").json()
    assert data["next_url"].startswith(live_server + "/data/strategy/related_projects.json?")
    assert "/data/data/" not in data["next_url"]
    nxt = httpx.get(data["next_url"], timeout=30)
    assert nxt.status_code == 200 and len(nxt.json()["rows"]) == 10


def test_redirects_keep_the_prefix(live_server):
    r = get(live_server, "/data")
    assert r.status_code in (301, 302) and r.headers["location"] == "/data/"
    r = get(live_server, "/data/strategy/kpis/")
    assert r.status_code in (301, 302)
    assert r.headers["location"].startswith("/data/strategy/kpis")


def test_only_get_and_head_reach_datasette(live_server):
    r = httpx.post(live_server + "/data/strategy/kpis", data={"x": "1"}, timeout=30)
    assert r.status_code == 405
    assert "この方法では利用できません" in r.text
    assert httpx.head(live_server + "/data/strategy/kpis", timeout=30).status_code == 200


def test_unknown_ids_are_404(live_server):
    for path in ["/kpis/abc", "/kpis/-1", "/kpis/99999999999999999999999"]:
        r = get(live_server, path)
        assert r.status_code == 404 and "ページが見つかりません" in r.text


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (
                (tag == "a" and name == "href") or (tag in ("link", "script", "img") and name in ("href", "src"))
            ):
                self.links.append(value)


def internal(base: str, page_url: str, href: str) -> str | None:
    if href.startswith(("mailto:", "javascript:", "#")):
        return None
    url = urljoin(page_url, href)
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != base:
        return None
    return parts._replace(fragment="").geturl()


def expand(url: str) -> bool:
    """Whether a page's own links are followed further.

    Every link found is fetched and checked.  The links on a Datasette page
    are read when the page has no query string, and on a portal page when it
    has at most one parameter: the crawl then checks each table's sort,
    facet, export and next links without walking every combination of them.
    """
    parts = urlsplit(url)
    params = [p.split("=")[0] for p in parts.query.split("&") if p]
    if parts.path.startswith("/data/"):
        return set(params) <= {"_size", "_next"}
    return len(params) <= 1


def test_crawl_every_internal_link(live_server):
    """Follow every internal link from /: no broken link, no /data/data/."""
    # the second start shows pages of 20 rows, so that next-page links are followed too
    start = [live_server + "/", live_server + "/data/strategy/related_projects?_size=20"]
    seen = set(start)
    frontier = list(start)
    broken: list[tuple[str, int, str]] = []
    doubled: list[str] = []
    referrer: dict[str, str] = {}
    client = httpx.Client(timeout=30)

    def fetch(url):
        # ad-hoc SQL links may be turned away while another of ours runs: wait as the server asks
        for _ in range(10):
            r = client.get(url)
            if r.status_code != 429:
                break
            time.sleep(float(r.headers.get("retry-after", "1")))
        return url, r

    with ThreadPoolExecutor(max_workers=4) as pool:
        while frontier:
            batch, frontier = frontier, []
            for url, r in pool.map(fetch, batch):
                if r.status_code != 200:
                    broken.append((url, r.status_code, referrer.get(url, "")))
                    continue
                body = (
                    r.text
                    if "text" in r.headers.get("content-type", "") or "json" in r.headers.get("content-type", "")
                    else ""
                )
                if "/data/data/" in body or "/data/data/" in url:
                    doubled.append(url)
                if "text/html" not in r.headers.get("content-type", "") or not expand(url):
                    continue
                parser = Links()
                parser.feed(body)
                for href in parser.links:
                    link = internal(live_server, url, href)
                    if link and link not in seen:
                        seen.add(link)
                        referrer[link] = url
                        frontier.append(link)
    client.close()
    assert not broken, broken[:10]
    assert not doubled, doubled[:10]
    assert len(seen) > 300  # the pages, every table, row, sort, facet, export and next link
    paths = {urlsplit(u).path for u in seen}
    for expected in (
        "/downloads/kpis.excel.csv",
        "/data/strategy/kpis.csv",
        "/data/strategy/kpis.json",
        "/changes/17",
        "/data/strategy/kpi_flat",
    ):
        assert expected in paths, expected
    assert (
        any("_next=" in u for u in seen)
        and any("_sort=" in u for u in seen)
        and any("_facet" in u or "goal_no=" in u for u in seen)
    )
