"""What a journalist asks of the portal: which targets changed, files to open in a spreadsheet, a feed of changes."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import quote

import openpyxl
import pytest

from portal.datasette.metadata import QUERIES
from portal.pipeline.schema import labels, table, tables

from .conftest import ORIGIN
from .test_downloads import people_layout
from .test_web import portal_pages, text

ATOM = "{http://www.w3.org/2005/Atom}"


def visible(html: str) -> str:
    """The words a reader sees: no head, scripts, styles, or code shown as code (URLs, SQL, column names)."""
    body = html[html.index("<body") :]
    body = re.sub(r"<(script|style|code|pre|kbd|samp)\b.*?</\1>", " ", body, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_comparison_page_answers_which_targets_changed(client):
    body = text(client.get("/kpis/compare"))
    words = " ".join(visible(body).split())
    # indicators are counted as everywhere: the 「設定しない」 row of a new project apart
    assert "指標 17 件を比べました（ほかに指標を置かない事業が 1 件あり、指標としては数えていません）。" in words
    assert "目標値・基準値・年が変わった指標：0 件 。目標値・基準値・年が変わった指標はありません。" in words
    # none changed: the sentence says so, with no list of kinds that each count 0
    assert "内訳は" not in words
    assert "指標を置かないことに変更（1 件）" in words and "指標は変更なし（14 件）" in words
    # one row per indicator (and per project without one), each linking to its page; the dropped one says why
    assert len(re.findall(r'<th scope="row" data-label="指標">', body)) == 18
    row = body[body.index("対象者１人当たりの助成額") :]
    row = row[: row.index("</tr>")]
    assert "指標を置かないことに変更" in row and "医療費無料化に伴う文章修正" in row and "8,400円" in row
    assert "削除" not in row
    assert "事業名は「乳幼児等医療費助成事業」から「子ども医療費無料化事業」に変更" in row
    # the file links point at the comparison in every format
    for name in ("kpi_comparison.xlsx", "kpi_comparison.excel.csv", "kpi_comparison.csv", "kpi_comparison.json"):
        assert f'href="/downloads/{name}"' in body


@pytest.mark.parametrize(
    ("query", "rows", "heading"),
    [
        ("status=added", 2, "指標の追加（2 件）"),
        ("status=changed_to_not_set", 1, None),
        ("goal=1", 4, None),
        ("goal=2&status=added", 0, None),
    ],
)
def test_the_comparison_page_filters(client, query, rows, heading):
    body = text(client.get(f"/kpis/compare?{query}"))
    assert len(re.findall(r'<th scope="row" data-label="指標">', body)) == rows
    if rows == 0:
        assert "この条件に合う指標はありません。" in body
    if heading:
        assert f'aria-current="page">{heading}' in body


@pytest.mark.parametrize("query", ["status=raised", "status=%3Cb%3E", "goal=9", "goal=%EF%BC%91", "goal=1e3"])
def test_the_comparison_page_refuses_unknown_filters_in_japanese(client, query):
    r = client.get(f"/kpis/compare?{query}")
    assert r.status_code == 400
    assert "使えません" in text(r)
    assert "<b>" not in text(r)


def data_links(body: str) -> dict[str, str]:
    """The page's own 「SQLで調べる」 and 「CSVでダウンロード」 links."""
    box = body[body.index('<aside class="page-source"') :]
    box = box[: box.index("</aside>")]
    return {
        re.sub(r"<[^>]+>.*", "", label).strip(): unescape(href)
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', box, re.S)
    }


def read_people_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_csv_link_on_a_page_downloads_the_excel_file_of_its_rows(client, portal):
    pages = portal_pages(client)
    checked = 0
    for url, body in pages.items():
        if '<aside class="page-source"' not in body:
            continue
        href = data_links(body).get("CSVでダウンロード")
        if href is None:
            continue
        assert href.startswith("/downloads/"), (url, href)
        assert not href.startswith("/data/"), url
        response = portal.get(href)
        read_people_csv(response)
        # the Japanese headings of the table it names, never its column names
        name = re.match(r"/downloads/(?:rows/)?([a-z_]+)\.excel\.csv", href).group(1)
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        people_layout(table(name), header)
        assert not set(header) & set(table(name).columns), href
        checked += 1
    assert checked >= 15


def test_a_goal_page_downloads_a_workbook_of_its_projects_and_kpis(client, portal):
    body = text(client.get("/goals/3?v=2"))
    href = re.search(r'<a href="(/downloads/rows/goal\.xlsx\?[^"]+)" download>Excel ブックでダウンロード', body)
    r = portal.get(unescape(href.group(1)))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "goal_no-3_version_id-2.xlsx" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == [
        "具体的な事業",
        "数値目標と重要業績評価指標（KPI）",
        "主な関連事業",
        "この資料について",
        "項目の説明",
    ]
    kpis = wb["数値目標と重要業績評価指標（KPI）"]
    heads = [c.value for c in kpis[1]]
    rows = [dict(zip(heads, r, strict=True)) for r in kpis.iter_rows(min_row=2, values_only=True)]
    # the page's own rows: goal 3 of the version shown, its indicators and its projects without one
    assert {r["基本目標番号"] for r in rows} == {3} and {r["版"] for r in rows} == {"変更後（改訂後）"}
    assert len(rows) == 11 and sum(r["指標の有無"] == "指標を置かない事業" for r in rows) == 2
    projects = [c.value for c in wb["具体的な事業"]["B"]][1:]
    assert projects and all(p.startswith("基本目標３\u3000") for p in projects)
    for query in ("goal_no=3", "goal_no=3&goal_no=4&version_id=2", "goal_no=3&version_id=2&kind=kpi"):
        assert portal.get(f"/downloads/rows/goal.xlsx?{query}").status_code == 400, query
    assert portal.get("/downloads/rows/nope.xlsx?goal_no=3&version_id=2").status_code == 404


