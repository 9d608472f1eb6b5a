"""Where the data comes from and who runs the portal, on every surface; and dates that mean what they say.

The sources manifest records, per document, its publication date, the
publisher's page and the PDF; empty means nobody recorded it, and every
surface says so rather than guess.  The operator is a setting of the
deployment; until it is set, every surface says that it is not.  The feed
dates an entry by its version, else by the build that first published it,
so a rebuild of the same data announces nothing again.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import unescape

import openpyxl
import pytest
from click.testing import CliRunner

from portal.cli import main
from portal.operator import Operator, from_env
from portal.pipeline.errors import SourceError
from portal.pipeline.manifest import read_manifest
from portal.web import create_app

from .test_manifest import MANIFEST

ATOM = "{http://www.w3.org/2005/Atom}"
UNSET = "このポータルの運営者は、まだ設定されていません。"
UNDATED = "資料に公表日の記載がなく、元資料の一覧（manifest.yaml）にも記録がありません"
UNRECORDED = "元資料の一覧（manifest.yaml）に記録がありません"


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def operated(built):
    """The pages of the test build, served by a named operator with a contact address."""
    app = create_app(
        {"DB": built.db, "TESTING": True, "OPERATOR": Operator("砂川オープンデータの会", "info@example.org")}
    )
    return app.test_client()


@pytest.mark.parametrize("path", ["/", "/about"])
def test_the_top_page_and_about_say_what_the_manifest_records_of_the_document(client, path):
    page = words(client.get(path).get_data(as_text=True))
    assert "砂川市「第２期砂川市まち・ひと・しごと創生総合戦略 計画変更 新旧対照表（資料４）」" in page
    assert f"公表日 {UNDATED}" in page
    assert f"公開ページ {UNRECORDED}" in page and f"PDF {UNRECORDED}" in page
    assert UNSET in page
    assert 'href="/downloads/sunagawa-strategy2-revision-comparison-table.txt"' in client.get(path).get_data(
        as_text=True
    )


def test_every_page_names_the_operator_or_says_it_is_unset(client, portal):
    for path in ("/", "/glossary", "/kpis/", "/nope"):
        assert f"運営：{UNSET}" in words(client.get(path).get_data(as_text=True)), path
    for path in ("/data/strategy/kpis", "/data/strategy/nope"):
        assert f"運営：{UNSET}" in words(portal.get(path).text), path
    accessibility = words(client.get("/accessibility").get_data(as_text=True))
    assert UNSET in accessibility and "お知らせを受け付ける連絡先がありません" in accessibility


def test_a_named_operator_is_shown_with_the_contact(operated):
    top = operated.get("/").get_data(as_text=True)
    assert '運営：砂川オープンデータの会（連絡先：<a href="mailto:info@example.org">info@example.org</a>）' in top
    assert UNSET not in words(top)
    accessibility = operated.get("/accessibility").get_data(as_text=True)
    assert (
        '連絡先は<a href="mailto:info@example.org">info@example.org</a>（砂川オープンデータの会）です。'
        in accessibility
    )
    feed = ET.fromstring(operated.get("/changes.atom").data)
    author = feed.find(f"{ATOM}author")
    assert author.find(f"{ATOM}name").text == "砂川市 総合戦略オープンデータポータル（運営：砂川オープンデータの会）"
    assert author.find(f"{ATOM}email").text == "info@example.org"
    dcat = json.loads(operated.get("/downloads/dcat.jsonld").data)
    assert dcat["dct:publisher"]["foaf:name"].endswith("（運営：砂川オープンデータの会）")
    assert dcat["dcat:contactPoint"]["vcard:hasEmail"] == {"@id": "mailto:info@example.org"}


def test_the_catalogues_and_the_feed_say_what_is_not_recorded(client):
    dcat = json.loads(client.get("/downloads/dcat.jsonld").data)
    (source,) = dcat["dct:source"]
    assert "dct:issued" not in source and "foaf:page" not in source and "dcat:downloadURL" not in source
    assert UNDATED in source["dct:description"]["@value"] and UNRECORDED in source["dct:description"]["@value"]
    assert "dcat:contactPoint" not in dcat
    feed = ET.fromstring(client.get("/changes.atom").data)
    subtitle = feed.find(f"{ATOM}subtitle").text
    assert "元資料：砂川市「" in subtitle and UNDATED in subtitle and UNSET in subtitle


def test_every_files_about_sheet_carries_the_provenance(built):
    wb = openpyxl.load_workbook(built.downloads / "kpi_comparison.xlsx")
    about = {r[0]: r[1] for r in wb["この資料について"].iter_rows(min_row=3, values_only=True)}
    assert about["元資料の公表日"] == UNDATED
    assert about["元資料の公開ページ"] == UNRECORDED and about["元資料の PDF"] == UNRECORDED
    assert about["このファイルを作ったポータル"] == f"砂川市 総合戦略オープンデータポータル。{UNSET}"


def test_the_build_time_is_labelled_as_the_build_time(client):
    page = words(client.get("/downloads/").get_data(as_text=True))
    assert "ビルドした日時：" in page and "改訂の日付や資料の公表日ではありません" in page
    assert "データを作成した日時" not in page
    assert "にビルドしたデータ）" in page


def test_the_manifest_records_urls_and_refuses_what_is_not_one(tmp_path):
    path = tmp_path / "manifest.yaml"
    given = MANIFEST.replace(
        '    published: "2024-03-29"\n',
        '    published: "2024-03-29"\n    page_url: https://example.jp/a\n    pdf_url: https://example.jp/a.pdf\n',
    )
    path.write_text(given, encoding="utf-8")
    (doc,) = read_manifest(path).documents
    assert (doc.page_url, doc.pdf_url) == ("https://example.jp/a", "https://example.jp/a.pdf")
    path.write_text(given.replace("https://example.jp/a.pdf", "javascript:alert(1)"), encoding="utf-8")
    with pytest.raises(SourceError, match=r"documents\[0\]\.pdf_url は http:// か https:// で始まる URL"):
        read_manifest(path)


def test_the_operator_setting_is_checked_and_documented(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["serve", "--help"]).output
    assert "--operator-name" in out and "--operator-contact" in out and "PORTAL_OPERATOR_NAME" in out
    db = tmp_path / "strategy.db"
    db.write_bytes(b"")
    refused = runner.invoke(main, ["serve", "--db", str(db), "--operator-name", "会", "--operator-contact", "<b>x"])
    assert refused.exit_code == 2 and "メールアドレスか http:// または https:// で始まる URL" in refused.output
    assert from_env({"PORTAL_OPERATOR_NAME": "会", "PORTAL_OPERATOR_CONTACT": "https://example.org/c"}) == Operator(
        "会", "https://example.org/c"
    )
    # a contact without a name does not make an operator; a name over one line is not taken
    assert not from_env({"PORTAL_OPERATOR_CONTACT": "a@example.org"}).is_set
    assert not from_env({"PORTAL_OPERATOR_NAME": "会\n<script>"}).is_set


def test_feed_dates_stay_across_rebuilds_and_a_new_change_gets_its_own(tree):
    """The same data rebuilt keeps every entry's date; a change first published later is dated later."""
    from portal.pipeline.build import build

    root, source = tree
    db, package = root / "db" / "strategy.db", root / "datapackage"

    def dates() -> dict[str, str]:
        feed = ET.fromstring(create_app({"DB": db, "TESTING": True}).test_client().get("/changes.atom").data)
        return {e.find(f"{ATOM}title").text: e.find(f"{ATOM}updated").text for e in feed.findall(f"{ATOM}entry")}

    first = dates()
    manifest = json.loads((root / "db" / "downloads" / "files.json").read_text(encoding="utf-8"))
    assert set(first.values()) == {manifest["built_at"]}
    # the history says when each change was first published: set it back, and a rebuild must date by it
    history = root / "db" / ".builds" / ".history.json"
    kept = json.loads(history.read_text(encoding="utf-8"))
    assert len(kept["changes"]) == len(first)
    long_ago = "2020-01-01T00:00:00+00:00"
    history.write_text(json.dumps({"changes": dict.fromkeys(kept["changes"], long_ago)}), encoding="utf-8")
    build(source, db, package)
    assert set(dates().values()) == {long_ago}
    # a reworded reason is another change: first published by this build, the others keep their dates
    text = source.read_text(encoding="utf-8").replace("新規事業の追加", "新しい事業の追加")
    source.write_text(text, encoding="utf-8")
    build(source, db, package)
    later = dates()
    built_at = json.loads((root / "db" / "downloads" / "files.json").read_text(encoding="utf-8"))["built_at"]
    moved = {t for t, d in later.items() if d != long_ago}
    assert moved and {later[t] for t in moved} == {built_at}
    assert len(moved) < len(later)
