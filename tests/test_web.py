"""Every Flask route through the test client: status, Japanese content from the data, 404s and 400s."""

import re
from html import unescape

import pytest


def text(response) -> str:
    return response.get_data(as_text=True)


def page_source(body: str) -> tuple[str, list[str]]:
    """The page's own 出典 line and the links of its 「出典とデータ」 box (not the footer or the menu)."""
    box = re.search(r'<aside class="page-source"[^>]*>(.*?)</aside>', body, re.S)
    assert box, "the page has no 出典とデータ box"
    cite = re.search(r'<p class="cite">(.*?)</p>', box.group(1), re.S)
    return (cite.group(1) if cite else ""), [unescape(h) for h in re.findall(r'href="([^"]+)"', box.group(1))]


def test_top_page(client):
    r = client.get("/")
    assert r.status_code == 200
    body = text(r)
    assert '<html lang="ja">' in body
    assert "総合戦略の改訂で変わったこと" in body
    assert "基本目標３　若い世代の結婚・出産・子育ての希望をかなえる" in body
    cite, links = page_source(body)
    assert (
        cite
        == "出典：砂川市「第２期砂川市まち・ひと・しごと創生総合戦略 計画変更 新旧対照表」（1～8ページ）を加工して作成"
    )
    assert cite.endswith("を加工して作成")


def test_the_top_page_says_what_changed_and_links_each_change_and_its_reason(client):
    page = plain(text(client.get("/")))
    assert (
        "新しい事業が 2 件加わりました：「保育・教育施設 ICTシステム導入事業」（理由）、「学校給食費無償化事業」（理由）。"
        in page
    )
    assert (
        "2 件の事業が別の事業に変わりました：「地域ブランド構築事業」→「地域ブランド定着推進事業」（理由）、"
        "「乳幼児等医療費助成事業」→「子ども医療費無料化事業」（理由）。"
    ) in page
    assert "指標が 2 件加わりました：「利用者登録率（保育所）」（理由）、「利用者登録率（小中学校）」（理由）。" in page
    assert (
        "1 件の指標をやめ、その事業には指標を置かないことになりました：「対象者１人当たりの助成額」（理由）。" in page
    )
    assert "新しい事業 1 件には、指標を置きません：「学校給食費無償化事業」（理由）。" in page
    # the group of change 14 does not call it a deletion
    assert "指標の追加・削除と、指標を置かない事業（4 件）" in page
    assert "目標値や基準値、その年を変えた指標はありません。" in page
    assert "主な関連事業が 2 件加わりました" in page
    body = text(client.get("/"))
    for change_id in (7, 10, 11, 12, 13, 14, 15, 16, 17, 18):
        assert f'href="/changes/{change_id}"' in body, change_id
        assert f'href="/changes/{change_id}#reason-{change_id}"' in body, change_id
    # the wording edits are counted, not spelled out
    assert 'href="/changes/?group=texts" data-count="8"' in body


def test_the_changes_page_says_each_change_once_in_a_sentence_with_its_reason(client):
    body = text(client.get("/changes/"))
    items = re.findall(r'<li data-item id="change-(\d+)"', body)
    assert sorted(map(int, items)) == list(range(1, 19))
    page = plain(body)
    assert "基本目標３に、新しい事業「学校給食費無償化事業」が加わりました。" in page
    assert (
        "事業「子ども医療費無料化事業」の指標「対象者１人当たりの助成額」をやめ、この事業には指標を置かないことになりました"
        "（資料では「KPIの設定が困難なため設定しない」）。"
    ) in page
    assert "事業「学校給食費無償化事業」には指標を置きません（資料では「KPIの設定が困難なため設定しない」）。" in page
    assert "理由：新規事業の追加" in page
    # wording edits come last, folded
    assert body.index('id="sg-texts"') > body.index('id="sg-related"') > body.index('id="sg-projects"')
    assert '<details class="summary-fold">' in body


@pytest.mark.parametrize(
    "query, expected",
    [
        ("group=projects", {7, 10, 13, 15}),
        ("group=kpis", {11, 12, 14, 16}),
        ("group=values", set()),
        ("group=related&goal=4", {17, 18}),
        ("goal=3", {9, 10, 11, 12, 13, 14, 15, 16}),
        ("goal=3&type=project_added", {10, 15}),
        ("group=texts&goal=2", {8}),
    ],
)
def test_changes_can_be_filtered_by_kind_and_goal(client, query, expected):
    body = text(client.get("/changes/?" + query))
    assert {int(i) for i in re.findall(r'<li data-item id="change-(\d+)"', body)} == expected
    assert f"<span data-total>{len(expected)}</span> 件" in body


@pytest.mark.parametrize("query", ["group=nope", "group=<b>", "type=nope", "goal=0", "goal=%C2%B2"])
def test_unknown_filters_are_400(client, query):
    r = client.get("/changes/?" + query)
    assert r.status_code == 400 and "リクエストに誤りがあります" in text(r)
    assert "<b>" not in text(r)


