"""The .xlsx downloads, opened with openpyxl as a spreadsheet program would read them."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import openpyxl
import pytest

from portal.pipeline.downloads import write_excel_csv, write_xlsx
from portal.pipeline.schema import package_meta, table, tables

from .test_downloads import GOAL_NAMES, people_layout, people_text

TABLES = [t.name for t in tables()]


@pytest.fixture(scope="module")
def workbooks(built):
    return {name: openpyxl.load_workbook(built.downloads / f"{name}.xlsx") for name in TABLES}


def plain_rows(built, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((built.downloads / f"{name}.csv").read_text(encoding="utf-8"))))


@pytest.mark.parametrize("name", TABLES)
def test_each_workbook_has_the_rows_with_the_right_types(built, workbooks, name):
    t = next(t for t in tables() if t.name == name)
    wb = workbooks[name]
    assert wb.sheetnames[1:] == ["この資料について", "項目の説明"]
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    fields = people_layout(t, header)
    # each heading's note names the column as the CSV and SQL name it
    notes = [c.comment.text.splitlines()[0] for c in ws[1]]
    assert notes == [f"列名: {f['name']}" if f else "列名: goal_no から（基本目標の名前）" for f in fields]
    assert ws.freeze_panes == "A2"
    plain = plain_rows(built, name)
    last_column = openpyxl.utils.get_column_letter(len(header))
    assert ws.auto_filter.ref == f"A1:{last_column}{max(len(plain), 2)}"
    cells = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(cells) == len(plain) - 1
    for row, csv_row in zip(cells, plain[1:], strict=True):
        by_name = dict(zip(plain[0], csv_row, strict=True))
        for f, value in zip(fields, row, strict=True):
            if f is None:
                assert value == GOAL_NAMES.get(by_name["goal_no"]), (name, value)
                continue
            code = by_name[f["name"]]
            if code == "":
                assert value is None, (name, f["name"])
            elif f["type"] == "integer" and "categories" not in f and f["name"] not in VERSION_COLUMNS:
                assert type(value) is int and value == int(code), (name, f["name"], value)
            elif f["type"] == "number":
                assert isinstance(value, int | float) and not isinstance(value, bool)
                assert value == float(code), (name, f["name"], value)
            else:
                assert isinstance(value, str), (name, f["name"], value)
                assert value == people_text(f, code, name), (name, f["name"], code, value)


VERSION_COLUMNS = {"version_id", "from_version_id", "to_version_id", "first_version_id", "last_version_id"}


def test_the_municipality_code_is_text_and_no_code_is_shown(workbooks):
    for name, wb in workbooks.items():
        t = next(t for t in tables() if t.name == name)
        ws = wb.worksheets[0]
        columns = [c.value for c in ws[1]]
        if "全国地方公共団体コード" in columns:
            at = columns.index("全国地方公共団体コード")
            codes = {(r[at].value, r[at].data_type, r[at].number_format) for r in ws.iter_rows(min_row=2)}
            assert codes == {("012262", "s", "@")}, name
        fields = people_layout(t, columns)
        for col, f in enumerate(fields):
            if f is None:
                continue
            shown = {r[col] for r in ws.iter_rows(min_row=2, values_only=True)} - {None}
            if "categories" in f:
                codes = {c["value"] for c in f["categories"]} - {c["label"] for c in f["categories"]}
                assert not shown & codes, (name, f["name"], shown & codes)
                assert shown <= {c["label"] for c in f["categories"]}
            if f["type"] == "boolean":
                assert shown <= {"はい", "いいえ"}, (name, f["name"])


def test_years_are_whole_numbers_and_values_keep_their_decimals(workbooks):
    ws = workbooks["kpis"].worksheets[0]
    columns = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    years = {r[columns.index("目標年（西暦）")] for r in rows} - {None}
    assert years == {2025}
    assert all(type(y) is int for y in years)
    coupons = next(r for r in rows if r[columns.index("指標名")] == "クーポンを利用した世帯の割合")
    assert coupons[columns.index("基準値")] == 57.7
    assert coupons[columns.index("基準値の単位")] == "%"
    cell = next(
        r[columns.index("基準値")]
        for r in workbooks["kpis"].worksheets[0].iter_rows(min_row=2)
        if r[columns.index("指標名")].value == "就業者数"
    )
    assert (cell.value, cell.number_format) == (7740, "#,##0")


def test_the_about_sheet_explains_the_file(workbooks):
    meta = package_meta()
    for name, wb in workbooks.items():
        ws = wb["この資料について"]
        text = "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
        assert meta["attribution"] in text, name
        assert meta["source"]["title"] in text
        assert "「－」" in text and "0 ではありません" in text
        assert "各年度" in text and "毎年度" in text
        assert "012262" in text
        assert "変更前（当初の第２期総合戦略）" in text and "変更後（改訂後）" in text
        assert meta["license"]["path"] in text
        columns = wb["項目の説明"]
        names = [r[1] for r in columns.iter_rows(min_row=2, values_only=True)]
        t = next(t for t in tables() if t.name == name)
        assert sorted(set(names)) == sorted(t.columns)
        # where the data comes from, and who runs the portal: said, or said to be unrecorded or unset
        assert "元資料の公表日" in text and "資料に公表日の記載がなく" in text
        assert "元資料の公開ページ" in text and "元資料の一覧（manifest.yaml）に記録がありません" in text
        assert "このポータルの運営者は、まだ設定されていません。" in text
        assert "previous_id" not in text  # plain words, not the developers' ones


def test_the_comparison_workbook_answers_which_targets_changed(workbooks):
    ws = workbooks["kpi_comparison"].worksheets[0]
    columns = [c.value for c in ws[1]]
    rows = [dict(zip(columns, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert {r["比較の結果"] for r in rows} == {
        "指標は変更なし",
        "指標の追加",
        "指標を置かないことに変更",
        "追加された事業で指標を置かない",
    }
    dropped = next(r for r in rows if r["比較の結果"] == "指標を置かないことに変更")
    assert (dropped["指標名"], dropped["変更前の目標値"], dropped["変更前の目標年（資料の表記）"]) == (
        "対象者１人当たりの助成額",
        8400,
        "各年度",
    )
    assert dropped["事業名が変わった"] == "はい"


def test_workbooks_are_listed_in_the_manifest(built):
    manifest = json.loads((built.downloads / "files.json").read_text(encoding="utf-8"))
    xlsx = {f["table"]: f for f in manifest["files"] if f["format"] == "xlsx"}
    assert set(xlsx) == set(TABLES)
    assert {f["media_type"] for f in xlsx.values()} == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    }


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    """A hostile source line cannot become a formula in either file made for Excel."""
    db = tmp_path / "t.db"
    conn = sqlite3.connect(db)
    for name in ("versions", "goals", "documents", "reasons"):
        conn.execute(f"create table {name} (" + ", ".join(table(name).columns) + ")")
    conn.execute("insert into versions (id, seq, label) values (1, 1, '変更前')")
    t = table("reasons")
    conn.execute(
        "insert into reasons values (" + ", ".join("?" * len(t.columns)) + ")",
        [1, 1, 1, 1, '=HYPERLINK("http://x","y")', None, 1, 1],
    )
    write_excel_csv(conn, t, tmp_path / "r.excel.csv")
    write_xlsx(conn, t, tmp_path / "r.xlsx")
    cells = list(csv.reader(io.StringIO((tmp_path / "r.excel.csv").read_text(encoding="utf-8-sig"))))
    at = cells[0].index(t.field("text")["title"])
    assert cells[1][at] == '\'=HYPERLINK("http://x","y")'
    cell = openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets[0].cell(2, at + 1)
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://x","y")')
