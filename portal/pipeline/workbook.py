"""Tables as an Excel workbook (.xlsx), written with XlsxWriter: one table's file, or a page's tables in one book.

Each data sheet has the columns for people (people.py: what a reader needs
first, ids last) with Japanese titles in a frozen first row (each with a note
giving the column's name in the CSV and SQL, and its meaning), an autofilter,
widths that fit the contents, the municipality code and all other text as
text, numbers as numbers and years as whole numbers.  Codes are shown as their
Japanese labels, true/false as はい/いいえ and versions by name.  Two more
sheets explain the file in plain words: 「この資料について」 (what the table
holds, where the data comes from and what the sources manifest records of it,
who runs the portal, attribution, licence, the meaning of 「－」 and 「各年度」)
and 「項目の説明」 (every column).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

import xlsxwriter

from .. import operator
from . import people
from .display import names as portal_names
from .schema import Table, package_meta

DATA_SHEET_LIMIT = 31  # Excel's longest sheet name
#: fixed document dates, so the same data gives the same bytes
WORKBOOK_TIME = datetime(2024, 1, 1)
MIN_WIDTH, MAX_WIDTH = 6, 48
NOTES = [
    ("「－」の意味", "資料で基準値が「－」（基準値なし）のとき、数値の列は空欄です。0 ではありません。"),
    ("「各年度」の意味", "年ではなく、毎年度達成する目標（または毎年度の値）です。年（西暦）の列は空欄です。"),
    ("空欄", "値がないことを表します（指標を置かない事業の値、片方の版にしかない指標のもう一方の値など）。"),
    ("はい／いいえ", "「はい」「いいえ」で答える列です（CSV・JSON では true / false）。"),
]


def display_width(text: str) -> int:
    """Columns of text in Excel's width units: wide (Japanese) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_name(title: str) -> str:
    """A table title as a valid sheet name: no []:*?/\\ and at most 31 characters."""
    cleaned = "".join("・" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:DATA_SHEET_LIMIT]


def write_workbook(parts: list[tuple[Table, list[tuple]]], names: people.Names, path, documents: list[dict]):
    """Write each (table, rows) as a data sheet, then the two sheets that explain them, at `path` (a file name or a
    binary file).  `documents` are the source documents as the documents table has them."""
    meta = package_meta()
    wb = xlsxwriter.Workbook(
        path if isinstance(path, str | Path) else path,
        # every text is written as text: no number, formula or link is made from it
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "in_memory": not isinstance(path, str | Path),
        },
    )
    try:
        first = parts[0][0]
        wb.set_properties(
            {
                "title": "・".join(t.title for t, _ in parts),
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
        for table, rows in parts:
            _data_sheet(wb, fmt, table, rows, names)
        _about_sheet(wb, fmt, [t for t, _ in parts], names, documents)
        _columns_sheet(wb, fmt, [t for t, _ in parts] if len(parts) > 1 else [first])
    finally:
        wb.close()


def _data_sheet(wb, fmt, table: Table, rows: list[tuple], names: people.Names):
    ws = wb.add_worksheet(sheet_name(table.title))
    cols = people.columns(table)
    widths = [display_width(c.title) for c in cols]
    for col, c in enumerate(cols):
        ws.write_string(0, col, c.title, fmt["head"])
        note = f"列名: {c.name} から（{c.field['title']}の名前）" if c.derived else f"列名: {c.name}"
        ws.write_comment(
            0,
            col,
            f"{note}\n{' '.join(c.field['description'].split())}",
            {"x_scale": 2.2, "y_scale": 2.0},
        )
    for r, row in enumerate(rows, start=1):
        for col, (c, value) in enumerate(zip(cols, people.cells(table, cols, row, names), strict=True)):
            if value is None:
                continue
            if isinstance(value, str):
                widest = max(map(display_width, value.splitlines() or [""]))
                wrap = widest > MAX_WIDTH or "\n" in value
                ws.write_string(r, col, value, fmt["wrap" if wrap else "text"])
                widths[col] = max(widths[col], min(MAX_WIDTH, widest))
            else:
                style = (
                    "integer" if c.field["type"] == "integer" else "count" if float(value).is_integer() else "decimal"
                )
                ws.write_number(r, col, value, fmt[style])
                shown = f"{value:,}" if style != "integer" else str(value)
                widths[col] = max(widths[col], display_width(shown))
    for col, width in enumerate(widths):
        ws.set_column(col, col, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)))
    ws.set_row(0, 36)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)