def test_no_change_appears_twice_on_its_page(client):
    body = text(client.get("/changes/13"))
    assert body.count('href="/changes/14"') == 1
    assert body.count("<h1") == 1 and 'class="change-title"' not in body
    assert "この変更に伴う変更（1 件）" in plain(body)


def test_about_page_has_the_timeline(client):
    body = text(client.get("/about"))
    for date in ("2014年11月", "2016年1月", "2019年12月", "2022年12月"):
        assert date in body
    assert "改訂で追記" in body
    assert "２．戦略の概要 ～ 10．デジタルトランスフォーメーション（DX）の推進" in body


@pytest.mark.parametrize("goal", [1, 2, 3, 4])
@pytest.mark.parametrize("version", [1, 2])
def test_goal_pages(client, goal, version):
    r = client.get(f"/goals/{goal}?v={version}")
    assert r.status_code == 200
    assert "施策と具体的な事業" in text(r)


def test_goal_page_marks_what_changed_and_shows_omissions(client):
    after = text(client.get("/goals/3?v=2"))
    assert "保育・教育施設 ICTシステム導入事業" in after
    assert "事業の追加" in after and "学校給食費無償化事業" in after
    assert "変更がないため新旧対照表に載っていない部分" in after and "砂川市の計画書（全文）にあります" in after
    assert "①婚活支援の推進" in after
    before = text(client.get("/goals/3?v=1"))
    assert "乳幼児等医療費助成事業" in before and "学校給食費無償化事業" not in before
    assert "事業の名称変更・置き換え" in before
    goal4 = text(client.get("/goals/4"))
    assert "《基本的方向》" in goal4 and "関連事業の追加" in goal4


def test_kpi_list(client):
    body = text(client.get("/kpis/"))
    assert "利用者登録率（保育所）" in body
    assert "追加" in body
    body = text(client.get("/kpis/?v=1"))
    row = re.search(r"<tr>(?:(?!</tr>).)*対象者１人当たりの助成額.*?</tr>", body, re.S).group(0)
    assert "指標を置かないことに変更" in row and "削除" not in row


def kpi_id(app, name, version):
    store = app.extensions["build"].get().data
    return next(k["id"] for k in store.table("kpis") if k["name"] == name and k["version_id"] == version)


def test_kpi_page_explains_values_in_words(app, client):
    body = text(client.get(f"/kpis/{kpi_id(app, '就業者数', 2)}"))
    assert "平成27年（2015年）" in body and "7,740人" in body and "令和７年（2025年）" in body
    assert "<svg" in body and "就業者数の基準値と目標値" in body
    assert "変わっていません" in body
    body = text(client.get(f"/kpis/{kpi_id(app, '病児・病後児保育充足率', 2)}"))
    assert "毎年度この値を目指します" in body
    body = text(client.get(f"/kpis/{kpi_id(app, '発行した証明書の件数', 2)}"))
    assert "基準値は「－」" in body and "0 ではありません" in body
    body = text(client.get(f"/kpis/{kpi_id(app, '観光入込客数', 2)}"))
    assert "1,638千人は1,638,000人" in body


def test_kpi_life_across_versions(app, client):
    dropped = plain(text(client.get(f"/kpis/{kpi_id(app, '対象者１人当たりの助成額', 1)}")))
    assert (
        "指標を置かないことに変更：この改訂で、事業の指標「対象者１人当たりの助成額」をやめ、この事業には指標を置かない"
        "ことになりました（資料では「KPIの設定が困難なため設定しない」）。"
    ) in dropped
    assert "削除" not in dropped
    added = plain(text(client.get(f"/kpis/{kpi_id(app, '利用者登録率（保育所）', 2)}")))
    assert "指標の追加：この指標は、この改訂で加わりました。" in added
    moved = text(client.get(f"/kpis/{kpi_id(app, 'チームを構成する事業者数', 2)}"))
    assert "地域ブランド構築事業" in moved and "地域ブランド定着推進事業" in moved


def test_changes_page_with_character_diff(client):
    body = text(client.get("/changes/"))
    assert body.count('class="change"') == 18
    assert re.search(r'<del class="diff"><span class="visually-hidden">［削除］</span>づくり</del>', body)
    assert re.search(r'<ins class="diff"><span class="visually-hidden">［追加］</span>デジタル</ins>環境の整備', body)
    # the whitespace-only difference 「平成 26 年 11 月」/「平成 26年 11月」 is not highlighted
    assert "26 年 11 月" not in body
    # an indicator given way to 「設定しない」 is one text removed and another added, whole
    given_up = text(client.get("/changes/14"))
    assert (
        '<ins class="diff"><span class="visually-hidden">［追加］</span>KPIの設定が困難なため設定しない</ins>'
        in given_up
    )
    assert re.search(
        r'<del class="diff"><span class="visually-hidden">［削除］</span>対象者１人当たりの助成額：[^<]*</del>',
        given_up,
    )


def test_changes_filters(client):
    body = text(client.get("/changes/?goal=3&type=project_added"))
    assert body.count('class="change"') == 2
    assert "学校給食費無償化事業" in body
    assert text(client.get("/changes/?goal=4")).count('class="change"') == 2


