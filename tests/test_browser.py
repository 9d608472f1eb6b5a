"""Seen in a real browser: headless Chromium (Debian's), axe-core, keyboard, zoom, phone and print.

Every kind of page — the portal's and Datasette's — is loaded from the real
`portal serve`, checked for its Japanese text, checked by axe-core against
the WCAG 2.0/2.1 A and AA rules, and saved as screenshots at 1280×900 and
390×844 under test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from portal import paths

from .browser import WCAG_TAGS, describe, open_page, run_axe

pytestmark = pytest.mark.browser

ARTIFACTS = paths.ROOT / "test-artifacts"
SHOTS = ARTIFACTS / "screenshots"

# (file name of its screenshots, the page's name on /accessibility, path, Japanese text the page must show)
PAGES = [
    ("top", "トップページ", "/", "総合戦略の改訂で変わったこと"),
    ("about", "戦略について", "/about", "地方版総合戦略とは"),
    ("goal", "基本目標のページ（変更後）", "/goals/3", "若い世代の結婚・出産・子育ての希望をかなえる"),
    ("goal-before", "基本目標のページ（変更前）", "/goals/3?v=1", "乳幼児等医療費助成事業"),
    ("kpi-list", "KPI一覧", "/kpis/", "数値目標と KPI の一覧"),
    ("kpi", "KPI のページ", "/kpis/{kpi}", "基準値と目標値"),
    ("kpi-compare", "改訂前後の指標の比較", "/kpis/compare", "どの目標が変わったか"),
    ("changes", "変更点の一覧", "/changes/", "変更理由"),
    ("changes-filtered", "変更点（種類で絞り込み）", "/changes/?group=projects&goal=3", "事業の追加・置き換え"),
    ("change", "変更点のページ", "/changes/14", "指標を置かないことに変更"),
    ("search", "検索結果", "/search?q=保育", "保育"),
    ("downloads", "ダウンロード", "/downloads/", "表ごとのダウンロード"),
    ("dictionary", "データ辞書", "/downloads/dictionary", "データ辞書"),
    ("api", "API の使い方", "/downloads/api", "API"),
    ("glossary", "用語集", "/glossary", "用語集"),
    ("not-found", "見つからないページ（404）", "/kpis/abc", "ページが見つかりません"),
    ("accessibility", "アクセシビリティ方針", "/accessibility", "アクセシビリティ方針"),
    ("datasette-index", "SQLで調べる：データのトップ", "/data/", "このページの使い方"),
    ("datasette-table", "SQLで調べる：表", "/data/strategy/kpis", "数値目標と重要業績評価指標"),
    ("datasette-row", "SQLで調べる：行", "/data/strategy/kpis/1", "このページの使い方"),
    (
        "datasette-canned-query",
        "SQLで調べる：用意した問い",
        "/data/strategy/projects_without_kpi",
        "指標を置かない事業",
    ),
    (
        "datasette-sql",
        "SQLで調べる：SQL の結果",
        "/data/strategy?sql=select+name%2C+target_value+from+kpis+where+version_id+%3D+2",
        "このページの使い方",
    ),
]
# Datasette's other page kinds
PAGES += [
    ("datasette-comparison", "SQLで調べる：改訂前後の指標の比較", "/data/strategy/kpi_comparison", "比較の結果"),
    ("datasette-database", "SQLで調べる：データベース", "/data/strategy", "用意した問い"),
    ("datasette-table-all-columns", "SQLで調べる：表（すべての列）", "/data/strategy/kpis?_all=1", "元資料の開始行"),
    (
        "datasette-table-filtered",
        "SQLで調べる：表（絞り込み・ファセット）",
        "/data/strategy/changes?change_type=project_added&_facet=goal_no",
        "選択中",
    ),
    ("datasette-row-links", "SQLで調べる：参照される行", "/data/strategy/versions/2", "この行を参照している表"),
    (
        "datasette-sql-error",
        "SQLで調べる：SQL の誤り",
        "/data/strategy?sql=select+*+from+change",
        "表「change」はありません",
    ),
    ("datasette-not-found", "SQLで調べる：見つからない表", "/data/strategy/nope", "ページが見つかりません"),
]
FLASK_TEXT_PAGES = [p for p in PAGES if not p[2].startswith("/data/")]

RESULTS: list[dict] = []


@pytest.fixture(scope="session")
def kpi_path(app):
    store = app.extensions["build"].get().data
    return next(k["id"] for k in store.table("kpis") if k["name"] == "就業者数" and k["version_id"] == 2)


@pytest.fixture(scope="session", autouse=True)
def report():
    """Write the accessibility results of this run to test-artifacts/ (and, on request, for the policy page)."""
    yield
    if not RESULTS:
        return
    summary = {
        "tested_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "browser": RESULTS[0]["browser"],
        "axe_version": RESULTS[0]["axe_version"],
        "rules": WCAG_TAGS,
        "pages": [{k: r[k] for k in ("name", "path", "violations", "passes")} for r in RESULTS],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "accessibility.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    if os.environ.get("PORTAL_A11Y_RECORD") == "1":
        target = paths.PACKAGE / "web" / "accessibility-results.json"
        target.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


#: every table cell with text is at least this many characters wide, unless its table is stacked into cards
MIN_CELL_CHARS = 4
NARROW_CELLS = """(minChars) => {
  const out = [];
  for (const cell of document.querySelectorAll('main td, main th, main caption')) {
    const text = cell.innerText.trim();
    const table = cell.closest('table');
    if (!text || (cell.tagName !== 'CAPTION' && getComputedStyle(table).display !== 'table')) continue;
    const s = getComputedStyle(cell);
    const width = cell.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    const needed = Math.min(minChars, [...text].length) * parseFloat(s.fontSize);
    if (width + 0.5 < needed) out.push(`${text.slice(0, 20)} (${Math.round(width)}px < ${Math.round(needed)}px)`);
  }
  return out;
}"""


HEADING_LEVELS = (
    # the level a screen reader announces: aria-level where a page sets it, else the tag's
    "[...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]"
    ".map(h => +(h.getAttribute('aria-level') || h.tagName[1]))"
)


def check_layout(page, name: str, width: int) -> None:
    """No cell squeezed to a character or two per line, and the page itself never scrolls sideways."""
    assert page.evaluate(NARROW_CELLS, MIN_CELL_CHARS) == [], f"{name}（{width}px）: 狭すぎる欄があります"
    # against the width asked for: a phone (is_mobile) widens its viewport to fit a page that overflows
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert max(scroll) <= width + 1, f"{name}（{width}px）: ページが横にはみ出しています {scroll}"


@pytest.mark.parametrize("slug, name, path, text", PAGES, ids=[p[0] for p in PAGES])
def test_page_in_the_browser(browser, live_server, kpi_path, slug, name, path, text):
    """Each kind of page at 1280×900 and 390×844: its words, axe-core, headings, layout, nothing from elsewhere."""
    check_page(browser, live_server, slug, name, path.format(kpi=kpi_path), text, record=True)


def check_page(browser, live_server, slug, name, path, text, record):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page, response, requests = open_page(browser, live_server, path)
    try:
        assert response.status == (404 if "not-found" in slug else 400 if "error" in slug else 200)
        assert page.evaluate("document.documentElement.lang") == "ja"
        assert text in page.inner_text("body")
        # the portal's navigation is on every page, Datasette's included
        assert page.locator('nav[aria-label="メインメニュー"] a[href="/kpis/"]').count() == 1
        levels = page.evaluate(HEADING_LEVELS)
        assert levels and levels[0] == 1 and levels.count(1) == 1, levels
        for a, b in zip(levels, levels[1:], strict=False):
            assert b <= a + 1, f"{name}: 見出しが h{a} から h{b} に飛んでいます"
        check_layout(page, name, 1280)
        page.screenshot(path=str(SHOTS / f"{slug}-desktop.png"), full_page=True)
        result = run_axe(page)
        if record:
            RESULTS.append(
                {
                    "name": name,
                    "path": path,
                    "violations": len(result["violations"]),
                    "passes": result["passes"],
                    "browser": browser.version,
                    "axe_version": result["version"],
                }
            )
        assert result["violations"] == [], describe(name, path, result["violations"])
        outside = [u for u in requests if not u.startswith(live_server) and not u.startswith("data:")]
        assert outside == [], f"{name}: ほかのサイトへのリクエスト {outside}"
    finally:
        ctx.close()
    ctx, page, response, requests = open_page(
        browser, live_server, path, width=390, height=844, is_mobile=True, has_touch=True
    )
    try:
        check_layout(page, name, 390)
        page.screenshot(path=str(SHOTS / f"{slug}-phone.png"), full_page=True)
        result = run_axe(page)
        assert result["violations"] == [], describe(f"{name}（スマートフォン）", path, result["violations"])
    finally:
        ctx.close()


def test_main_navigation(browser, live_server):
    ctx, page, _, _ = open_page(browser, live_server, "/")
    try:
        nav = page.locator('nav[aria-label="メインメニュー"]')
        targets = {
            "戦略について": "戦略について",
            "基本目標": "基本目標",
            "KPI一覧": "数値目標と KPI の一覧",
            "変更点": "変更点：何が変わり、なぜ変わったか",
            "ダウンロード": "ダウンロード",
            "用語集": "用語集",
        }
        for link, heading in targets.items():
            page.goto(live_server + "/")
            nav.get_by_role("link", name=link, exact=True).click()
            page.wait_for_load_state()
            assert page.locator("h1").first.inner_text() == heading, link
            current = page.locator('nav[aria-label="メインメニュー"] a[aria-current="page"]')
            assert current.inner_text() == link
        page.goto(live_server + "/")
        nav.get_by_role("link", name="SQLで調べる").click()
        page.wait_for_load_state()
        assert page.url.endswith("/data/") and "このページの使い方" in page.inner_text("body")
    finally:
        ctx.close()


def test_skip_link_and_visible_focus(browser, live_server):
    ctx, page, _, _ = open_page(browser, live_server, "/changes/")
    try:
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused == "本文へ移動"
        box = page.locator(".skip-link").bounding_box()
        assert box and box["y"] >= 0, "本文へ移動のリンクが画面に見えていません"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # every link and control shows where the focus is
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        styles = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()"
        )
        assert styles[0] != "none" and styles[1] != "0px"
    finally:
        ctx.close()


@pytest.mark.parametrize("slug, name, path, text", FLASK_TEXT_PAGES, ids=[p[0] for p in FLASK_TEXT_PAGES])
def test_tables_have_captions_and_header_cells(browser, live_server, kpi_path, slug, name, path, text):
    ctx, page, _, _ = open_page(browser, live_server, path.format(kpi=kpi_path))
    try:
        tables = page.evaluate("""[...document.querySelectorAll('main table')].map(t => ({
            caption: t.caption ? t.caption.textContent.trim() : '', th: t.querySelectorAll('th[scope]').length}))""")
        for t in tables:
            assert t["caption"] and t["th"] > 0, (name, t)
    finally:
        ctx.close()


@pytest.mark.parametrize("slug, name, path, text", FLASK_TEXT_PAGES, ids=[p[0] for p in FLASK_TEXT_PAGES])
def test_200_percent_zoom_needs_no_horizontal_scrolling(browser, live_server, kpi_path, slug, name, path, text):
    # 200% zoom of a 1280-pixel window lays the page out in 640 CSS pixels
    ctx, page, _, _ = open_page(
        browser, live_server, path.format(kpi=kpi_path), width=640, height=450, device_scale_factor=2
    )
    try:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
            f"{name}: 200% で横スクロールが出ます"
        )
    finally:
        ctx.close()


def test_chart_has_a_text_equivalent(browser, live_server, kpi_path):
    ctx, page, _, _ = open_page(browser, live_server, f"/kpis/{kpi_path}")
    try:
        svg = page.locator("svg.kpi-chart")
        assert svg.get_attribute("role") == "img"
        ids = svg.get_attribute("aria-labelledby").split()
        desc = page.locator(f"#{ids[1]}").text_content()
        assert "7,740人" in desc and "6,300人" in desc
        table = page.locator("main table").first.inner_text()
        assert "7,740人" in table and "6,300人" in table
        assert page.evaluate("document.querySelectorAll('script').length") == 0  # the chart needs no JavaScript
    finally:
        ctx.close()


def test_differences_are_shown_by_more_than_colour(browser, live_server):
    ctx, page, _, _ = open_page(browser, live_server, "/changes/")
    try:
        deleted = page.locator("del.diff").first
        inserted = page.locator("ins.diff").first
        assert "line-through" in deleted.evaluate("e => getComputedStyle(e).textDecorationLine")
        assert "underline" in inserted.evaluate("e => getComputedStyle(e).textDecorationLine")
        assert deleted.locator(".visually-hidden").text_content() == "［削除］"
        assert inserted.locator(".visually-hidden").text_content() == "［追加］"
    finally:
        ctx.close()


def test_changes_page_prints_like_a_comparison_table(browser, live_server):
    ctx, page, _, _ = open_page(browser, live_server, "/changes/")
    try:
        page.emulate_media(media="print")
        assert page.locator(".site-nav").evaluate("e => getComputedStyle(e).display") == "none"
        columns = page.locator(".change-cols").first.evaluate("e => getComputedStyle(e).gridTemplateColumns").split()
        assert len(columns) == 3
        ARTIFACTS.mkdir(exist_ok=True)
        page.pdf(path=str(ARTIFACTS / "changes-print.pdf"), format="A4", landscape=True)
    finally:
        ctx.close()


def test_japanese_typography(browser, live_server):
    ctx, page, _, _ = open_page(browser, live_server, "/about")
    try:
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector('main p')); return [s.fontFamily, s.lineHeight, s.fontSize]; })()"
        )
        assert style[0].startswith('"Noto Sans JP"')
        assert 1.6 <= float(style[1].rstrip("px")) / float(style[2].rstrip("px")) <= 1.8
        width = page.evaluate(
            "document.querySelector('main p').getBoundingClientRect().width / parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"
        )
        assert width <= 50, "一行が長すぎます"
    finally:
        ctx.close()


def test_the_policy_page_reports_what_the_tests_check():
    """The results shown on /accessibility cover every page kind tested here, and claim no more."""
    recorded = json.loads((paths.PACKAGE / "web" / "accessibility-results.json").read_text(encoding="utf-8"))
    assert [p["name"] for p in recorded["pages"]] == [p[1] for p in PAGES]
    assert all(p["violations"] == 0 for p in recorded["pages"])
    assert recorded["rules"] == WCAG_TAGS


@pytest.mark.parametrize(
    "path", ["/", "/kpis/", "/data/strategy/kpis", "/data/strategy?sql=select+1", "/data/strategy/kpi_flat"]
)
def test_pages_work_under_the_content_security_policy(browser, live_server, path):
    """With the CSP enforced (no bypass), nothing is refused and Datasette's scripts still run."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(live_server + path, wait_until="load")
        page.wait_for_timeout(300)
        assert refused == [], refused
        if "sql=" in path:
            assert page.locator(".CodeMirror").count() == 1  # the SQL editor was built by Datasette's inline script
        if "sql=" in path:
            # named by the editor's inline script (templates/datasette/_codemirror_foot.html)
            assert page.locator(".CodeMirror textarea").get_attribute("aria-label") == "SQL エディター"
    finally:
        ctx.close()


def test_the_kpis_table_shows_indicator_values_and_years_in_the_first_screen(browser, live_server):
    """At 1280×900, before any scrolling, the first indicator's name, baseline, target and years are in view."""
    ctx, page, _, _ = open_page(browser, live_server, "/data/strategy/kpis")
    try:
        boxes = page.evaluate(
            """(cols) => cols.map(c => {
                const td = document.querySelector('table.rows-and-columns tbody tr td.col-' + c);
                if (!td) return [c, null];
                const r = td.getBoundingClientRect();
                return [c, [r.left, r.top, r.right, r.bottom]];
            })""",
            ["name", "baseline_text", "baseline_label", "target_text", "target_label"],
        )
        for column, box in boxes:
            assert box is not None, f"{column} の欄がありません"
            left, top, right, bottom = box
            assert left >= 0 and right <= 1280 and top >= 0 and bottom <= 900, f"{column} が最初の画面の外です: {box}"
        first = page.locator("table.rows-and-columns tbody tr").first.inner_text()
        assert "就業者数" in first and "7,740人" in first and "平成27年" in first and "令和７年" in first
    finally:
        ctx.close()
