"""The value forms of other municipalities' KPI tables, built end to end and checked on every surface.

The document (tests/value_forms.py) writes every form in 数値目標 and KPI
cells, as baselines and targets, in both columns; it is built by the real
pipeline into a temporary tree and served by the Flask pages.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3

import openpyxl
import pytest
from frictionless import validate

from portal.pipeline.build import build

from .test_chain_pages import text
from .value_forms import write_document


@pytest.fixture(scope="module")
def forms_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("forms")
    sources = root / "datapackage" / "sources"
    sources.mkdir(parents=True)
    return build(write_document(sources), root / "db" / "strategy.db", root / "datapackage")


@pytest.fixture(scope="module")
def rows(forms_build):
    conn = sqlite3.connect(forms_build.db)
    conn.row_factory = sqlite3.Row
    out = {
        "kpis": {(r["version_id"], r["name"]): dict(r) for r in conn.execute("select * from kpis")},
        "comparison": {r["name"]: dict(r) for r in conn.execute("select * from kpi_comparison")},
    }
    conn.close()
    return out


@pytest.fixture(scope="module")
def client(forms_build):
    from portal.web import create_app

    app = create_app({"DB": forms_build.db, "DOWNLOADS": forms_build.downloads, "TESTING": True})
    return app.test_client()


COLUMNS = ("text", "value", "unit", "per_year", "qualifier", "value_note", "base_value", "base_unit")
PERIOD = ("label", "year", "year_type", "year_start", "year_end")

#: (name, which) → the value's columns, then its year's; the same in both versions unless the revision changed it
EXPECTED = {
    ("観光消費額", "baseline"): (
        ("1億2,000万円", 12000, "万円", 0, None, None, 120000000, "円"),
        ("H30", 2018, "年", None, None),
    ),
    ("観光消費額", "target"): (
        ("1億5,000万円", 15000, "万円", 0, None, None, 150000000, "円"),
        ("R6", 2024, "年", None, None),
    ),
    ("転入者数", "baseline"): (
        ("590人", 590, "人", 0, None, "期間平均", 590, "人"),
        ("2009~14年", None, "年", 2009, 2014),
    ),
    ("転入者数", "target"): (
        ("2,000人以上", 2000, "人", 0, "at_least", None, 2000, "人"),
        ("令和3年度～令和6年度", None, "年度", 2021, 2024),
    ),
    ("一時預かりの利用回数", "baseline"): (
        ("—回/年", None, "回", 1, None, None, None, "回"),
        ("H31年度", 2019, "年度", None, None),
    ),
    ("一時預かりの利用回数", "target"): (
        ("12回/年以上", 12, "回", 1, "at_least", None, 12, "回"),
        ("R7年度", 2025, "年度", None, None),
    ),
    ("相談日数", "baseline"): (("10日/年", 10, "日", 1, None, None, 10, "日"), ("2019(H31)年", 2019, "年", None, None)),
    ("相談日数", "target"): (
        ("3,000日", 3000, "日", 0, None, None, 3000, "日"),
        ("令和3年度～令和6年度", None, "年度", 2021, 2024),
    ),
    ("研修の受講者数", "baseline"): (
        ("590人", 590, "人", 0, None, None, 590, "人"),
        ("2014年", 2014, "年", None, None),
    ),
    ("研修の受講者数", "target"): (("600人", 600, "人", 0, None, None, 600, "人"), ("2020年", 2020, "年", None, None)),
    ("補助金の交付額", "baseline"): (("—円", None, "円", 0, None, None, None, "円"), ("S63", 1988, "年", None, None)),
    ("補助金の交付額", "target"): (
        ("3億5万円", 30005, "万円", 0, None, None, 300050000, "円"),
        ("R元年", 2019, "年", None, None),
    ),
    ("相談件数", "baseline"): (("3件未満", 3, "件", 0, "below", None, 3, "件"), ("H27", 2015, "年", None, None)),
    ("相談件数", "target"): (("5件", 5, "件", 0, None, "累計", 5, "件"), ("H27～R1", None, "年", 2015, 2019)),
    ("利用世帯数", "baseline"): (
        ("100世帯超", 100, "世帯", 0, "above", None, 100, "世帯"),
        ("R6年度", 2024, "年度", None, None),
    ),
    ("利用世帯数", "target"): (("5%以下", 5, "%", 0, "at_most", None, 5, "%"), ("R7年度", 2025, "年度", None, None)),
}
#: what the revision (version 2) changed
CHANGED = {
    ("観光消費額", "target"): (
        ("1億8,000万円", 18000, "万円", 0, None, None, 180000000, "円"),
        ("R7", 2025, "年", None, None),
    ),
    ("転入者数", "target"): (
        ("2,500人", 2500, "人", 0, None, None, 2500, "人"),
        ("令和3年度～令和7年度", None, "年度", 2021, 2025),
    ),
    ("相談日数", "target"): (
        ("12日/年", 12, "日", 1, None, None, 12, "日"),
        ("令和3年度～令和6年度", None, "年度", 2021, 2024),
    ),
    ("研修の受講者数", "target"): (("650人", 650, "人", 0, None, None, 650, "人"), ("2020年", 2020, "年", None, None)),
    ("補助金の交付額", "target"): (
        ("2億9,000万円", 29000, "万円", 0, None, None, 290000000, "円"),
        ("R元年", 2019, "年", None, None),
    ),
}


def expected(version: int, name: str, which: str):
    return (CHANGED if version == 2 and (name, which) in CHANGED else EXPECTED)[name, which]


@pytest.mark.parametrize("version", [1, 2])
def test_every_form_is_read_into_its_columns_in_both_columns(rows, version):
    for (name, which), _ in EXPECTED.items():
        k = rows["kpis"][version, name]
        values, period = expected(version, name, which)
        assert tuple(k[f"{which}_{c}"] for c in COLUMNS) == values, (version, name, which)
        assert tuple(k[f"{which}_{c}"] for c in PERIOD) == period, (version, name, which)
    assert len([key for key in rows["kpis"] if key[0] == version]) == 8


def test_the_comparison_carries_both_sides_and_never_compares_unlike_targets(rows):
    c = rows["comparison"]
    got = {name: (r["status"], r["target_difference"]) for name, r in c.items()}
    assert got == {
        "観光消費額": ("target_raised", 3000),
        "転入者数": ("qualifier_changed", None),
        "一時預かりの利用回数": ("unchanged", 0),
        "相談日数": ("target_changed", None),
        "研修の受講者数": ("target_raised", 50),
        "補助金の交付額": ("target_lowered", -1005),
        "相談件数": ("unchanged", 0),
        "利用世帯数": ("unchanged", 0),
    }
    move = c["転入者数"]
    assert (move["before_target_qualifier"], move["after_target_qualifier"]) == ("at_least", None)
    assert (move["before_target_year_end"], move["after_target_year_end"]) == (2024, 2025)
    assert move["before_baseline_value_note"] == move["after_baseline_value_note"] == "期間平均"
    days = c["相談日数"]
    assert (days["before_target_per_year"], days["after_target_per_year"]) == (0, 1)
    assert days["before_baseline_per_year"] == days["after_baseline_per_year"] == 1
    grant = c["補助金の交付額"]
    assert (grant["before_target_base_value"], grant["after_target_base_value"]) == (300050000, 290000000)


def test_the_package_publishes_the_columns_and_validates(forms_build):
    report = validate(forms_build.package / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    with (forms_build.package / "data" / "kpis.csv").open(encoding="utf-8") as fh:
        kpis = {(r["version_id"], r["name"]): r for r in csv.DictReader(fh)}
    moving = kpis["1", "転入者数"]
    assert (moving["target_text"], moving["target_qualifier"], moving["target_year"]) == ("2,000人以上", "at_least", "")
    assert (moving["target_year_start"], moving["target_year_end"], moving["baseline_value_note"]) == (
        "2021",
        "2024",
        "期間平均",
    )
    assert (kpis["1", "相談日数"]["baseline_per_year"], kpis["1", "相談日数"]["target_per_year"]) == ("true", "false")
    assert kpis["1", "補助金の交付額"]["target_base_value"] == "300050000"
    units = (forms_build.package / "data" / "units.csv").read_text(encoding="utf-8")
    assert "\n日," in units and "\n万円," in units
    schema = json.loads((forms_build.package / "datapackage.json").read_text(encoding="utf-8"))
    kpi_fields = next(r for r in schema["resources"] if r["name"] == "kpis")["schema"]["fields"]
    qualifier = next(f for f in kpi_fields if f["name"] == "target_qualifier")
    assert qualifier["constraints"]["enum"] == ["at_least", "at_most", "below", "above"]


def test_the_files_for_people_say_the_qualifier_in_words(forms_build):
    ws = openpyxl.load_workbook(forms_build.downloads / "kpis.xlsx").worksheets[0]
    head = [c.value for c in ws[1]]
    sheet = [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    moving = next(r for r in sheet if r["指標名"] == "転入者数" and r["目標値（資料の表記）"] == "2,000人以上")
    assert moving["目標値の範囲（以上・以下など）"] == "以上"
    assert moving["目標年の期間の始まり（西暦）"] == 2021 and moving["目標年の期間の終わり（西暦）"] == 2024
    assert moving["基準値の注記"] == "期間平均"
    days = next(r for r in sheet if r["指標名"] == "相談日数")
    assert days["基準値は一年あたり"] == "はい"
    excel = (forms_build.downloads / "kpis.excel.csv").read_text(encoding="utf-8-sig")
    people = list(csv.DictReader(excel.splitlines()))
    assert any(
        r["目標値（資料の表記）"] == "12回/年以上" and r["目標値の範囲（以上・以下など）"] == "以上" for r in people
    )
    comparison = openpyxl.load_workbook(forms_build.downloads / "kpi_comparison.xlsx").worksheets[0]
    head = [c.value for c in comparison[1]]
    statuses = [
        dict(zip(head, r, strict=True))["比較の結果"] for r in comparison.iter_rows(min_row=2, values_only=True)
    ]
    assert "目標値の範囲の変更（「以上」などが違い、数値では比べられない）" in statuses


def test_the_goal_page_shows_values_as_written_with_notes_and_periods(client):
    page = text(client.get("/goals/1"))
    for shown in (
        "2,500人 令和3年度～令和7年度（2021～2025年度）",
        "590人（期間平均） 2009~14年（2009～2014年）",
        "1億8,000万円 R7（2025年）",
        "12回/年以上 R7年度（2025年）",
        "—回/年 H31年度（2019年）",
        "10日/年 2019(H31)年（2019年）",
        "5件（累計） H27～R1（2015～2019年）",
        "3件未満",
        "100世帯超",
        "5%以下",
    ):
        assert shown in page, shown
    old = text(client.get("/goals/1?v=1"))
    assert "2,000人以上 令和3年度～令和6年度（2021～2024年度）" in old


def kpi_id(forms_build, version: int, name: str) -> int:
    conn = sqlite3.connect(forms_build.db)
    try:
        return conn.execute("select id from kpis where version_id = ? and name = ?", (version, name)).fetchone()[0]
    finally:
        conn.close()


def test_a_kpi_page_keeps_the_qualifier_and_draws_a_rate_on_its_own_scale(client, forms_build):
    page = text(client.get(f"/kpis/{kpi_id(forms_build, 1, '相談日数')}"))
    assert "「/年」のある値は一年あたりの値で、期間の合計ではありません。" in page
    assert "グラフでは別の目盛りで描いています" in page
    raw = client.get(f"/kpis/{kpi_id(forms_build, 1, '相談日数')}").get_data(as_text=True)
    widths = [int(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="(\d+)"', raw)]
    # baseline 10日/年, then the two versions' targets 3,000日 and 12日/年: the rates share a scale, the total has its
    # own, so no rate is drawn as a sliver of the total
    baseline, total, rate = widths
    assert total == rate and baseline == round(rate * 10 / 12)
    qualified = text(client.get(f"/kpis/{kpi_id(forms_build, 2, '一時預かりの利用回数')}"))
    assert "目標値はR7年度（2025年）に 12回/年以上 です。" in qualified
    money = text(client.get(f"/kpis/{kpi_id(forms_build, 2, '補助金の交付額')}"))
    assert "2億9,000万円は290,000,000円" in money
    moved = text(client.get(f"/kpis/{kpi_id(forms_build, 2, '転入者数')}"))
    assert "目標値が2,000人以上（令和3年度～令和6年度）から2,500人（令和3年度～令和7年度）に変わりました" in moved
    assert "数値では比べられません" in moved


def test_the_comparison_page_says_a_qualified_target_is_not_compared_by_number(client):
    page = text(client.get("/kpis/compare"))
    assert "目標値の範囲の変更（「以上」などが違い、数値では比べられない）" in page
    assert "目標値 ＋3,000万円" in page and "目標値 −1,005万円" in page
    assert "目標値 ＋50人" in page
    only = text(client.get("/kpis/compare?status=qualifier_changed"))
    assert "転入者数" in only and "相談日数" not in only


def test_the_changes_page_words_the_moves_by_kind(client):
    page = text(client.get("/changes/"))
    assert "目標値が2,000人以上から2,500人に変わり" in page
    assert "目標値が3,000日から12日/年に変わり" in page
    assert "目標値が1億5,000万円から1億8,000万円に上がり" in page


def test_the_data_dictionary_documents_the_new_columns(client):
    page = text(client.get("/downloads/dictionary"))
    for column in (
        "target_qualifier",
        "target_per_year",
        "target_value_note",
        "target_year_start",
        "target_base_value",
    ):
        assert column in page
    assert "at_least" in page and "以上" in page and "qualifier_changed" in page


def test_the_canned_queries_keep_the_qualifier_the_rate_and_the_note(forms_build):
    from portal.datasette.metadata import metadata

    queries = metadata()["databases"]["strategy"]["queries"]
    conn = sqlite3.connect(forms_build.db)
    conn.row_factory = sqlite3.Row
    try:

        def run(name: str) -> dict[str, dict]:
            sql = queries[name]["sql"]
            return {r["指標"]: dict(r) for r in conn.execute(sql, dict.fromkeys(re.findall(r":(\w+)", sql), 2))}

        flat = run("kpi_flat")
        changes = run("kpi_value_changes")
    finally:
        conn.close()
    visits = flat["一時預かりの利用回数"]
    assert (visits["目標値"], visits["目標値の単位"], visits["目標値の範囲"]) == (12, "回/年", "以上")
    assert (
        flat["相談件数"]["目標値の注記"],
        flat["相談件数"]["目標期間の始まり"],
        flat["相談件数"]["目標期間の終わり"],
    ) == (
        "累計",
        2015,
        2019,
    )
    moving = changes["転入者数"]
    assert moving["変更前の目標値"] == "2,000人以上（令和3年度～令和6年度）"
    assert moving["変更前の基準値"] == "590人（期間平均）（2009~14年）"
    assert moving["比較の結果"] == "目標値の範囲の変更（「以上」などが違い、数値では比べられない）"


@pytest.mark.parametrize(
    "line, wrong, message",
    [
        ("10日/年   3,000日 ", "10日/年   3,0000日 ", "桁区切り"),
        ("10日/年   3,000日 ", "10日/年   3,000頭 ", "未知の単位「頭」"),
        ("10日/年   3,000日 ", "10日/年   たくさん ", "未知の言葉の値「たくさん」"),
        ("10日/年   3,000日 ", "10日/年   約3,000日 ", "基準値と目標値の行として読めません"),
        ("10日/年   3,000日 ", "10日/年   3,000日(R5年)(R6年) ", "年が二度"),
        ("10日/年   3,000日 ", "10日/年(H30)   3,000日 ", "年が二度書かれています（値の後の括弧と、表の年の欄）"),
        (
            "（2019(H31)年） （令和3年度～令和6年度） ",
            "（2019(H31)年） （令和6年度～令和3年度） ",
            "始まりより後ではありません",
        ),
        ("（2019(H31)年） （令和3年度～令和6年度） ", "（2019(H31)年） （令和3年～令和6年度） ", "混ざっています"),
        ("（2019(H31)年） （令和3年度～令和6年度） ", "（2019(H30)年） （令和3年度～令和6年度） ", "和暦が違う年"),
        ("（2019(H31)年） （令和3年度～令和6年度） ", "（2019(H31)年） （Q3年度） ", "未知の元号「Q」"),
        ("590 人(2014 年)   600人(2020年) ", "590 人(2014 年)   600人 ", "年の行があるはずです"),
        (
            "転入者数 590 人（期間平均）（2009~14 年） 2,000人以上（令和3年度～令和6年度） ",
            "転入者数 590 人（2014年）（2009~14 年） 2,000人以上（令和3年度～令和6年度） ",
            "年が二度",
        ),
        (
            "観光消費額 1億2,000万円（H30） 1億5,000万円（R6） ",
            "観光消費額 1億12,000万円（H30） 1億5,000万円（R6） ",
            "形が違います",
        ),
    ],
)
def test_a_refused_cell_stops_the_build_at_its_file_and_line(tmp_path, line, wrong, message):
    from portal.pipeline.build import parse
    from portal.pipeline.errors import SourceError

    from .layout import document, line_of, page, write
    from .value_forms import AFTER, BEFORE

    before = [wrong if x == line else x for x in BEFORE]
    assert before != BEFORE
    text = document(page(before, AFTER, [["指標の見直し "]]))
    path = write(tmp_path, text)
    with pytest.raises(SourceError, match=message) as err:
        parse(path)
    assert err.value.line == line_of(text, wrong.strip()) or (
        "年の行" in message and err.value.line == line_of(text, "補助金の交付額")
    )
    assert str(err.value).startswith(f"{path}:{err.value.line}: ")
