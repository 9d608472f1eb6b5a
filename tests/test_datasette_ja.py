"""Datasette's pages in Japanese: every page kind rendered by the real Datasette, and no English interface word left.

The portal overrides Datasette's templates by name (templates/datasette/);
these tests render each kind of page through the whole portal (conftest.portal)
and read what a visitor sees: the text outside <code>, <pre>, <textarea> and
scripts, and the names a screen reader announces (aria-label, title, alt,
placeholder, the words on buttons).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from portal import paths
from portal.pipeline.schema import labels, table

#: the Datasette version whose templates templates/datasette/ were made from
DATASETTE_VERSION = "0.65.5"

#: English interface words of Datasette 0.65 that must not be shown: every string quoted in issue 12, and the
#: other words of the templates it overrides.  Matched as whole words, case as written.
ENGLISH = [
    # quoted in the issue
    "rows in",
    "tables",
    "hidden tables",
    "Data license",
    "Data source",
    "About",
    "Custom SQL query",
    "returning",
    "Format SQL",
    "Run SQL",
    "Queries",
    "Tables",
    "Search:",
    "- column -",
    "Sort by",
    "descending",
    "Apply",
    "View and edit SQL",
    "This data as",
    "advanced",
    "Links from other tables",
    "0 results",
    "no such table",
    "numerical_goal",
    "set",
    "not_set",
    "project_added",
    # the rest of Datasette's templates and messages
    "row",
    "rows",
    "Next page",
    "Advanced export",
    "JSON shape",
    "default",
    "array",
    "newline-delimited",
    "object",
    "CSV options",
    "download file",
    "expand labels",
    "stream all rows",
    "Export CSV",
    "Edit SQL",
    "hide",
    "show",
    "remove filter",
    "remove",
    "Suggested facets",
    "Query parameters",
    "extra where clause",
    "hidden",
    "Many rows",
    "Views",
    "view",
    "home",
    "Link",
    "from",
    "contains",
    "starts with",
    "ends with",
    "like",
    "not like",
    "glob",
    "is null",
    "is not null",
    "is blank",
    "is not blank",
    "date",
    "Sort...",
    "Table actions",
    "Sort ascending",
    "Sort descending",
    "Facet by this",
    "Hide this column",
    "Show all columns",
    "Record not found",
    "Table not found",
    "Database not found",
    "no such column",
    "syntax error",
    "Not Found",
    "Bad Request",
    "Forbidden",
    "Error",
    "Datasette",
    "kpi",
    "kpi_added",
    "kpi_removed",
    "project_removed",
    "baseline_only",
    "fiscal_year",
]
PATTERNS = [(w, re.compile(r"(?<![A-Za-z_])" + re.escape(w) + r"(?![A-Za-z_])")) for w in ENGLISH]

#: each kind of Datasette page, and a Japanese text it must show
PAGES = {
    "index": ("/data/", "総合戦略のデータ"),
    "database": ("/data/strategy", "用意した問い"),
    "table": ("/data/strategy/kpis", "指標名"),
    "table-all-columns": ("/data/strategy/kpis?_all=1", "元資料の開始行"),
    "table-filtered": ("/data/strategy/kpis?kind=kpi&status=set&_sort_desc=target_value&_size=5", "次のページ"),
    "table-search": ("/data/strategy/kpis?_search=出生", "「出生」を含む"),
    "table-operators": ("/data/strategy/kpis?name__contains=数&baseline_value__gt=1&note__isnull=1", "を含む"),
    "table-facet": ("/data/strategy/changes?change_type=project_added", "変更の種類"),
    "table-no-rows": ("/data/strategy/kpis?name=該当なし", "0 行"),
    "table-where": ("/data/strategy/kpis?_where=goal_no%3D1", "追加の条件"),
    "table-hidden": ("/data/strategy?_show_hidden=1", "一覧には出していない"),
    "row": ("/data/strategy/kpis/1", "指標名"),
    "row-links": ("/data/strategy/versions/2", "この行を参照している表"),
    "canned-query": ("/data/strategy/kpis_added_removed", "指標の追加・削除と、指標を置かない事業"),
    "canned-query-read-only-sql": ("/data/strategy/projects_without_kpi?_hide_sql=1", "SQL を表示"),
    "sql": ("/data/strategy?sql=select+name%2C+kind%2C+status+from+kpis+limit+3", "結果 3 行"),
    "sql-no-rows": ("/data/strategy?sql=select+*+from+kpis+where+0", "0 行"),
    "sql-error": ("/data/strategy?sql=select+*+from+change", "表「change」はありません"),
    "sql-syntax-error": ("/data/strategy?sql=select+*+frm+kpis", "書き方に誤り"),
    "sql-not-select": ("/data/strategy?sql=selec+1", "SELECT 文"),
    "not-found-table": ("/data/strategy/nope", "ページが見つかりません"),
    "not-found-row": ("/data/strategy/kpis/999999", "ページが見つかりません"),
    "bad-sort": ("/data/strategy/kpis?_sort=nope", "並べ替えられません"),
    "database-file": ("/data/strategy.db", "ダウンロード"),
}


class VisibleText(HTMLParser):
    """The words a visitor sees or hears: text outside code and scripts, and the names of controls."""

    SKIP = {"script", "style", "code", "pre", "textarea", "title"}
    NAMES = ("aria-label", "title", "alt", "placeholder")

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.SKIP:
            self.depth += 1
        for name in self.NAMES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    # the document's <title> is read aloud too: add it back
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    return " ".join(parser.parts + ([title.group(1)] if title else []))


def english_words(text: str) -> list[str]:
    return [w for w, pattern in PATTERNS if pattern.search(text)]


def test_the_word_check_finds_datasettes_own_words():
    """The check itself: Datasette's own English page furniture is caught, Japanese and code are not."""
    caught = english_words(visible_text('<p>288 rows in 13 tables</p><input type="submit" value="Run SQL">'))
    assert caught == ["rows in", "tables", "Run SQL", "rows"]
    assert english_words(visible_text("<p>指標名 <code>numerical_goal</code> SQL・JSON・CSV</p>")) == []
    assert english_words(visible_text('<select aria-label="Sort by id"></select>')) == ["Sort by"]