def plain(html: str) -> str:
    """The text a reader sees, without tags and without the hidden ［削除］［追加］ labels."""
    return re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">［(削除|追加)］</span>', "", html))


def test_change_permalink(client):
    body = plain(text(client.get("/changes/13")))
    assert "乳幼児等医療費助成事業" in body and "子ども医療費無料化事業" in body
    assert "医療費無料化に伴う文章修正" in body
    assert "この変更に伴う変更" in body


def test_glossary(client):
    body = text(client.get("/glossary"))
    for term in (
        "基本目標",
        "数値目標",
        "KPI（重要業績評価指標）",
        "基準値",
        "目標値",
        "各年度",
        "和暦",
        "省略",
        "新旧対照表",
    ):
        assert f">{term}</dt>" in body


@pytest.mark.parametrize(
    "path",
    [
        "/kpis/abc",
        "/kpis/-1",
        "/kpis/99999999999999999999999",
        "/kpis/0",
        "/changes/999",
        "/goals/9",
        "/goals/abc",
        "/nope",
        "/downloads/nope",
    ],
)
def test_unknown_ids_are_404_in_japanese(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "ページが見つかりません" in text(r)
    assert '<a href="/">トップページへ戻る</a>' in text(r)


@pytest.mark.parametrize(
    "path",
    [
        "/goals/1?v=3",
        "/goals/1?v=abc",
        "/kpis/?v=0",
        "/changes/?goal=x",
        "/changes/?goal=9",
        "/changes/?type=<script>",
        "/search?q=" + "あ" * 101,
    ],
)
def test_bad_parameters_are_400_in_japanese(client, path):
    r = client.get(path)
    assert r.status_code == 400
    body = text(r)
    assert "リクエストに誤りがあります" in body
    assert "<script>" not in body


def test_post_is_not_allowed(client):
    r = client.post("/")
    assert r.status_code == 405
    assert "この方法では利用できません" in text(r)


def test_every_page_cites_and_links_to_the_data(client, app):
    expected = {
        "/": ("/data/strategy/changes?_defaults=off", None),
        "/about": ("/data/strategy/events?_defaults=off", "計画書2ページ"),
        "/goals/1": ("/data/strategy/kpis?goal_no=1&version_id=2&_defaults=off", "計画書5・7ページ"),
        "/kpis/": ("/data/strategy/kpis?version_id=2&_defaults=off", None),
        f"/kpis/{kpi_id(app, '接種率', 2)}": (f"/data/strategy/kpis/{kpi_id(app, '接種率', 2)}", "計画書15ページ"),
        "/changes/": ("/data/strategy/changes?_defaults=off", None),
        "/changes/1": ("/data/strategy/changes/1", "計画書2ページ"),
        "/glossary": ("/data/strategy/units?_defaults=off", None),
    }
    for path, (sql, pages) in expected.items():
        cite, links = page_source(text(client.get(path)))
        assert cite.startswith("出典：砂川市「") and cite.endswith("を加工して作成"), path
        assert sql in links, (path, links)
        if pages:
            assert pages in cite, (path, cite)


def test_accessibility_policy_page(client):
    body = text(client.get("/accessibility"))
    assert "JIS X 8341-3:2016" in body and "適合レベル AA" in body
    assert "人が確かめる必要があること" in body
    # it reports the recorded automated results, page by page
    assert "/data/strategy/kpis" in body and "axe-core" in body


def portal_pages(client, start: str = "/") -> dict[str, str]:
    """Every page of the portal reachable from `start` (not Datasette, not files), by URL."""
    seen: dict[str, str] = {}
    frontier = [start]
    while frontier:
        url = frontier.pop()
        if url in seen:
            continue
        r = client.get(url)
        if r.status_code != 200 or not r.content_type.startswith("text/html"):
            seen[url] = ""
            continue
        seen[url] = text(r)
        for href in re.findall(r'href="(/[^"#]*)', seen[url]):
            href = unescape(href)
            if href.startswith(("/data", "/static", "/search")) or (href.startswith("/downloads/") and "." in href):
                continue
            if href not in seen and href.count("&") < 2:
                frontier.append(href)
    return seen


def test_every_count_equals_the_length_of_the_list_it_links_to(client):
    pages = portal_pages(client)
    checked = 0
    for url, body in pages.items():
        for attrs, label in re.findall(r"<a ([^>]*data-count[^>]*)>(.*?)</a>", body, re.S):
            href = unescape(re.search(r'href="([^"]+)"', attrs).group(1))
            count = int(re.search(r'data-count="(\d+)"', attrs).group(1))
            assert str(count) in plain(label), (url, label)
            target = pages.get(href) or text(client.get(href))
            listed = len(re.findall(r"<li data-item", target))
            assert listed == count, f"{url}: 「{plain(label).strip()}」→ {href} は {listed} 件"
            checked += 1
    assert len(pages) > 30 and checked >= 8
