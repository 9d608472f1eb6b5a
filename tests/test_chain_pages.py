"""The pages across N versions: a chain of three 新旧対照表 built through a manifest and served by the Flask app."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pytest

from portal import paths
from portal.pipeline.build import build

from .chain import MANIFEST, documents


def text(r) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.get_data(as_text=True)))


@pytest.fixture(scope="module")
def chain_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain")
    sources = root / "datapackage" / "sources"
    sources.mkdir(parents=True)
    documents(sources)
    (sources / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "MANIFEST", sources / "manifest.yaml")
        return build(None, root / "db" / "strategy.db", root / "datapackage")


@pytest.fixture(scope="module")
def client(chain_build):
    from portal.web import create_app

    app = create_app({"DB": chain_build.db, "TESTING": True})
    return app.test_client()


def kpi_ids(db, name: str) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("select id from kpis where name = ? order by version_id", (name,))]
    finally:
        conn.close()


def test_the_package_carries_every_document_and_four_versions(chain_build):
    assert chain_build.counts["versions"] == 4
    assert chain_build.counts["documents"] == 3
    for name in ("rev1.txt", "rev2.txt", "rev3.txt"):
        assert (chain_build.package / "sources" / name).is_file()


def test_the_version_switch_offers_every_version_with_its_date(client):
    r = client.get("/kpis/")
    assert r.status_code == 200
    page = text(r)
    for label in ("当初版（2020-03-31）", "一回目の改訂（2021-03-31）", "二回目の改訂（2022-03-31）", "三回目の改訂"):
        assert label in page
    assert 'href="/kpis/?v=4" aria-current="page"' in r.get_data(as_text=True)  # the latest by default
    assert client.get("/kpis/?v=3").status_code == 200
    bad = client.get("/kpis/?v=5")
    assert bad.status_code == 400
    assert "版の番号" in bad.get_data(as_text=True)


def test_a_kpi_page_shows_the_whole_history_with_reasons_and_a_chart(client, chain_build):
    ids = kpi_ids(chain_build.db, "一時預かりを利用した延べ児童数")
    assert len(ids) == 4
    r = client.get(f"/kpis/{ids[1]}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    page = text(r)
    assert "すべての版での移り変わり" in page
    history = html[html.index('id="history"') :]
    table = history[history.index("<table") : history.index("</table>")]
    rows = re.findall(r"<tr>.*?</tr>", table, flags=re.S)[1:]
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert [c.split(" ")[0] for c in cells] == ["当初版", "一回目の改訂", "二回目の改訂", "三回目の改訂"]
    assert ["１５０人" in cells[0], "１６０人" in cells[1], "１７０人" in cells[2], "１７０人" in cells[3]] == [
        True
    ] * 4
    assert "指標の見直し" in cells[1] and "事業の見直し" in cells[2] and "変更なし" in cells[3]
    # the chart draws one target bar per version
    svg = history[history.index("<svg") : history.index("</svg>")]
    assert all(v in svg for v in ("１５０人", "１６０人", "１７０人"))


def test_a_removed_indicator_shows_the_change_that_removed_it(client, chain_build):
    (first, second) = kpi_ids(chain_build.db, "相談件数")
    page = text(client.get(f"/kpis/{first}"))
    assert "この指標はなくなりました" in page
    assert "事業の見直し" in page


def test_changes_can_be_filtered_by_revision(client):
    everything = text(client.get("/changes/"))
    assert "改訂" in everything
    latest = client.get("/changes/?rev=4")
    assert latest.status_code == 200
    assert "数値目標の見直し" in text(latest) and "事業の見直し" not in text(latest)
    assert "事業の見直し" in text(client.get("/changes/?rev=3"))
    assert client.get("/changes/?rev=9").status_code == 400


def test_the_top_page_lists_the_main_changes_per_revision_latest_first(client):
    page = text(client.get("/"))
    order = [page.index(f"{a} → {b}") for a, b in (("二回目の改訂", "三回目の改訂"), ("一回目の改訂", "二回目の改訂"))]
    assert order == sorted(order)
    assert page.index("当初版 → 一回目の改訂") > order[-1]


def test_portal_build_takes_several_sources_in_order(tmp_path):
    paths_ = documents(tmp_path)
    db, package = tmp_path / "db" / "strategy.db", tmp_path / "pkg"
    args = [sys.executable, "-m", "portal.cli", "build"]
    for p in paths_:
        args += ["--source", str(p)]
    done = subprocess.run([*args, "--db", str(db), "--package", str(package)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db)
    got = conn.execute("select id, label from versions order by id").fetchall()
    assert got == [
        (1, "変更前（rev1.txt）"),
        (2, "変更後（rev1.txt）"),
        (3, "変更後（rev2.txt）"),
        (4, "変更後（rev3.txt）"),
    ]
