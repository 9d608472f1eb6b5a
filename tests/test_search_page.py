"""The search page as a reader meets it: one hit per entry, the terms marked, changes first, honest counts.

The expectations are worked out from the built database with plain Python
(substring search of the normalised text), not from the page's own code, so
a page that lists an entry twice, misses a mark or miscounts fails here.
"""

from __future__ import annotations

import re
import sqlite3
from html import unescape

import pytest
from markupsafe import escape

from portal.search import SEARCHABLE, normalize

from .browser import describe, open_page, run_axe

#: the sections in the order the page promises: what changed and why first, then the plan
ORDER = ["changes", "reasons", "projects", "kpis", "related_projects", "texts"]
#: per table of the plan: the text a hit shows, which is what makes two rows "the same entry"
SHOWN_TEXT = {
    "texts": ("section", "text"),
    "projects": ("section", "name", "description"),
    "related_projects": ("section", "name"),
}


def get(client, q: str) -> str:
    r = client.get("/search", query_string={"q": q})
    assert r.status_code == 200
    return r.get_data(as_text=True)


def sections(body: str) -> list[dict]:
    """Each result section: its table, heading, the count in the heading, its hits (HTML) and any 「先頭の」 note."""
    out = []
    for table, html in re.findall(
        r'<section class="result-group" aria-labelledby="r-(\w+)">(.*?)</section>', body, re.S
    ):
        heading = re.search(r"<h2[^>]*>(.*?)</h2>", html, re.S).group(1)
        count = int(re.search(r"（(\d+) 件）$", heading).group(1))
        hits = re.findall(r'<li class="hit">(.*?)</li>\s*(?=<li class="hit">|</ol>)', html, re.S)
        more = re.search(r'<p class="hits-more">(.*?)</p>', html, re.S)
        out.append({"table": table, "heading": heading, "count": count, "hits": hits, "more": more and more.group(1)})
    return out


