"""The one origin as an attacker and a careful client try it: every request answered safely, in Japanese.

These run against the whole portal in this process (conftest.portal); with
PORTAL_TEST_URL set they run against a real server instead.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote

import pytest

from .conftest import ORIGIN

JAPANESE_ERROR = re.compile(
    r"(リクエストに誤りがあります|ページが見つかりません|このページは表示できません|この方法では利用できません|URL が長すぎます)"
)


def is_html(r) -> bool:
    return r.headers.get("content-type", "").startswith("text/html")


def japanese_error(r) -> bool:
    if is_html(r):
        return '<html lang="ja">' in r.text and bool(JAPANESE_ERROR.search(r.text))
    return r.json()["ok"] is False and r.json()["status"] == r.status_code


# -- 1. Datasette's diagnostic pages, however the path is written -------------------------------------------------

DIAGNOSTIC = ["versions.json", "settings.json", "plugins.json", "threads.json", "databases.json", "messages",
              "allow-debug", "permissions", "actor.json", "metadata.json", "config.json"]  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [f"/data/data/-/{page}" for page in DIAGNOSTIC]
    + [f"/data/-/{page}" for page in DIAGNOSTIC]
    + [
        "/data/%2D/versions.json",
        "/data/%2d/versions",
        "/data/data/%2D/versions.json",
        "/data/data/strategy/kpis",
        "/data/data/strategy.json?sql=select+1",
        "/data/-//versions.json",
    ],  # fmt: skip
)
def test_diagnostic_pages_are_hidden_however_the_path_is_written(portal, built, path):
    r = portal.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert japanese_error(r)
    text = r.text.lower()
    for leak in ("uvicorn", "sqlite_version", "num_sql_threads", "python", ".builds", str(built.db.parent).lower()):
        assert leak not in text, (path, leak)


# -- 2. The Host header --------------------------------------------------------------------------------------------

URL_PAGES = ["/downloads/dcat.jsonld", "/downloads/", "/downloads/api", "/data/strategy/kpis", "/data/strategy/kpis.json?_size=2",
             "/data/strategy/kpis.csv?_size=2&_dl=1", "/", "/data/"]  # fmt: skip


def test_a_forged_host_header_reaches_no_response_and_no_kept_copy(portal):
    for path in URL_PAGES:
        r = portal.get(path, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
        assert "evil.example" not in r.text and "evil.example" not in str(r.headers), path
    for path in URL_PAGES:
        r = portal.get(path)
        assert r.status_code == 200, path
        assert "evil.example" not in r.text and "evil.example" not in str(r.headers), path
    # a redirect stays on the portal's own origin whatever Host says
    moved = portal.get("/data/strategy/kpis/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert "evil.example" not in moved.headers.get("location", "")
    dcat = portal.get("/downloads/dcat.jsonld").json()
    urls = re.findall(r'"(https?://[^"]+)"', json.dumps(dcat))
    own = [u for u in urls if "/downloads/" in u]
    assert own and all(u.startswith(ORIGIN + "/downloads/") for u in own)
    assert (
        portal.get("/data/strategy/kpis.json?_size=2")
        .json()["next_url"]
        .startswith(ORIGIN + "/data/strategy/kpis.json?")
    )


# -- 3. and 4. What one request may cost ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/data/strategy/kpis?x=", "/goals/1?x=", "/downloads/kpis.csv?x=", "/static/portal.css?x="]
)
def test_an_overlong_url_is_414_in_japanese(portal, path):
    r = portal.get(path + "a" * 50_000)
    assert r.status_code == 414 and "URL が長すぎます" in r.text
    assert "content-security-policy" in r.headers


def test_kept_responses_stay_within_their_byte_budget(portal):
    from portal.datasette import caching

    pad = "a" * 1900
    for i in range(400):
        assert portal.get(f"/data/strategy/units.json?_size=1&n={i}&pad={pad}").status_code == 200
    if not hasattr(portal, "loop"):
        pytest.skip("the cache is inside the server process")
    assert caching._cache.currsize <= caching.CACHE_BYTES
    assert all(len(url) <= caching.MAX_KEY_BYTES for _, url in caching._cache)


@pytest.mark.parametrize("n", [500, 2000])
def test_repeated_facets_are_refused(portal, n):
    r = portal.get("/data/strategy/kpis?" + "&".join(["_facet=name"] * n))
    assert r.status_code in (400, 414) and japanese_error(r)
    nine = portal.get(
        "/data/strategy/kpis?"
        + "&".join(
            f"_facet={c}" for c in ("id", "name", "kind", "seq", "goal_no", "status", "note", "section", "plan_page")
        )
    )
    assert nine.status_code == 400 and "ファセット" in nine.text
    assert portal.get("/data/strategy/kpis?_facet=name&_facet=kind&_facet=status").status_code == 200


@pytest.mark.parametrize(
    "sql",
    [
        "select length(printf('%.*c', 2147483647, 'x'))",
        "select length(format('%.*c', 2147483647, 'x'))",
        "select length(PRINTF('%*d', 2147483647, 1))",
    ],  # fmt: skip
)
def test_functions_that_outrun_the_time_limit_are_refused(portal, sql):
    r = portal.get("/data/strategy.json?sql=" + quote(sql))
    assert 400 <= r.status_code < 500
    assert "not authorized" in r.json()["error"]  # refused by the authorizer, before the query ran
    assert portal.get("/data/strategy.json?sql=" + quote("select count(*) from kpis")).status_code == 200


# -- 6. Markup in every parameter and path segment of every error path ------------------------------------------

PAYLOADS = ["<a href=//x>click</a>", '"><svg onload=alert(1)>']


def error_paths(p: str) -> list[str]:
    q = quote(p, safe="")
    flask = [f"/goals/{q}", f"/kpis/{q}", f"/changes/{q}", f"/{q}", f"/downloads/{q}", f"/static/{q}",
             f"/goals/1?v={q}", f"/kpis/?v={q}", f"/changes/?goal={q}", f"/changes/?type={q}",
             f"/search?q={q}{'x' * 100}", f"/goals/{q}/x", f"/about/{q}",
             f"/kpis/compare?status={q}", f"/kpis/compare?goal={q}", f"/downloads/rows/{q}",
             f"/downloads/rows/kpis.excel.csv?{q}=1", f"/downloads/rows/kpis.excel.csv?kind={q}",
             f"/downloads/rows/kpis.excel.csv?id={q}", f"/changes.atom?{q}={q}"]  # fmt: skip
    data = [f"/data/{q}", f"/data/strategy/{q}", f"/data/strategy/kpis/{q}", f"/data/strategy/kpis.json/{q}",
            f"/data/-/static/{q}", f"/data/-/{q}", f"/data/strategy/{q}.json", f"/data/strategy.json?sql={q}",
            f"/data/strategy?sql={q}", f"/data/strategy?sql=select+{q}", f"/data/strategy/kpis?{q}=1",
            f"/data/strategy/kpis?name__{q}=1", f"/data/strategy/kpis?id__in={q}", f"/data/strategy/kpis?_search={q}"]  # fmt: skip
    for param in ("_sort", "_sort_desc", "_facet", "_size", "_timelimit", "_through", "_where", "_col", "_nocol",
                  "_next", "_shape", "_labels", "_json", "_facet_size", "_search_name", "_fts_table", "_sort_by_desc"):  # fmt: skip
        data += [f"/data/strategy/kpis?{param}={q}", f"/data/strategy/kpis.json?{param}={q}"]
    return flask + data


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_any_parameter_or_path_comes_back_escaped(portal, payload):
    checked = 0
    for path in error_paths(payload):
        r = portal.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
        if is_html(r):
            assert payload not in r.text, path
            assert "<svg" not in r.text and "<a href=//x" not in r.text, path
            checked += 1
        else:
            assert "html" not in r.headers.get("content-type", ""), path
    assert checked > 20


# -- 8. and 11. Answers that used to be 500 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/data/strategy/kpis?_sort=rowid",
        "/data/strategy/kpis?_sort=id&_sort_desc=name",
        "/data/strategy/kpis_fts?_sort=nope",
        "/data/strategy/kpis_fts_data?_sort=nope",
        '/data/strategy/kpis?_through={"table":"nope","column":"x","value":"1"}',
        "/data/strategy/kpis?_timelimit=%C2%B2",
        "/data/strategy/kpis?id__in=[1,",
        "/data/strategy/kpis?id__in=" + ",".join(str(i) for i in range(3000)),
        "/data/strategy/kpis?_where=1=1;attach 'x' as y",
        "/data/strategy/kpis.json?_sort=rowid",
        "/data/strategy/kpis.json?id__in=[1,",
        "/changes/?goal=%C2%B2",
        "/changes/?goal=" + "9" * 5000,
        "/goals/1?v=%C2%B2",
        "/kpis/" + "9" * 5000,
        "/changes/" + "1" * 5000,
    ],  # fmt: skip
)
def test_requests_stock_datasette_and_flask_answered_500_are_400(portal, path):
    r = portal.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code)
    assert japanese_error(r)


def test_the_tilde_encoded_path_is_not_an_error(portal):
    assert portal.get("/data/strategy/k~70is").status_code in (200, 301, 302, 404)


@pytest.mark.parametrize("path", ["/data/strategy.db", "/data/strategy.db?_hash=1", "/data/-/permissions"])
def test_refusals_are_japanese_pages_with_the_security_headers(portal, path):
    r = portal.get(path)
    assert r.status_code in (403, 404)
    assert japanese_error(r)
    assert "content-security-policy" in r.headers and r.headers["x-content-type-options"] == "nosniff"
    if r.status_code == 403:
        assert "/downloads/" in r.text


# -- 12. Smaller leaks and rough edges -----------------------------------------------------------------------------


def test_the_database_path_is_not_shown(portal, built):
    for sql in ("select * from pragma_database_list", 'select file from "PRAGMA_DATABASE_LIST"'):
        r = portal.get("/data/strategy.json?sql=" + quote(sql))
        assert r.status_code == 400
        assert str(built.db.parent) not in r.text and ".builds" not in r.text


def test_method_not_allowed_says_which_are(portal):
    for path in (
        "/",
        "/goals/1",
        "/data/strategy/kpis",
        "/downloads/kpis.csv",
        "/static/portal.css",
        "/data/-/static/app.css",
    ):
        r = portal.request("POST", path)
        assert r.status_code == 405, path
        assert "GET" in r.headers["allow"], path
        assert "この方法では利用できません" in r.text, path


@pytest.mark.parametrize("path", ["/goals/1", "/data/strategy/kpis", "/downloads/kpis.csv"])
def test_a_failed_if_match_is_412_without_the_body(portal, path):
    r = portal.get(path, headers={"If-Match": '"0123456789"'})
    assert r.status_code == 412 and r.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/goals/2?v=1",
        "/kpis/",
        "/data/strategy/kpis",
        "/data/strategy/kpis.json?_shape=array",
        "/downloads/",
        "/downloads/dcat.jsonld",
        "/downloads/kpis.csv",
    ],  # fmt: skip
)
def test_an_unchanged_answer_is_304_and_a_changed_one_is_sent_whole(portal, path):
    first = portal.get(path)
    etag = first.headers["etag"]
    assert "public" in first.headers["cache-control"], path
    weak = etag if etag.startswith("W/") else "W/" + etag
    for header in (etag, weak, f'"nope", {weak}'):
        assert portal.get(path, headers={"If-None-Match": header}).status_code == 304, (path, header)
    other = portal.get(path, headers={"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.content == first.content, path


def test_each_page_has_its_own_etag(portal):
    assert portal.get("/goals/1").headers["etag"] != portal.get("/goals/2").headers["etag"]


def test_byte_ranges_of_a_download(portal):
    whole = portal.get("/downloads/kpis.csv").content
    one = portal.get("/downloads/kpis.csv", headers={"Range": "bytes=10-19"})
    assert one.status_code == 206 and one.content == whole[10:20]
    two = portal.get("/downloads/kpis.csv", headers={"Range": "bytes=0-9,20-29"})
    assert two.status_code == 206 and two.headers["content-type"].startswith("multipart/byteranges")
    assert whole[:10] in two.content and whole[20:30] in two.content
    beyond = portal.get("/downloads/kpis.csv", headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416


@pytest.mark.parametrize(
    "path", ["/data/-/static/nope.css", "/static/nope.css", "/downloads/nope.csv", "/downloads/files.json"]
)
def test_missing_files_are_japanese_404s(portal, path):
    r = portal.get(path)
    assert r.status_code == 404 and "ページが見つかりません" in r.text


# -- 13. Compression -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/goals/3", "/kpis/", "/downloads/dictionary", "/data/strategy/kpis", "/data/strategy/kpis.json",
                                  "/static/portal.css", "/data/-/static/app.css"])  # fmt: skip
def test_text_goes_out_gzip_compressed_when_asked(portal, path):
    plain = portal.get(path, headers={"Accept-Encoding": "identity"})
    packed = portal.get(path, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
    # httpx decodes the body and counts the bytes that came over the wire
    assert packed.num_bytes_downloaded < len(plain.content) / 3
    assert packed.content == plain.content


def test_downloads_are_sent_as_they_are(portal):
    r = portal.get("/downloads/kpis.csv", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers


# -- 14. Facets, time limits and SQL errors, as a visitor sees them ---------------------------------------------------


@pytest.mark.parametrize(
    "query", ["_facet={}", '_facet={"a":1}', "_facet_array={}", '_facet_date={"date":"x"}', '_facet={"column":5}']
)
def test_a_facet_given_as_json_datasette_cannot_read_is_400(portal, query):
    for path in ("/data/strategy/kpis.json?", "/data/strategy/kpis?"):
        r = portal.get(path + query)
        assert r.status_code == 400, (path, query)
        assert japanese_error(r) and "列の名前" in r.text
    assert portal.get('/data/strategy/kpis.json?_facet={"column":"kind"}').status_code == 200


SLOW = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"


@pytest.mark.parametrize(
    "sql, words",
    [
        ("delete from kpis", "SELECT 文"),
        ("selec 1", "SELECT 文"),
        ("select * from kpi", "近い名前の表：kpis"),
        ("select nope from kpis", "列「nope」はありません"),
        (SLOW, "時間の上限（1 秒）"),
    ],
)
def test_sql_errors_keep_the_editor_and_the_query(portal, sql, words):
    r = portal.get("/data/strategy", params={"sql": sql})
    assert r.status_code == 400
    editor = re.search(r'<textarea id="sql-editor" name="sql"[^>]*>(.*?)</textarea>', r.text, re.S)
    assert editor and html.unescape(editor.group(1)) == sql
    message = re.search(r'<p class="message-error" role="alert">(.*?)</p>', r.text, re.S)
    assert message and words in html.unescape(message.group(1)) and message.start() < editor.start()
    assert "英語" not in message.group(1) and "&lt;" not in message.group(1)
    data = portal.get("/data/strategy.json", params={"sql": sql})
    assert data.status_code == 400 and data.json()["ok"] is False and data.json()["error"]


def test_the_time_limit_of_a_table_filter_is_said_in_japanese(portal):
    r = portal.get("/data/strategy/kpis", params={"_where": f"id in ({SLOW})"})
    assert r.status_code == 400 and japanese_error(r)
    assert "時間の上限" in r.text and "SQL query took too long" not in r.text and "&lt;p&gt;" not in r.text
    data = portal.get("/data/strategy/kpis.json", params={"_where": f"id in ({SLOW})"})
    assert data.status_code == 400 and "時間の上限" in data.json()["error"] and "<" not in data.json()["error"]


def test_a_failed_query_asked_for_as_csv_is_400_not_an_empty_file(portal):
    r = portal.get("/data/strategy.csv", params={"sql": "select * from nope"})
    assert r.status_code == 400 and japanese_error(r) and "nope" in r.text


def test_a_response_past_the_cap_is_refused_or_cut_with_a_note(portal, monkeypatch):
    if not hasattr(portal, "loop"):
        pytest.skip("the cap is set inside the server process")
    from portal.datasette import guard

    monkeypatch.setattr(guard, "MAX_RESPONSE_BYTES", 5_000)
    whole = portal.get("/data/strategy/kpis.json?_size=max")
    assert whole.status_code == 400 and "5,000 バイト" in whole.json()["error"]
    stream = portal.get("/data/strategy/kpis.csv?_stream=1")
    note = "\n応答が上限（5,000 バイト）を超えたので、ここで打ち切りました。\n".encode()
    assert stream.status_code == 200 and stream.content.endswith(note)
    assert len(stream.content) - len(note) <= 5_000
    monkeypatch.undo()
    assert len(portal.get("/data/strategy/kpis.csv?_stream=1").content) > 10_000


# -- 15. ETags of compressed files, methods ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/static/portal.css", "/data/-/static/app.css"])
def test_a_compressed_file_never_shares_a_strong_etag_with_its_bytes(portal, path):
    plain = portal.get(path, headers={"Accept-Encoding": "identity"})
    packed = portal.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["etag"] != plain.headers["etag"] and packed.headers["etag"].startswith("W/")
    # a client holding the compressed body asks for the rest of it: it gets the whole file, never bytes to splice
    spliced = portal.get(
        path, headers={"Accept-Encoding": "gzip", "Range": "bytes=100-199", "If-Range": packed.headers["etag"]}
    )
    assert spliced.status_code == 200 and spliced.content == plain.content
    # the uncompressed file's own strong ETag still resumes it, and both answer If-None-Match
    resumed = portal.get(
        path, headers={"Accept-Encoding": "identity", "Range": "bytes=100-199", "If-Range": plain.headers["etag"]}
    )
    assert resumed.status_code == 206 and resumed.content == plain.content[100:200]
    assert (
        portal.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]}).status_code
        == 304
    )


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/favicon.ico", "/data"])
def test_a_wrong_method_is_405_with_allow(portal, path, method):
    r = portal.request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert "この方法では利用できません" in r.text
    assert portal.get(path).status_code in (200, 301)
