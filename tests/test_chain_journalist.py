"""The journalist's views across a chain of three revisions: the comparison per revision, its files and the feed."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET

import openpyxl

from .test_chain_pages import chain_build, client, text  # noqa: F401 - fixtures

ATOM = "{http://www.w3.org/2005/Atom}"


def rows_on(page: str) -> list[str]:
    return re.findall(r'<th scope="row" data-label="指標">\s*<a href="/kpis/\d+">([^<]+)</a>', page)


def test_the_comparison_is_per_revision_latest_first(client):  # noqa: F811
    latest = client.get("/kpis/compare").get_data(as_text=True)
    # three revisions to choose from, the latest chosen
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', latest[latest.index('id="f-rev"') :])
    assert [(v, s != "", label) for v, s, label in options] == [
        ("4", True, "二回目の改訂 → 三回目の改訂"),
        ("3", False, "一回目の改訂 → 二回目の改訂"),
        ("2", False, "当初版 → 一回目の改訂"),
    ]
    assert "内訳は、目標値を上方修正 1 件、" in latest
    assert "改訂の前の版「二回目の改訂」と後の版「三回目の改訂」" in text(client.get("/kpis/compare"))
    first = client.get("/kpis/compare?rev=2").get_data(as_text=True)
    assert "内訳は、目標値を上方修正 1 件、" in first
    raised = client.get("/kpis/compare?rev=2&status=target_raised").get_data(as_text=True)
    assert rows_on(raised) == ["一時預かりを利用した延べ児童数"]
    assert "目標値 ＋10人" in text(client.get("/kpis/compare?rev=2&status=target_raised"))
    removed = client.get("/kpis/compare?rev=3&status=removed").get_data(as_text=True)
    assert "相談件数" in removed and "あおぞら窓口事業" in removed
    # the citation names the documents the compared rows were read from, each with its pages
    cite = re.search(r'<p class="cite">(.*?)</p>', first, re.S).group(1)
    assert "一回目の新旧対照表" in cite and "三回目の新旧対照表" not in cite
    assert client.get("/kpis/compare?rev=1").status_code == 400
    assert client.get("/kpis/compare?rev=9").status_code == 400


def test_the_comparison_files_carry_every_revision_by_name(chain_build):  # noqa: F811
    conn = sqlite3.connect(chain_build.db)
    revisions = conn.execute(
        "select from_version_id, to_version_id, status, count(*) from kpi_comparison"
        " where status != 'unchanged' group by 1, 2, 3 order by 1, 3"
    ).fetchall()
    assert revisions == [
        (1, 2, "target_raised", 1),
        (2, 3, "removed", 1),
        (2, 3, "target_raised", 1),
        (3, 4, "target_raised", 1),
    ]
    ws = openpyxl.load_workbook(chain_build.downloads / "kpi_comparison.xlsx").worksheets[0]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    raised = [r for r in rows if r["比較の結果"] == "目標値を上方修正"]
    assert [(r["変更前の版"], r["変更後の版"], r["目標値の差（変更後 − 変更前）"]) for r in raised] == [
        ("当初版", "一回目の改訂", 10),
        ("一回目の改訂", "二回目の改訂", 10),
        ("二回目の改訂", "三回目の改訂", 100),
    ]


def test_the_feed_has_every_revision_newest_first_dated_by_its_version(client, chain_build):  # noqa: F811
    feed = ET.fromstring(client.get("/changes.atom").data)
    entries = feed.findall(f"{ATOM}entry")
    conn = sqlite3.connect(chain_build.db)
    expected = conn.execute("select id, to_version_id from changes order by to_version_id desc, id").fetchall()
    assert [int(e.find(f"{ATOM}id").text.rsplit("/", 1)[1]) for e in entries] == [i for i, _ in expected]
    dates = {v: d for v, d in conn.execute("select id, date from versions")}
    built = feed.find(f"{ATOM}updated").text
    for entry, (_, version) in zip(entries, expected, strict=True):
        day = dates[version]
        assert entry.find(f"{ATOM}updated").text == (f"{day}T00:00:00+09:00" if day else built)
    # the third revision has no date: it is dated by the build, the newest of all
    assert dates[4] is None and entries[0].find(f"{ATOM}updated").text == built
    assert {e.find(f"{ATOM}updated").text for e in entries} >= {
        "2021-03-31T00:00:00+09:00",
        "2022-03-31T00:00:00+09:00",
    }


def test_an_indicator_a_document_does_not_show_is_not_called_removed(tmp_path):
    """Document 2 leaves 「（２）子育て支援」 out in both columns: its indicators are not shown in version 3, not removed."""
    from portal.pipeline.build import build

    from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, RELATED, document, page, write

    full = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    omitted = GOAL_HEAD[: GOAL_HEAD.index("（２）子育て支援 ")] + ["（２）子育て支援 ", "－ 省 略 － "]
    one = write(
        tmp_path, document(page(full, [x.replace("１５０人", "１６０人") for x in full], [["指標の見直し "]])), "1.txt"
    )
    raised_goal = [x.replace("1,500千人", "1,600千人") for x in omitted]
    two = write(tmp_path, document(page(omitted, raised_goal, [["目標の見直し "]])), "2.txt")
    result = build([one, two], tmp_path / "db" / "strategy.db", tmp_path / "package")
    conn = sqlite3.connect(result.db)
    rows = conn.execute("select from_version_id, name, status, change_id from kpi_comparison order by id").fetchall()
    assert rows == [
        (1, "来訪者数", "unchanged", None),
        (1, "一時預かりを利用した延べ児童数", "target_raised", 1),
        (1, "保育士の研修受講率", "unchanged", None),
        (1, "相談件数", "unchanged", None),
        (2, "来訪者数", "target_raised", 2),
        (2, "一時預かりを利用した延べ児童数", "not_shown_after", None),
        (2, "保育士の研修受講率", "not_shown_after", None),
        (2, "相談件数", "not_shown_after", None),
    ]


def test_a_not_set_row_both_documents_show_is_one_row_that_continues(tmp_path):
    """A project whose cell says 「設定しない」 in document 1's 変更後 and document 2's 変更前 is one row of version 2."""
    from portal.pipeline.build import build

    from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, PROJECT_NEW, RELATED, document, page, write

    v1 = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    v2 = GOAL_HEAD + PROJECT_A + PROJECT_B + PROJECT_NEW + RELATED
    v3 = [x.replace("１５０人", "１６０人") for x in v2]
    one = write(tmp_path, document(page(v1, v2, [["新規事業の追加 "]])), "1.txt")
    two = write(tmp_path, document(page(v2, v3, [["指標の見直し "]])), "2.txt")
    result = build([one, two], tmp_path / "db" / "strategy.db", tmp_path / "package")
    conn = sqlite3.connect(result.db)
    not_set = conn.execute(
        "select id, version_id, previous_id from kpis where status = 'not_set' order by id"
    ).fetchall()
    assert [(v, p is not None) for _, v, p in not_set] == [(2, False), (3, True)]
    assert not_set[1][2] == not_set[0][0]
    rows = conn.execute("select from_version_id, status from kpi_comparison where name is null order by id").fetchall()
    assert rows == [(1, "added_not_set"), (2, "unchanged_not_set")]


def test_the_pages_of_indicators_a_document_does_not_show(tmp_path):
    """An indicator on one side only, with no change, has a page that says its other version's document leaves it out."""
    from portal.pipeline.build import build
    from portal.web import create_app

    from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, RELATED, document, page, write

    full = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    omitted = GOAL_HEAD[: GOAL_HEAD.index("（２）子育て支援 ")] + ["（２）子育て支援 ", "－ 省 略 － "]
    one = write(tmp_path, document(page(full, full, [])), "1.txt")
    two = write(
        tmp_path,
        document(page(omitted, [x.replace("1,500千人", "1,600千人") for x in omitted], [["見直し "]])),
        "2.txt",
    )
    result = build([one, two], tmp_path / "db" / "strategy.db", tmp_path / "package")
    pages = create_app({"DB": result.db, "TESTING": True}).test_client()
    conn = sqlite3.connect(result.db)
    (kpi,) = conn.execute(
        "select before_kpi_id from kpi_comparison where status = 'not_shown_after' and name = '相談件数'"
    )
    r = pages.get(f"/kpis/{kpi[0]}")
    assert r.status_code == 200
    body = " ".join(re.sub(r"<[^>]+>", " ", r.get_data(as_text=True)).split())
    assert "の資料には、この部分が載っていません" in body and "改訂でなくなったのではありません" in body
    # the list of the version, which reads the same comparison rows, answers too
    assert pages.get("/kpis/?v=2").status_code == 200


def test_files_outside_the_manifest_get_no_made_up_title(tmp_path):
    from portal.pipeline.manifest import manifest_for

    m = manifest_for([tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path / "no-manifest.yaml")
    assert [d.title for d in m.documents] == ["新旧対照表（a.txt）", "新旧対照表（b.txt）"]


def test_an_unknown_revision_says_which_ones_there_are(client):  # noqa: F811
    for page in ("/kpis/compare?rev=1", "/changes/?rev=9"):
        r = client.get(page)
        assert r.status_code == 400
        assert "使える値：2、3、4" in r.get_data(as_text=True)