def _recorded(value: str | None) -> str:
    return value or portal_names()["not_recorded"]


def _about_sheet(wb, fmt, parts: list[Table], names: people.Names, documents: list[dict]):
    meta = package_meta()
    words = portal_names()
    op = operator.from_env()
    ws = wb.add_worksheet("この資料について")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 90)
    ws.write_string(0, 0, meta["title"], fmt["title"])
    lines: list[tuple[str, str]] = []
    for t in parts:
        lines += [
            ("この表", f"{t.title}（シート「{sheet_name(t.title)}」）"),
            ("表の中身", " ".join(t.description.split())),
        ]
    for doc in documents:
        lines += [
            ("元資料", f"{meta['source']['publisher']}「{doc['title']}」（PDF から抽出したテキストを使っています）"),
            ("元資料の公表日", doc["published"] or portal_names()["undated"]),
            ("元資料の公開ページ", _recorded(doc["page_url"])),
            ("元資料の PDF", _recorded(doc["pdf_url"])),
        ]
    lines += [
        ("出典の書き方", meta["attribution"]),
        ("ライセンス", f"{meta['license']['title']} {meta['license']['path']}"),
        ("利用条件について", " ".join(meta["license_note"].split())),
        (
            "このファイルを作ったポータル",
            f"{words['site']}。運営：{op.name}" + (f"（連絡先：{op.contact}）" if op.contact else "")
            if op.is_set
            else f"{words['site']}。{words['operator_unset']}",
        ),
        (
            "地方公共団体",
            f"{meta['publisher']['municipality_name']}（全国地方公共団体コード {meta['publisher']['municipality_code']}。"
            "先頭の 0 が消えないよう文字列にしています）",
        ),
        *[
            ("版", f"{label}：{names.descriptions.get(vid) or '（説明は元資料の一覧にありません）'}")
            for vid, label in sorted(names.versions.items())
        ],
        *NOTES,
        (
            "見出し",
            "1 行目は日本語の項目名で、読むのに必要な列を先に、番号（ID）の列を後ろに並べています。見出しのメモ"
            "（セルの右上の印）に、CSV・JSON・SQL での列名と説明があります。すべての列は「項目の説明」のシートにもあります。",
        ),
    ]
    for r, (label, text) in enumerate(lines, start=2):
        ws.write_string(r, 0, label, fmt["label"])
        ws.write_string(r, 1, text, fmt["para"])


def _columns_sheet(wb, fmt, parts: list[Table]):
    ws = wb.add_worksheet("項目の説明")
    several = len(parts) > 1
    heads = (["表"] if several else []) + ["項目名", "列名", "型", "説明", "値の意味"]
    widths = ([24] if several else []) + [28, 24, 10, 70, 40]
    for col, (head, width) in enumerate(zip(heads, widths, strict=True)):
        ws.write_string(0, col, head, fmt["head"])
        ws.set_column(col, col, width)
    types = {"integer": "整数", "number": "数値", "string": "文字列", "boolean": "はい／いいえ"}
    r = 0
    for t in parts:
        for c in people.columns(t):
            r += 1
            meanings = "\n".join(x["label"] for x in c.field.get("categories", []))
            texts = [c.title, c.name, types[c.field["type"]], " ".join(c.field["description"].split()), meanings]
            for col, text in enumerate(([t.title] if several else []) + texts):
                ws.write_string(r, col, text, fmt["para"])
    ws.freeze_panes(1, 0)