def test_the_csv_of_a_page_has_the_rows_of_the_page(client, portal):
    by_version = read_people_csv(portal.get(data_links(text(client.get("/kpis/?v=1")))["CSVでダウンロード"]))
    assert len(by_version) == 15 and {r["版"] for r in by_version} == {"変更前（当初の第２期総合戦略）"}
    one = read_people_csv(portal.get(data_links(text(client.get("/changes/14")))["CSVでダウンロード"]))
    assert [(r["変更ID"], r["変更の種類"]) for r in one] == [("14", "指標を置かないことに変更")]
    group = read_people_csv(portal.get(data_links(text(client.get("/changes/?group=kpis")))["CSVでダウンロード"]))
    page = text(client.get("/changes/?group=kpis"))
    assert len(group) == int(re.search(r"<span data-total>(\d+)</span>", page).group(1))
    compared = read_people_csv(
        portal.get(data_links(text(client.get("/kpis/compare?status=added")))["CSVでダウンロード"])
    )
    assert [r["指標名"] for r in compared] == ["利用者登録率（保育所）", "利用者登録率（小中学校）"]
    assert {r["比較の結果"] for r in compared} == {"指標の追加"}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("name=x", "「name」では"),
        ("version_id=abc", "整数ではありません"),
        ("version_id=%EF%BC%92", "整数ではありません"),
        ("kind=%3Cscript%3E", "使えません"),
        ("%3Cb%3Ex%3C%2Fb%3E=1", "では"),
        ("version_id=" + "9" * 50, "整数ではありません"),
        ("&".join(f"id={i}" for i in range(60)), "50 個まで"),
        (
            "&".join(
                f"{c}=1"
                for c in (
                    "id",
                    "version_id",
                    "goal_no",
                    "project_id",
                    "seq",
                    "plan_page",
                    "source_page",
                    "source_line_start",
                    "source_line_end",
                )
            ),
            "8 つまで",
        ),
        ("version_id=%FF", "整数ではありません"),
    ],
)
def test_a_bad_selection_is_a_400_in_japanese(portal, query, words):
    r = portal.get(f"/downloads/rows/kpis.excel.csv?{query}")
    assert r.status_code == 400, query
    assert words in r.text
    assert "<script>" not in r.text and "<b>x</b>" not in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/downloads/rows/nope.excel.csv",
        "/downloads/rows/kpis.csv",
        "/downloads/rows/..%2Fkpis.excel.csv",
        "/downloads/rows/",
    ],
)
def test_a_selection_of_no_table_is_404(portal, path):
    assert portal.get(path).status_code == 404


def test_the_saved_questions_are_linked_with_a_sentence(client, portal):
    for page in ("/kpis/", "/changes/", "/downloads/"):
        body = text(client.get(page))
        section = body[body.index('class="saved-queries"') :]
        section = section[: section.index("</section>")]
        keys = re.findall(r'<a href="/data/strategy/([a-z_]+)">', section)
        assert len(keys) >= 4, page
        for key in keys:
            assert QUERIES[key]["description"] in unescape(section)
            assert portal.get(f"/data/strategy/{key}").status_code == 200
    assert "kpi_value_changes" in text(client.get("/kpis/"))