@pytest.mark.parametrize("kind", list(PAGES))
def test_every_datasette_page_kind_is_in_japanese(portal, kind):
    path, japanese = PAGES[kind]
    r = portal.get(path)
    assert r.status_code < 500, (path, r.status_code)
    assert "text/html" in r.headers["content-type"]
    assert '<html lang="ja">' in r.text
    text = visible_text(r.text)
    assert japanese in text, f"{kind}（{path}）に「{japanese}」がありません"
    assert english_words(text) == [], f"{kind}（{path}）に英語の表示が残っています"
    assert "出典：出典：" not in text, f"{kind}（{path}）の出典が二重です"
    # the site's own header, with 「SQLで調べる」 marked as the current section, error pages included
    assert '<a href="/data/" aria-current="page">SQLで調べる</a>' in r.text, kind
    menu = r.text[r.text.index('<nav class="site-nav"') :]
    assert menu[: menu.index("</nav>")].count('aria-current="page"') == 1, kind
    assert "datasette-a11y.js" not in r.text


def test_columns_show_japanese_titles_with_their_names_as_code(portal):
    html = portal.get("/data/strategy/kpis").text
    assert '<span class="col-title">指標名</span> <code class="col-name">name</code>' in html
    assert '<span class="col-title">目標値（資料の表記）</span> <code class="col-name">target_text</code>' in html


def test_codes_are_shown_by_their_japanese_labels_and_urls_keep_the_codes(portal):
    kinds = labels("kpis", "kind")
    html = portal.get("/data/strategy/kpis?_facet=kind&_all=1").text
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert f">{kinds['numerical_goal']}</span>" in body and ">numerical_goal<" not in body
    # the facet shows the label and links with the code
    facet = html.split('id="facet-kind"', 1)[1].split("</ul>", 1)[0]
    assert kinds["kpi"] in facet and "kind=kpi" in facet and ">kpi<" not in facet
    change_types = labels("changes", "change_type")
    html = portal.get("/data/strategy/changes?change_type=project_added").text
    assert change_types["project_added"] in visible_text(html)
    # a canned query's code column too
    html = portal.get("/data/strategy/kpis_added_removed").text
    assert change_types["kpi_added"] in visible_text(html)


def test_the_kpis_table_puts_what_a_reader_needs_first(portal):
    """Goal, indicator, values with their years, project first; constant columns and notes kept back."""
    html = portal.get("/data/strategy/kpis").text
    heads = re.findall(r'<th class="col-[^"]*" scope="col" data-column="([^"]+)"', html)
    assert heads[:7] == [
        "goal_no",
        "name",
        "baseline_text",
        "baseline_label",
        "target_text",
        "target_label",
        "project_name",
    ]
    for kept_back in ("municipality_code", "municipality_name", "note", "source_line_start"):
        assert kept_back not in heads
    assert "すべての列を表示" in html
    every = re.findall(r'scope="col" data-column="([^"]+)"', portal.get("/data/strategy/kpis?_all=1").text)
    assert set(every) == set(table("kpis").columns)
    assert every[:3] == ["goal_no", "name", "baseline_text"]


def test_a_row_is_a_list_of_labels_and_values_with_a_link_to_its_page(portal):
    html = portal.get("/data/strategy/kpis/1").text
    assert '<dl class="ds-record">' in html and "<table" not in html.split("<main", 1)[1]
    assert "<dt>指標名 <code>name</code></dt>" in html
    assert 'href="/kpis/1"' in html
    assert 'href="/changes/1"' in portal.get("/data/strategy/changes/1").text


def test_the_a11y_script_is_gone_and_controls_are_named_in_the_templates(portal):
    assert not (paths.PACKAGE / "web" / "static" / "datasette-a11y.js").exists()
    html = portal.get("/data/strategy/kpis").text
    for control in ('name="_filter_column" aria-label="絞り込む列"', 'name="_filter_op" aria-label="条件"'):
        assert control in html
    assert 'class="table-wrapper" tabindex="0" role="region"' in html
    assert '<label for="sql-editor">' in portal.get("/data/strategy").text


def test_the_datasette_version_is_the_one_the_templates_were_made_from():
    """An upgrade of Datasette must not silently drop the Japanese templates: this fails until they are redone."""
    import datasette.version

    installed = datasette.version.__version__
    assert installed == DATASETTE_VERSION, (
        f"Datasette {installed} が入っていますが、templates/datasette/ は Datasette {DATASETTE_VERSION} の"
        f"テンプレートから作りました。新しい版のテンプレートと比べて作り直し、この値を更新してください。 / "
        f"templates/datasette/ were made from Datasette {DATASETTE_VERSION}'s templates but {installed} is "
        "installed: compare them with the new version's templates, redo them, then update DATASETTE_VERSION."
    )
    overridden = sorted(Path(paths.TEMPLATES / "datasette").glob("*.html"))
    assert overridden
    for template in overridden:
        first = template.read_text(encoding="utf-8").splitlines()[0]
        assert f"Datasette {DATASETTE_VERSION}" in first, f"{template.name}: 作ったもとの版を一行目に書いてください"
