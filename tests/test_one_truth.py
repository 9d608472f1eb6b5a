"""One fact, one name, one count: every surface that tells a change or a comparison status uses the same label for
the same row, and every surface counts indicators the same way.

The surfaces are read as their users get them: the pages and the Atom feed
(Flask), the xlsx and the Excel CSV (the build's files), Datasette's table and
row pages and the canned queries (the whole portal in this process).
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from html import unescape

import openpyxl

from portal.pipeline.display import count_rule
from portal.pipeline.schema import labels

ATOM = "{http://www.w3.org/2005/Atom}"
#: a change of a KPI and the comparison status of the same indicator in the same revision: one event, one name
SAME_EVENT = {
    "kpi_added": "added",
    "kpi_removed": "removed",
    "kpi_changed_to_not_set": "changed_to_not_set",
    "kpi_set_from_not_set": "set_from_not_set",
    "kpi_not_set": "added_not_set",
    "kpi_not_set_removed": "removed_not_set",
}


def text(response) -> str:
    return response.get_data(as_text=True) if hasattr(response, "get_data") else response.text


def plain(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def sheet_rows(path, key: str) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    heads = [c.value for c in ws[1]]
    return {
        str(r[heads.index(key)]): dict(zip(heads, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }


def csv_rows(path, key: str) -> dict[str, dict]:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return {r[key]: r for r in rows}


def query_rows(portal, name: str, params: str = "") -> list[dict]:
    r = portal.get(f"/data/strategy/{name}.json?_shape=array{params}")
    assert r.status_code == 200, name
    return r.json()


def test_a_change_has_one_label_on_every_surface(client, portal, built, built_db):
    names = labels("changes", "change_type")
    feed = ET.fromstring(client.get("/changes.atom").data)
    categories = {
        e.find(f"{ATOM}id").text.rsplit("/", 1)[-1]: e.find(f"{ATOM}category").get("label")
        for e in feed.findall(f"{ATOM}entry")
    }
    xlsx = sheet_rows(built.downloads / "changes.xlsx", "変更ID")
    excel = csv_rows(built.downloads / "changes.excel.csv", "変更ID")
    canned = {
        str(r["変更ID"]): r["変更の種類"]
        for name in ("kpis_added_removed", "project_changes")
        for r in query_rows(portal, name)
    }
    table = portal.get("/data/strategy/changes?_defaults=off&_size=max").text
    goal_pages = {n: text(client.get(f"/goals/{n}?v={v}")) for n in (1, 2, 3, 4) for v in (1, 2)}
    checked = marked = 0
    for c in built_db.execute("SELECT id, change_type, goal_no FROM changes"):
        cid, label = str(c["id"]), names[c["change_type"]]
        page = text(client.get(f"/changes/{cid}"))
        assert f"<h1>変更 {cid}：{label}</h1>" in page, cid
        assert categories[cid] == label, cid
        assert xlsx[cid]["変更の種類"] == label and excel[cid]["変更の種類"] == label, cid
        row = portal.get(f"/data/strategy/changes/{cid}").text
        assert f'data-code="{c["change_type"]}">{label}</span>' in row, cid
        cell = re.search(rf'<a href="/data/strategy/changes/{cid}">{cid}</a></td>', table)
        assert cell, cid
        row_html = table[table.rindex("<tr>", 0, cell.start()) : cell.end()]
        assert f'data-code="{c["change_type"]}">{label}</span>' in row_html, cid
        if cid in canned:
            assert canned[cid] == label, cid
        # a goal page marks the row the change is about with the same words
        badges = [
            m for b in goal_pages.values() for m in re.findall(rf'href="/changes/{cid}">(?:次の改訂で)?([^<]+)<span', b)
        ]
        assert all(b == label for b in badges), (cid, badges)
        marked += len(badges)
        checked += 1
    in_goals = built_db.execute("SELECT count(*) FROM changes WHERE goal_no IS NOT NULL").fetchone()[0]
    assert checked == 18 and len(canned) >= 8 and marked >= in_goals == 14


def test_a_comparison_status_has_one_label_on_every_surface(client, portal, built, built_db):
    names = labels("kpi_comparison", "status")
    xlsx = sheet_rows(built.downloads / "kpi_comparison.xlsx", "比較ID")
    excel = csv_rows(built.downloads / "kpi_comparison.excel.csv", "比較ID")
    compare = text(client.get("/kpis/compare"))
    lists = {v: text(client.get(f"/kpis/?v={v}")) for v in (1, 2)}
    for r in built_db.execute("SELECT * FROM kpi_comparison"):
        cid, label = str(r["id"]), names[r["status"]]
        assert xlsx[cid]["比較の結果"] == label and excel[cid]["比較の結果"] == label, cid
        row = portal.get(f"/data/strategy/kpi_comparison/{cid}").text
        assert f'data-code="{r["status"]}">{label}</span>' in row, cid
        assert f"compare-{r['status']} life-" in compare
        for side, version in (("before_kpi_id", r["from_version_id"]), ("after_kpi_id", r["to_version_id"])):
            if r[side] is None:
                continue
            kpi = text(client.get(f"/kpis/{r[side]}"))
            assert f">{label}</span>：" in kpi, (cid, side)
            listed = re.search(rf'href="/kpis/{r[side]}">.*?</(?:tr|li)>', lists[version], re.S).group(0)
            assert f">{label}</span>" in listed, (cid, side)
    statuses = {plain(m) for m in re.findall(r'<span class="compare-status[^"]*">(.*?)</span>', compare)}
    assert statuses <= set(names.values()) and statuses


def test_a_kpi_change_and_its_comparison_row_are_one_event_with_one_name(built_db):
    changes = labels("changes", "change_type")
    statuses = labels("kpi_comparison", "status")
    pairs = built_db.execute(
        "SELECT c.change_type, k.status FROM kpi_comparison k JOIN changes c ON c.id = k.change_id"
        " WHERE c.element_table = 'kpis'"
    ).fetchall()
    assert pairs
    for change_type, status in pairs:
        if change_type in SAME_EVENT:
            assert SAME_EVENT[change_type] == status
            assert changes[change_type] == statuses[status], (change_type, status)
    # change 14 is told as what it is, nowhere as a deletion
    (row,) = built_db.execute("SELECT change_type FROM changes WHERE id = 14")
    assert changes[row[0]] == "指標を置かないことに変更"


def test_indicators_are_counted_alike_on_every_surface(client, portal, built_db):
    """The latest version's indicators per goal, and its projects without one, as each surface counts them."""
    indicators, none = count_rule("indicators"), count_rule("no_indicator")
    latest = built_db.execute("SELECT id FROM versions ORDER BY seq DESC LIMIT 1").fetchone()[0]
    rows = [dict(r) for r in built_db.execute("SELECT * FROM kpis WHERE version_id = ?", [latest])]
    expected = {n: sum(1 for r in indicators.rows("kpis", rows) if r["goal_no"] == n) for n in (1, 2, 3, 4)}
    without = {n: sum(1 for r in none.rows("kpis", rows) if r["goal_no"] == n) for n in (1, 2, 3, 4)}
    assert expected == {1: 4, 2: 1, 3: 9, 4: 2} and without == {1: 0, 2: 0, 3: 2, 4: 0}
    # the list of KPIs
    page = plain(text(client.get("/kpis/")))
    for n, count in expected.items():
        said = f"指標 {count} 件" + (f"。ほかに指標を置かない事業 {without[n]} 件" if without[n] else "")
        assert said in page, n
    # the canned query
    per_goal = {r["基本目標"]: r for r in query_rows(portal, "kpis_per_goal")}
    assert {n: r["指標"] for n, r in per_goal.items()} == expected
    assert {n: r["指標を置かない事業"] for n, r in per_goal.items()} == without
    # Datasette's page of the table, as it opens: the latest version's indicators, counted per goal
    facet = portal.get("/data/strategy/kpis").text
    facet = facet[facet.index('id="facet-goal_no"') :]
    facet = facet[: facet.index("</ul>")]
    shown = dict(re.findall(r">基本目標([１２３４])</a> (\d+) 行", facet))
    assert {"１２３４".index(k) + 1: int(v) for k, v in shown.items()} == expected
    # the comparison: every indicator of the revision, the projects without one apart
    compare = plain(text(client.get("/kpis/compare")))
    total = built_db.execute("SELECT count(*) FROM indicators").fetchone()[0]
    assert f"指標 {total} 件を比べました" in compare