def test_the_feed_of_changes_is_valid_atom(client, portal, built):
    r = portal.get("/changes.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{tag}") is not None, tag
    entries = feed.findall(f"{ATOM}entry")
    conn = sqlite3.connect(built.db)
    changes = dict(conn.execute("select id, reason from changes").fetchall())
    assert len(entries) == len(changes) == 18
    ids = set()
    for e in entries:
        link = e.find(f"{ATOM}link").get("href")
        number = int(link.rsplit("/", 1)[1])
        assert e.find(f"{ATOM}id").text == link and link not in ids
        ids.add(link)
        assert changes[number] in e.find(f"{ATOM}content").text
        assert e.find(f"{ATOM}summary").text == f"変更理由：{changes[number]}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", e.find(f"{ATOM}updated").text)
        assert (
            e.find(f"{ATOM}category").get("label")
            == labels("changes", "change_type")[e.find(f"{ATOM}category").get("term")]
        )
        # the permalink is on this origin and answers
        assert link.startswith(ORIGIN + "/changes/")
        assert portal.get(link.removeprefix(ORIGIN)).status_code == 200
    self_link = next(link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self")
    assert self_link.get("href").endswith("/changes.atom")
    # the changes page names the feed in its head and in its text
    page = text(client.get("/changes/"))
    assert '<link rel="alternate" type="application/atom+xml" href="/changes.atom"' in page
    assert '<a href="/changes.atom">' in page


def test_no_page_shows_a_raw_code(client):
    """Codes stay in the URLs, the files for programs and the code examples; a reader sees their labels."""
    codes = {
        str(c["value"])
        for t in tables()
        for f in t.fields
        for c in f.get("categories", [])
        if isinstance(c["value"], str) and c["value"].isascii() and c["value"] != c["label"]
    }
    assert {"numerical_goal", "not_set", "project_added", "target_raised"} <= codes
    # a file name such as goals.xlsx is not a code
    pattern = re.compile(
        r"(?<![A-Za-z0-9_./])("
        + "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
        + r")(?![A-Za-z0-9_./])"
    )
    pages = portal_pages(client)
    pages.update(
        {u: text(client.get(u)) for u in ("/kpis/compare", "/downloads/", "/downloads/dictionary", "/downloads/api")}
    )
    found = {}
    for url, body in pages.items():
        if not body:
            continue
        shown = visible(body)
        hits = {f"{m.group(1)}: …{shown[max(0, m.start() - 30) : m.end() + 10]}…" for m in pattern.finditer(shown)}
        if url.startswith("/downloads/dictionary"):
            continue  # the dictionary lists each code beside its label, by design
        if hits:
            found[url] = hits
    assert found == {}
    assert len(pages) > 30


def test_the_python_example_for_the_comparison_runs(live_server):
    import httpx

    page = httpx.get(live_server + "/downloads/api", timeout=30).text
    code = unescape(
        re.search(r'<pre tabindex="0" id="compare-python-code"><code>(.*?)</code></pre>', page, re.S).group(1)
    )
    assert code.count(live_server) == 1
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip().endswith("18 件中 4 件が変わりました")
    assert "changed_to_not_set 対象者１人当たりの助成額 8,400円 → None" in out


def test_selected_rows_name_their_file(portal):
    r = portal.get("/downloads/rows/kpis.excel.csv?version_id=2&goal_no=3")
    assert r.headers["content-disposition"] == "attachment; filename=kpis_version_id-2_goal_no-3.excel.csv"
    r = portal.get("/downloads/rows/kpis.excel.csv?baseline_year_type=" + quote("年度"))
    assert "filename*=UTF-8''kpis_baseline_year_type-%E5%B9%B4%E5%BA%A6.excel.csv" in r.headers["content-disposition"]


def test_an_entry_is_dated_by_its_version_when_the_date_is_known():
    from portal.web.changes import entry_date

    built = "2026-11-29T10:00:00+00:00"
    assert entry_date({"date": "2024-03-27"}, built) == "2024-03-27T00:00:00+09:00"
    # the document does not say when it was revised: the date the portal published it
    assert entry_date({"date": None}, built) == built
    assert entry_date(None, built) == built


def test_markup_in_the_document_stays_text_in_the_feed(tmp_path):
    """A hostile line of a source document (markup, ampersands, quotes) reaches the feed as text, never as XML."""
    from portal.pipeline.build import build
    from portal.web import create_app

    from .layout import GOAL_HEAD, PROJECT_A, RELATED, document, page, write

    hostile = '公園の<script>alert("x")</script>&amp;整備'
    after = [line.replace("公園の整備", hostile) for line in GOAL_HEAD]
    source = write(
        tmp_path, document(page(GOAL_HEAD + PROJECT_A + RELATED, after + PROJECT_A + RELATED, [["<b>理由</b> "]]))
    )
    result = build(source, tmp_path / "db" / "strategy.db", tmp_path / "package")
    app = create_app({"DB": result.db, "TESTING": True})
    r = app.test_client().get("/changes.atom")
    feed = ET.fromstring(r.data)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert hostile in entry.find(f"{ATOM}content").text
    assert entry.find(f"{ATOM}summary").text == "変更理由：<b>理由</b>"
    assert b"<script>" not in r.data and b"&lt;script&gt;" in r.data


def test_a_not_set_row_tells_what_the_revision_did(client):
    body = "".join(visible(text(client.get("/kpis/29"))).split())
    assert (
        "指標を置かないことに変更：この改訂で、事業の指標「対象者１人当たりの助成額」をやめ、この事業には指標を置かない"
        "ことになりました（資料では「KPIの設定が困難なため設定しない」）。"
    ) in body
    assert 'href="/changes/14"' in text(client.get("/kpis/29"))
    body = "".join(visible(text(client.get("/kpis/31"))).split())
    assert "追加された事業で指標を置かない：この改訂で加わった事業で、指標は置きません" in body
    assert "理由：新規事業の追加" in body


def test_a_not_set_row_has_no_indicator_flags(built):
    conn = sqlite3.connect(built.db)
    row = conn.execute(
        "select target_changed, baseline_changed, year_changed, name_changed, project_renamed"
        " from kpi_comparison where status = 'changed_to_not_set'"
    ).fetchone()
    assert row == (None, None, None, None, 1)
