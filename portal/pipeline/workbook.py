"""One table as an Excel workbook (.xlsx), written with XlsxWriter.

The data sheet has the Japanese column titles in a frozen first row (each
with a note giving the column's name in the CSV and SQL, and its meaning),
an autofilter, widths that fit the contents, the municipality code and all
other text as text, numbers as numbers and years as whole numbers.  Codes
are shown as their Japanese labels, true/false as はい/いいえ and versions by
name.  Two more sheets explain the file: 「この資料について」 (source,
attribution, licence, the meaning of 「－」 and 「各年度」) and 「項目の説明」
(every column).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

import xlsxwriter

from .schema import Table, for_people, package_meta, version_fields

DATA_SHEET_LIMIT = 31  # Excel's longest sheet name
#: fixed document dates, so the same data gives the same bytes
WORKBOOK_TIME = datetime(2024, 1, 1)
MIN_WIDTH, MAX_WIDTH = 6, 48
NOTES = [
    ("「－」の意味", "資料で基準値が「－」（基準値なし）のとき、数値の列は空欄です。0 ではありません。"),
    ("「各年度」の意味", "年ではなく、毎年度達成する目標（または毎年度の値）です。年（西暦）の列は空欄です。"),
    ("空欄", "値がないことを表します（指標を設定しない事業、追加・削除で片方の版にない値など）。"),
    ("はい／いいえ", "「はい」「いいえ」で答える列です（CSV・JSON では true / false）。"),
]


def display_width(text: str) -> int:
    """Columns of text in Excel's width units: wide (Japanese) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_name(title: str) -> str:
    """A table title as a valid sheet name: no []:*?/\\ and at most 31 characters."""
    cleaned = "".join("・" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:DATA_SHEET_LIMIT]


def write_workbook(table: Table, columns: list[str], rows: list[tuple], version_labels: dict[int, str], path: Path):
    """Write `rows` of `table` (in `columns` order) as an xlsx workbook at `path`."""
    meta = package_meta()
    wb = xlsxwriter.Workbook(
        str(path),
        # every text is written as text: no number, formula or link is made from it
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        wb.set_properties(
            {
                "title": table.title,
                "subject": meta["title"],
                "author": meta["publisher"]["name"],
                "company": meta["publisher"]["name"],
                "comments": meta["attribution"],
                "created": WORKBOOK_TIME,
            }
        )
        wb.set_custom_property("attribution", meta["attribution"])
        fmt = {
            "head": wb.add_format(
                {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF6", "bottom": 1}
            ),
            "text": wb.add_format({"valign": "top", "num_format": "@"}),
            "wrap": wb.add_format({"valign": "top", "text_wrap": True, "num_format": "@"}),
            "integer": wb.add_format({"valign": "top", "num_format": "0"}),
            "count": wb.add_format({"valign": "top", "num_format": "#,##0"}),
            "decimal": wb.add_format({"valign": "top", "num_format": "#,##0.0##"}),
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "label": wb.add_format({"bold": True, "valign": "top", "text_wrap": True}),
            "para": wb.add_format({"valign": "top", "text_wrap": True}),
        }
        _data_sheet(wb, fmt, table, columns, rows, version_labels)
        _about_sheet(wb, fmt, table, version_labels)
        _columns_sheet(wb, fmt, table, columns)
    finally:
        wb.close()


def _data_sheet(wb, fmt, table: Table, columns: list[str], rows: list[tuple], version_labels: dict[int, str]):
    ws = wb.add_worksheet(sheet_name(table.title))
    fields = [table.field(c) for c in columns]
    versions = version_fields(table)
    widths = [display_width(f["title"]) for f in fields]
    for col, f in enumerate(fields):
        ws.write_string(0, col, f["title"], fmt["head"])
        ws.write_comment(
            0,
            col,
            f"列名: {f['name']}\n{' '.join(f['description'].split())}",
            {"x_scale": 2.2, "y_scale": 2.0},
        )
    for r, row in enumerate(rows, start=1):
        for col, (f, raw) in enumerate(zip(fields, row, strict=True)):
            value = for_people(raw, f, version_labels if f["name"] in versions else None)
            if value is None:
                continue
            if isinstance(value, str):
                widest = max(map(display_width, value.splitlines() or [""]))
                wrap = widest > MAX_WIDTH or "\n" in value
                ws.write_string(r, col, value, fmt["wrap" if wrap else "text"])
                widths[col] = max(widths[col], min(MAX_WIDTH, widest))
            else:
                style = "integer" if f["type"] == "integer" else "count" if float(value).is_integer() else "decimal"
                ws.write_number(r, col, value, fmt[style])
                shown = f"{value:,}" if style != "integer" else str(value)
                widths[col] = max(widths[col], display_width(shown))
    for col, width in enumerate(widths):
        ws.set_column(col, col, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)))
    ws.set_row(0, 36)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(fields) - 1)


def _about_sheet(wb, fmt, table: Table, version_labels: dict[int, str]):
    meta = package_meta()
    ws = wb.add_worksheet("この資料について")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 90)
    ws.write_string(0, 0, meta["title"], fmt["title"])
    lines: list[tuple[str, str]] = [
        ("この表", f"{table.title}（{table.name}）"),
        ("表の説明", " ".join(table.description.split())),
        ("元資料", f"{meta['source']['publisher']}「{meta['source']['title']}」"),
        ("出典の書き方", meta["attribution"]),
        ("ライセンス", f"{meta['license']['title']} {meta['license']['path']}"),
        ("利用条件について", " ".join(meta["license_note"].split())),
        (
            "地方公共団体",
            f"{meta['publisher']['municipality_name']}（全国地方公共団体コード {meta['publisher']['municipality_code']}、"
            "先頭の 0 を保つため文字列で保存）",
        ),
        *[(f"版 {vid}", label) for vid, label in sorted(version_labels.items())],
        *NOTES,
        (
            "見出し",
            "1 行目は日本語の項目名です。見出しのメモ（セルの右上の印）に、CSV・JSON・SQL での列名と説明があります。"
            "すべての列は「項目の説明」のシートにもあります。",
        ),
    ]
    for r, (label, text) in enumerate(lines, start=2):
        ws.write_string(r, 0, label, fmt["label"])
        ws.write_string(r, 1, text, fmt["para"])


def _columns_sheet(wb, fmt, table: Table, columns: list[str]):
    ws = wb.add_worksheet("項目の説明")
    heads = ["項目名", "列名", "型", "説明", "値の意味"]
    for col, (head, width) in enumerate(zip(heads, (28, 24, 10, 70, 40), strict=True)):
        ws.write_string(0, col, head, fmt["head"])
        ws.set_column(col, col, width)
    types = {"integer": "整数", "number": "数値", "string": "文字列", "boolean": "はい／いいえ"}
    for r, name in enumerate(columns, start=1):
        f = table.field(name)
        meanings = "\n".join(c["label"] for c in f.get("categories", []))
        for col, text in enumerate(
            [f["title"], f["name"], types[f["type"]], " ".join(f["description"].split()), meanings]
        ):
            ws.write_string(r, col, text, fmt["para"])
    ws.freeze_panes(1, 0)