def plain(html: str) -> str:
    """What a reader sees of some HTML: tags removed, entities decoded."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def matching_rows(built_db, table: str, q: str) -> list[sqlite3.Row]:
    """Rows whose searched text contains every term, by substring search of the normalised text."""
    words = [normalize(w) for w in q.split()]
    return [
        r
        for r in built_db.execute(f"SELECT * FROM {table} ORDER BY id")
        if all(any(w in normalize(r[c] or "") for c in SEARCHABLE[table]) for w in words)
    ]


def shown(row, table: str) -> str:
    return "|".join(normalize(row[c] or "") for c in SHOWN_TEXT[table])


def version_labels(built_db) -> dict[int, str]:
    return {r["id"]: r["label"] for r in built_db.execute("SELECT id, label FROM versions")}


def test_an_entry_in_both_versions_is_one_hit(client, built_db):
    body = get(client, "保育")
    found = sections(body)
    rows_found = sum(len(matching_rows(built_db, t, "保育")) for t in SEARCHABLE)
    total = int(re.search(r"「保育」を含むもの：(\d+) 件", body).group(1))
    assert total == sum(s["count"] for s in found)
    assert total < rows_found, "entries that are the same in both versions are counted once"
    labels = version_labels(built_db)
    by_table = {s["table"]: s for s in found}
    for table in SHOWN_TEXT:
        rows = matching_rows(built_db, table, "保育")
        texts: dict[str, set[int]] = {}
        for r in rows:
            texts.setdefault(shown(r, table), set()).add(r["version_id"])
        hits = by_table[table]["hits"]
        # one hit per distinct text, however many versions have it
        assert len(hits) == len(texts), table
        both = [h for h in hits if "変更前・変更後とも" in h]
        assert len(both) == sum(1 for v in texts.values() if v == {1, 2}) > 0, table
        for h in both:
            assert re.search(r'href="[^"]*\?v=2', h) or 'href="/kpis/' in h, "an entry of both versions links to 変更後"
        # an entry of one version says which, with the version's own label
        for h in hits:
            if h not in both:
                assert sum(label in h for label in labels.values()) == 1, h
    projects = [plain(h) for h in by_table["projects"]["hits"]]
    assert len(projects) == len(set(projects)), "no project is listed twice"


def test_an_entry_that_differs_only_in_white_space_is_one_hit(client, built_db):
    """The PDF extraction spaces some lines differently in the two columns; that is not a second entry."""
    pairs = [
        (a, b)
        for a in built_db.execute("SELECT * FROM texts WHERE version_id = 1")
        for b in built_db.execute("SELECT * FROM texts WHERE version_id = 2 AND previous_id = ?", [a["id"]])
        if a["text"] != b["text"] and normalize(a["text"]) == normalize(b["text"])
    ]
    assert pairs, "the document has a sentence spaced differently in the two columns"
    before, after = pairs[0]
    q = normalize(before["text"])[:12]
    (texts,) = [s for s in sections(get(client, q)) if s["table"] == "texts"]
    same = [h for h in texts["hits"] if q in normalize(plain(h))]
    assert len(same) == 1 and "変更前・変更後とも" in same[0]


@pytest.mark.parametrize("q", ["保育", "給食", "保育 ICT", "子育て 支援"])
def test_every_occurrence_of_every_term_is_marked(client, q):
    words = [normalize(w) for w in q.split()]
    found = sections(get(client, q))
    assert found
    marks = 0
    for s in found:
        for hit in s["hits"]:
            for inner in re.findall(r"<mark>(.*?)</mark>", hit, re.S):
                marks += 1
                assert normalize(plain(inner)) in words, inner
            # outside the marks, no text of the hit still contains a term
            for text in re.split(r"<[^>]+>", re.sub(r"<mark>.*?</mark>", "<x>", hit, flags=re.S)):
                assert not any(w in normalize(unescape(text)) for w in words), (q, text)
            # and each hit shows every term (an AND search)
            shown_words = {normalize(plain(m)) for m in re.findall(r"<mark>(.*?)</mark>", hit, re.S)}
            assert shown_words == set(words), (q, plain(hit))
    assert marks > 0


def test_a_term_is_found_and_marked_across_a_space_the_extraction_added(client, built_db):
    """「ICTシステム」 is 「… ICTシステム」 in one place of the document: the word before it, the space, then it."""
    spaced = [
        m
        for (name,) in built_db.execute("SELECT name FROM projects")
        for m in re.finditer(r"(\w{2}) ([A-Za-z]\w{2})", name)
    ]
    assert spaced, "the document has a project name with a space inside"
    m = spaced[0]
    q = m.group(1) + m.group(2)  # typed without the space
    body = get(client, q)
    marked = re.findall(r"<mark>(.*?)</mark>", body, re.S)
    assert m.group(0) in [plain(x) for x in marked], "the mark covers the words and the space between them"
    assert all(normalize(plain(x)) == normalize(q) for x in marked)


def test_sections_come_changes_first_and_none_is_empty(client):
    found = sections(get(client, "保育"))
    tables = [s["table"] for s in found]
    assert tables[0] == "changes"
    assert tables == [t for t in ORDER if t in tables]
    # names before long paragraphs: the plan's running text comes last
    assert tables[-1] == "texts"
    for s in found:
        assert s["count"] > 0 and s["hits"], s["table"]
    body = get(client, "保育")
    assert "見つかりませんでした" not in body


@pytest.mark.parametrize("q", ["保育", "給食", "の", "保育 ICT", "事業"])
def test_every_count_is_the_length_of_its_list(client, built_db, q):
    body = get(client, q)
    found = sections(body)
    assert found
    for s in found:
        assert s["more"] is None and s["count"] == len(s["hits"]), s["table"]
    nav = dict(re.findall(r'<a href="#r-(\w+)">[^<]*（(\d+) 件）</a>', body))
    assert {t: int(n) for t, n in nav.items()} == {s["table"]: s["count"] for s in found}
    # tables without versions (changes, reasons) list each matching row
    for s in found:
        if s["table"] in ("changes", "reasons"):
            assert s["count"] == len(matching_rows(built_db, s["table"], q))


def test_a_long_section_says_how_much_it_shows_and_links_to_the_rest(client, built_db, portal, monkeypatch):
    import portal.web.search as page

    monkeypatch.setattr(page, "LIMIT", 2)
    found = sections(get(client, "保育"))
    long = [s for s in found if s["count"] > 2]
    assert long
    for s in long:
        assert len(s["hits"]) == 2
        assert f"先頭の 2 件を表示（全 {s['count']} 件）" in s["more"]
        link = unescape(re.search(r'href="([^"]+)"', s["more"]).group(1))
        assert link.startswith(f"/data/strategy/{s['table']}?_search=")
        rows = int(re.search(r"(\d+) 行", s["more"]).group(1))
        assert rows == len(matching_rows(built_db, s["table"], "保育"))
        # the linked list (Datasette's search of the same index) has exactly that many rows
        r = portal.get(link.replace(f"/{s['table']}?", f"/{s['table']}.json?") + "&_shape=array&_size=max")
        assert r.status_code == 200 and len(r.json()) == rows


def test_a_two_character_word(client, built_db):
    found = sections(get(client, "給食"))
    names = {r["name"] for r in matching_rows(built_db, "projects", "給食")}
    assert names
    (projects,) = [s for s in found if s["table"] == "projects"]
    shown_names = {
        plain(re.search(r'<p class="hit-head"><a [^>]*>(.*?)</a>', h, re.S).group(1)) for h in projects["hits"]
    }
    assert names <= shown_names


def test_several_terms_find_what_has_them_all(client, built_db):
    body = get(client, "保育 ICT")
    found = sections(body)
    assert found
    for s in found:
        if s["table"] in SHOWN_TEXT:
            texts = {shown(r, s["table"]) for r in matching_rows(built_db, s["table"], "保育 ICT")}
            assert s["count"] == len(texts)
        for h in s["hits"]:
            text = normalize(plain(h))
            assert "保育" in text and "ict" in text


def test_nothing_found_is_one_sentence_with_ways_on(client):
    body = get(client, "保育 給食")
    assert body.count("見つかりませんでした") == 1
    assert "result-group" not in body
    assert 'href="/changes/"' in body and 'href="/kpis/"' in body
    # each term alone does find something, and the suggestion says how much: the count its own page shows
    hints = re.findall(r'<a href="/search\?q=([^"]+)">「([^」]+)」（(\d+) 件）</a>', body)
    assert {h[1] for h in hints} == {"保育", "給食"}
    for _, word, n in hints:
        assert re.search(rf"「{word}」を含むもの：{n} 件", get(client, word))


def test_a_word_that_is_too_long_suggests_a_shorter_one(client):
    body = get(client, "給食ゑ")
    assert body.count("見つかりませんでした") == 1
    hint = re.search(r'<a href="/search\?q=[^"]+">「([^」]+)」（(\d+) 件）</a>', body)
    assert hint and hint.group(1) == "給食"
    assert f"「給食」を含むもの：{hint.group(2)} 件" in get(client, "給食")


@pytest.mark.parametrize(
    "q",
    ["<script>alert(1)</script>", '"><mark>x</mark>', "保育<b>", "&lt;保育&gt;"],
    ids=["script", "mark", "b", "entity"],
)
def test_markup_in_the_query_comes_back_escaped(client, q):
    body = get(client, q)
    assert str(escape(q)) in body
    assert q not in body
    assert "<script>alert" not in body and "<mark>x" not in body and "<b>" not in body


def test_marks_escape_the_text_around_them():
    from portal.web.search import highlighter

    mark = highlighter(["ab"])
    assert str(mark("<a\u3000b>&a b")) == "&lt;<mark>a\u3000b</mark>&gt;&amp;<mark>a b</mark>"
    assert str(mark("x\nab", True)) == "x<br><mark>ab</mark>"
    assert str(mark("ＡＢ")) == "<mark>ＡＢ</mark>"


@pytest.mark.parametrize(
    "query, why",
    [
        ("q=" + "あ" * 101, "100 文字まで"),
        ("q=%E4%BF%9D%00", "使えない文字"),
        ("q=%FF", "UTF-8"),
        ("q=%E4%BF", "UTF-8"),
        ("x=%FF&q=保育", "UTF-8"),
    ],
    ids=["too-long", "nul", "not-utf8", "cut-utf8", "other-param-not-utf8"],
)
def test_bad_queries_are_a_japanese_400(client, query, why):
    r = client.get("/search?" + query)
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "リクエストに誤りがあります" in body and why in body


@pytest.mark.browser
@pytest.mark.parametrize("q", ["保育", "保育 給食"], ids=["found", "nothing-found"])
@pytest.mark.parametrize("width, height", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_the_page_in_a_browser(browser, live_server, q, width, height):  # noqa: F811 - the browser fixture
    from urllib.parse import quote

    phone = {"is_mobile": True, "has_touch": True} if width < 500 else {}
    ctx, page, response, _ = open_page(browser, live_server, "/search?q=" + quote(q), width, height, **phone)
    try:
        assert response.status == 200
        # against the width asked for: a phone widens its viewport to fit a page that overflows
        assert page.evaluate("Math.max(document.documentElement.scrollWidth, window.innerWidth)") <= width + 1, (
            "横にはみ出しています"
        )
        result = run_axe(page)
        assert result["violations"] == [], describe(f"search {q} {width}", "/search", result["violations"])
        if q == "保育":
            # the jump links lead to their sections
            page.click('.result-nav a[href="#r-kpis"]')
            assert abs(page.evaluate("document.getElementById('r-kpis').getBoundingClientRect().top")) < 50
    finally:
        ctx.close()


def test_a_theme_word_finds_kpis_by_their_project_and_goal_and_says_so(client):
    """子育て is in no KPI's name: the KPIs of projects and goals that speak of it are found, and the hit says where."""
    (kpis,) = [s for s in sections(get(client, "子育て")) if s["table"] == "kpis"]
    assert kpis["count"] >= 9
    via = [plain(h) for h in kpis["hits"] if "で見つかりました" in h]
    assert via and all("子育て" in h for h in via)


def test_names_rank_above_long_paragraphs_and_paragraphs_are_cut_to_the_match(client, built_db):
    found = {s["table"]: s for s in sections(get(client, "子育て"))}
    changes = [re.search(r"変更 (\d+)：", plain(h)).group(1) for h in found["changes"]["hits"]]
    # change 1 rewrites a long paragraph and has the word only there: it comes last
    assert changes[-1] == "1" and len(changes) > 1
    longest = max((r["text"] for r in built_db.execute("SELECT text FROM texts WHERE text LIKE '%子育て%'")), key=len)
    assert len(longest) > 200
    shown = [plain(h) for h in found["texts"]["hits"]]
    assert all(len(h) < 200 for h in shown), [len(h) for h in shown]
    assert any("…" in h for h in shown), "a long paragraph is shown around its match"
