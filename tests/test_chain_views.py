"""Pages that tell what a revision did, on a chain of three 新旧対照表 (four versions): each names the
revisions around the version shown, not "the other version"."""

from __future__ import annotations

import re

import pytest

from portal import paths
from portal.pipeline.build import build

from . import test_chain_pages
from .chain import MANIFEST
from .layout import document, page, write
from .test_chain_pages import kpi_ids, text

# the chain build and its test client (module-scoped fixtures, built once for this file too)
chain_build = test_chain_pages.chain_build
client = test_chain_pages.client


def life_parts(html: str) -> list[str]:
    """The 「改訂での扱い」 section's text, one entry per revision part (split at its h3 headings)."""
    section = html[html.index('id="life"') :]
    section = section[: section.index("</section>")]
    parts = re.split(r"<h3[^>]*>", section)[1:]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", p)).strip() for p in parts]


def test_a_middle_version_kpi_tells_the_revision_before_and_after_it(client, chain_build):
    ids = kpi_ids(chain_build.db, "一時預かりを利用した延べ児童数")
    html = client.get(f"/kpis/{ids[1]}").get_data(as_text=True)
    parts = life_parts(html)
    assert len(parts) == 2
    made, next_ = parts
    assert made.startswith("当初版 → 一回目の改訂") and "目標値を上方修正" in made and "上がりました" in made
    assert "当初版 一回目の改訂" in made and "１５０人" in made and "１６０人" in made and "１７０人" not in made
    assert next_.startswith("一回目の改訂 → 二回目の改訂") and "上がりました" in next_
    assert "一回目の改訂 二回目の改訂" in next_ and "１７０人" in next_ and "１５０人" not in next_
    # each part links to the change of its own revision
    links = re.findall(r'href="/changes/(\d+)">変更点 \d+ を見る', html[html.index('id="life"') :])
    changes = {int(c): client.get(f"/changes/{c}") for c in links}
    assert len(changes) == 2
    assert ["指標の見直し" in text(r) for r in changes.values()] == [True, False]
    assert ["事業の見直し" in text(r) for r in changes.values()] == [False, True]


def test_the_first_and_latest_versions_tell_one_revision_as_with_one_document(client, chain_build):
    ids = kpi_ids(chain_build.db, "一時預かりを利用した延べ児童数")
    for kpi_id, pair in ((ids[0], ("当初版", "一回目の改訂")), (ids[3], ("二回目の改訂", "三回目の改訂"))):
        html = client.get(f"/kpis/{kpi_id}").get_data(as_text=True)
        assert life_parts(html) == []  # no revision headings: one part, as on a one-document page
        head = re.search(r'<table class="kpi-life-table">.*?</thead>', html, flags=re.S).group(0)
        assert re.findall(r"<a [^>]*>([^<]+)</a>", head) == list(pair)
    latest = text(client.get(f"/kpis/{ids[3]}"))
    assert "この指標は改訂の前後で変わっていません" in latest


def test_a_kpi_removed_with_its_project_names_the_revision_and_reason(client, chain_build):
    first, second = kpi_ids(chain_build.db, "相談件数")
    made, removed = life_parts(client.get(f"/kpis/{second}").get_data(as_text=True))
    assert made.startswith("当初版 → 一回目の改訂")
    assert "変わっていません" in made and "事業名は「みどりの窓口事業」から「あおぞら窓口事業」に変わりました" in made
    assert (
        removed.startswith("一回目の改訂 → 二回目の改訂")
        and "指標の削除 ：この指標は、この改訂でなくなりました" in removed
    )
    assert "理由：・事業の見直し" in removed
    assert "None" not in removed  # a project's removal has no 変更後 text to quote
    # the list of KPIs of that version says what the revision that made it did
    row = re.search(rf'href="/kpis/{second}".*?</tr>', client.get("/kpis/?v=2").get_data(as_text=True), re.S)
    assert "指標は変更なし" in row.group(0)
    assert "事業名は「みどりの窓口事業」から「あおぞら窓口事業」に変更" in row.group(0)


def hits(html: str, table: str) -> list[str]:
    """The text of each hit of one result section of the search page."""
    section = html[html.index(f'id="r-{table}"') :]
    section = section[: section.index("</section>")]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip()
        for h in re.findall(r'<li class="hit">(.*?)</li>', section, re.S)
    ]


