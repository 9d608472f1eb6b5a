"""The data dictionary (/downloads/dictionary): all of tables.yaml, findable from its contents, readable on a phone."""

from __future__ import annotations

import re
import sqlite3
from html import unescape

import pytest

from portal.pipeline.schema import labels, tables

from .browser import describe, open_page, run_axe

#: the page was 51,446 px tall at 390 px wide for 182 columns (283 px a column) when each table was one wide
#: table; a card per column must stay well below that (about two thirds of it)
PHONE_HEIGHT_PER_COLUMN = 190


@pytest.fixture(scope="module")
def body(app) -> str:
    r = app.test_client().get("/downloads/dictionary")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def section(body: str, name: str) -> str:
    m = re.search(rf'<section class="dict-table" aria-labelledby="{name}">(.*?)</section>', body, re.S)
    assert m, f"no section for {name}"
    return m.group(1)


def field_card(body: str, table: str, field: str) -> str:
    m = re.search(
        rf'<li class="dict-field" id="{table}-{field}">(.*?)</li>\s*(?=<li class="dict-field"|</ol>)', body, re.S
    )
    assert m, f"no card for {table}.{field}"
    return m.group(1)


def plain(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_contents_link_to_every_table_with_its_rows(body, built):
    toc = re.search(r'<nav class="dict-toc"[^>]*>(.*?)</nav>', body, re.S).group(1)
    conn = sqlite3.connect(built.db)
    try:
        for t in tables():
            item = re.search(rf'<li><a href="#{t.name}">(.*?)</a>(.*?)</li>', toc, re.S)
            assert item, t.name
            assert item.group(1) == t.title
            rows = conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            assert f"{rows:,} 行・{len(t.fields)} 項目" in item.group(2)
            assert f'<h2 id="{t.name}">' in body
            assert 'href="#toc"' in section(body, t.name), "a way back to the contents from every table"
    finally:
        conn.close()
    assert '<h2 id="toc">' in body


def test_every_field_and_every_code_label_is_there(body):
    for t in tables():
        for f in t.fields:
            card = field_card(body, t.name, f["name"])
            text = plain(card)
            assert f["name"] in text and f["title"] in text
            assert " ".join(f["description"].split()) in text
            if "categories" in f:
                for value, label in labels(t.name, f["name"]).items():
                    assert f"<dt><code>{value}</code></dt><dd>{unescape(label)}</dd>" in unescape(card), (
                        t.name,
                        f["name"],
                        value,
                    )


def test_constraints_are_said_in_words(body):
    seen = set()
    for t in tables():
        for f in t.fields:
            text = plain(field_card(body, t.name, f["name"]))
            c = f.get("constraints", {})
            assert ("必ず値がある" in text) == bool(c.get("required")), (t.name, f["name"])
            if c.get("unique"):
                assert "重複しない" in text or "主キー" in text
            if "minimum" in c:
                assert f"{c['minimum']} 以上" in text
            if "maximum" in c:
                assert f"{c['maximum']} 以下" in text
            if "enum" in c and "categories" not in f:
                assert "のどれか" in text.replace(" ", "") and all(str(v) in text for v in c["enum"])
            if "pattern" in c:
                assert "[0-9]" not in text and "桁" in text
            seen |= set(c)
    assert {"required", "unique", "minimum", "maximum", "enum", "pattern"} <= seen, "every kind of constraint is tried"


def test_foreign_keys_link_to_the_referenced_table(body):
    for t in tables():
        for fk in t.foreign_keys:
            target = fk["reference"]["resource"] or t.name
            for mine, theirs in zip(fk["fields"], fk["reference"]["fields"], strict=True):
                card = field_card(body, t.name, mine)
                assert re.search(
                    rf'参照先：<a href="#{target}">[^<]+</a>（<code>{target}</code>）の <code>{theirs}</code>', card
                ), (
                    t.name,
                    mine,
                )


@pytest.mark.browser
def test_readable_on_a_phone(browser, live_server):  # noqa: F811 - the browser fixture
    ctx, page, response, _ = open_page(
        browser, live_server, "/downloads/dictionary", width=390, height=844, is_mobile=True, has_touch=True
    )
    try:
        assert response.status == 200
        # against the width asked for: a phone widens its viewport to fit a page that overflows
        assert page.evaluate("Math.max(document.documentElement.scrollWidth, window.innerWidth)") <= 391, (
            "横にはみ出しています"
        )
        # whatever wraps its text (a card's part, a cell) is at least four characters wide: no column of one character
        squeezed = page.evaluate(
            """[...document.querySelectorAll('main *')].filter(e => {
                const s = getComputedStyle(e), r = e.getBoundingClientRect();
                if (!e.textContent.trim() || s.display === 'none' || r.width === 0 || s.position === 'absolute') return false;
                const lh = parseFloat(s.lineHeight) || 1.2 * parseFloat(s.fontSize);
                const box = ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth'].reduce((a, k) => a + parseFloat(s[k]), 0);
                const lines = (r.height - box) / lh;
                return r.width < 4 * parseFloat(s.fontSize) && lines > 1.5;
            }).map(e => e.tagName + ' ' + e.textContent.trim().slice(0, 20))"""
        )
        assert squeezed == [], squeezed
        cards = page.evaluate("[...document.querySelectorAll('.dict-field')].map(e => e.getBoundingClientRect().width)")
        assert cards and min(cards) >= 20 * 16
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"\n/downloads/dictionary: 390×844 で高さ {height:,} px（{len(cards)} 項目）")
        assert height < PHONE_HEIGHT_PER_COLUMN * len(cards)
        # jump from the contents to a table and back
        page.click('.dict-toc a[href="#kpis"]')
        assert page.evaluate("location.hash") == "#kpis"
        top = page.evaluate("document.getElementById('kpis').getBoundingClientRect().top")
        assert abs(top) < 50
        page.click('section[aria-labelledby="kpis"] .to-toc a')
        assert abs(page.evaluate("document.getElementById('toc').getBoundingClientRect().top")) < 50
        result = run_axe(page)
        assert result["violations"] == [], describe(
            "dictionary（スマートフォン）", "/downloads/dictionary", result["violations"]
        )
    finally:
        ctx.close()


@pytest.mark.browser
def test_wide_screen_has_no_violations(browser, live_server):  # noqa: F811 - the browser fixture
    ctx, page, response, _ = open_page(browser, live_server, "/downloads/dictionary")
    try:
        assert response.status == 200
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"\n/downloads/dictionary: 1280×900 で高さ {height:,} px")
        result = run_axe(page)
        assert result["violations"] == [], describe("dictionary", "/downloads/dictionary", result["violations"])
    finally:
        ctx.close()