def test_search_marks_each_hit_with_the_versions_it_is_in(client):
    html = client.get("/search?q=公園").get_data(as_text=True)
    texts = hits(html, "texts")
    # the 基本的方向 is in every version; the sub-measure ① is shown from document 2 on (omitted in document 1)
    assert [t for t in texts if "基本的方向" in t][0].count("すべての版とも") == 1
    shown = [t for t in texts if "①公園の整備" in t]
    assert len(shown) == 1 and "一回目の改訂～三回目の改訂" in shown[0]
    assert "変更前" not in " ".join(texts) and "変更後" not in " ".join(texts)
    assert "続く版で同じ内容のものは 1 件にまとめ" in text(client.get("/search?q=公園"))


def test_search_names_the_two_versions_of_each_change_and_every_change_of_an_entry(client):
    html = client.get("/search?q=窓口").get_data(as_text=True)
    changes = hits(html, "changes")
    renamed = next(c for c in changes if "名称変更" in c)
    removed = next(c for c in changes if "事業の削除" in c)
    assert re.search(r"当初版 ?みどりの窓口事業.*一回目の改訂 ?あおぞら窓口事業", renamed)
    assert re.search(r"一回目の改訂 ?あおぞら窓口事業", removed) and "変更後" not in removed
    projects = hits(html, "projects")
    assert [p.split("事業")[0] for p in projects] == ["みどりの窓口", "あおぞら窓口"]
    renamed_to = projects[1]
    # the row of version 2 was made by the renaming (revision 1) and removed by revision 2: both marks
    assert "一回目の改訂" in renamed_to and "名称変更" in renamed_to and "事業の削除" in renamed_to
    assert "当初版" in projects[0] and "事業の削除" not in projects[0]


def badges(html: str, name: str) -> list[str]:
    """The change marks beside the first element of a goal page whose text contains `name`."""
    at = html.index(name, html.index('id="directions"'))
    line = html[at : html.index("\n", at)]
    return [re.sub(r"<[^>]+>", "", b) for b in re.findall(r'<a class="badge badge-change[^"]*"[^>]*>(.*?)<span', line)]


def test_a_goal_page_of_a_middle_version_marks_this_revision_and_the_next(client):
    html = client.get("/goals/1?v=2").get_data(as_text=True)
    # the KPI target changed in revision 1 (which made version 2) and changes again in revision 2
    assert badges(html, "１６０人") == ["指標の変更", "次の改訂で指標の変更"]
    assert badges(html, "あおぞら窓口事業") == ["事業の名称変更・置き換え", "次の改訂で事業の削除"]
    note = text(client.get("/goals/1?v=2"))
    assert "当初版からこの版への改訂では、この基本目標に 2 件の変更点 があり" in note
    assert "次の改訂「二回目の改訂」では 3 件の変更点 があり" in note
    assert 'href="/changes/?goal=1&amp;rev=2"' in html and 'href="/changes/?goal=1&amp;rev=3"' in html
    assert 'class="badge badge-change badge-next"' in html


def test_the_first_and_latest_versions_of_a_goal_mark_their_one_revision_plainly(client):
    first = client.get("/goals/1?v=1").get_data(as_text=True)
    assert badges(first, "１５０人") == ["指標の変更"]  # changed by the revision after it, as with one document
    assert "次の改訂で" not in re.sub(r"<p class=\"version-note\">.*?</p>", "", first, flags=re.S)
    latest = client.get("/goals/1?v=4").get_data(as_text=True)
    assert badges(latest, "来訪者数") == ["指標の変更"]
    assert "次の改訂" not in latest
    assert "二回目の改訂からこの版への改訂では、この基本目標に 1 件の変更点 があり" in text(client.get("/goals/1?v=4"))


def cite(client, path: str) -> str:
    return re.search(r"出典：[^<]*", client.get(path).get_data(as_text=True)).group(0)


def test_a_citation_names_the_documents_its_rows_come_from(client, chain_build):
    ids = kpi_ids(chain_build.db, "一時預かりを利用した延べ児童数")
    # version 2 is read from document 1's 変更後; version 4 from document 3's
    assert (
        cite(client, f"/kpis/{ids[1]}") == "出典：砂川市「一回目の新旧対照表」（1ページ、計画書3ページ）を加工して作成"
    )
    assert (
        cite(client, f"/kpis/{ids[3]}") == "出典：砂川市「三回目の新旧対照表」（1ページ、計画書3ページ）を加工して作成"
    )
    # version 3's goal page shows rows of document 2 only (its 変更後, and the parts only its 変更前 shows)
    assert cite(client, "/goals/1?v=3").startswith("出典：砂川市「二回目の新旧対照表」（1ページ")
    # the list of every change cites every document with its own pages
    assert cite(client, "/changes/") == (
        "出典：砂川市「一回目の新旧対照表」（1ページ）、「二回目の新旧対照表」（1ページ）、"
        "「三回目の新旧対照表」（1ページ）を加工して作成（計画書3ページ）"
    )
    assert cite(client, "/changes/?rev=3").startswith("出典：砂川市「二回目の新旧対照表」（1ページ")
    # a page of no rows names them all
    assert cite(client, "/glossary") == (
        "出典：砂川市「一回目の新旧対照表」、「二回目の新旧対照表」、「三回目の新旧対照表」を加工して作成"
    )
    assert "第２期砂川市" not in cite(client, "/")  # the package's one source is not these documents


# 策定の経過 told over three revisions: each adds a dated paragraph, the second also rewords the first one
HEAD = ["計画書２ページ ", "Ⅰ．基本的な考え方 ", "１．策定の経過 "]
FIRST = "令和２年３月、本市は総合戦略を策定しました。 "
REWORDED = "令和２年３月、本市は第２期の総合戦略を策定しました。 "
ADDED = [
    "令和３年３月、本市は総合戦略を改訂しました。 ",
    "令和４年３月、本市は再び総合戦略を改訂しました。 ",
    "令和５年３月、本市は三たび総合戦略を改訂しました。 ",
]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    sources = root / "datapackage" / "sources"
    sources.mkdir(parents=True)
    told = [[FIRST], [FIRST, ADDED[0]], [REWORDED, ADDED[0], ADDED[1]], [REWORDED, *ADDED]]
    reasons = [["経過を追記 "]], [["経過を追記し、文言を整理 "]], [["経過を追記 "]]
    for k in range(3):
        write(sources, document(page(HEAD + told[k], HEAD + told[k + 1], reasons[k])), f"rev{k + 1}.txt")
    (sources / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "MANIFEST", sources / "manifest.yaml")
        done = build(None, root / "db" / "strategy.db", root / "datapackage")
    from portal.web import create_app

    return create_app({"DB": done.db, "TESTING": True}).test_client()


def test_about_tells_the_latest_text_with_what_each_revision_added(history):
    html = history.get("/about").get_data(as_text=True)
    timeline = html[html.index('id="timeline"') : html.index('id="history-text"')]
    marks = re.findall(r"（(令和.年３月)）(?:<span class=\"badge badge-change\">([^<]+)</span>)?", timeline)
    assert marks == [
        ("令和２年３月", ""),
        ("令和３年３月", "一回目の改訂で追記"),
        ("令和４年３月", "二回目の改訂で追記"),
        ("令和５年３月", "三回目の改訂で追記"),
    ]
    body = html[html.index('id="history-text"') :]
    body = body[: body.index('id="source"')]
    latest = body[body.index('id="history-4"') :]
    paragraphs = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", latest, re.S)][:4]
    assert [p.split("。")[0] + "。" for p in paragraphs] == [t.strip() for t in (REWORDED, *ADDED)]
    assert paragraphs[0].endswith("二回目の改訂で文言の修正（変更点 2 を見る）")
    assert [p.split("。", 1)[1] for p in paragraphs[1:]] == [
        " 一回目の改訂で文の追加（変更点 1 を見る）",
        " 二回目の改訂で文の追加（変更点 3 を見る）",
        " 三回目の改訂で文の追加（変更点 4 を見る）",
    ]
    # the older versions' text is one link away, where search results of those versions land
    for v in (1, 2, 3):
        assert f'id="history-{v}" href="/data/strategy/texts?kind=paragraph&amp;version_id={v}"' in body
    assert "変更前" not in body and "変更後" not in body


def test_about_names_every_document_and_its_pages(history):
    page_ = text(history.get("/about"))
    assert "次の 3 つの新旧対照表から作っています" in page_
    assert "「二回目の新旧対照表」：一回目の改訂 → 二回目の改訂" in page_
    assert "資料 新旧対照表のページ 計画書のページ 一回目の新旧対照表 1 2 二回目の新旧対照表 1 2" in page_
    assert "資料４" not in page_  # the one-document wording is not used


def test_about_of_a_chain_without_the_history_chapter(client):
    r = client.get("/about")
    assert r.status_code == 200
    assert "として省略されています" not in text(r)  # no omitted chapter to name


def test_the_version_switch_of_four_versions_wraps_rather_than_squeezing(client):
    # four pills do not fit a 390 px line side by side; the class lets them wrap (two versions keep one line)
    assert '<nav class="version-switch version-switch-many"' in client.get("/goals/1?v=2").get_data(as_text=True)
