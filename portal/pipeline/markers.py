"""Markers and vocabulary of the 新旧対照表: what kind of line a line is, from its shape alone.

Roman-numbered parts (Ⅰ．), numbered chapters (１．), 基本目標 N, 《…》
subsections, ○ direction bullets, the 数値目標 and 具体的な事業 table headers,
measures （１） and ①, 「・」 text, （主な関連事業）, ※ notes and 「－ 省 略 －」.
Brackets are read full-width or half-width alike.  Nothing here knows a
project name or a figure of the document.
"""

from __future__ import annotations

import re

from .text import compact, nfkc, to_int
from .values import era_names

SECTION_SEP = " ＞ "

ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474))  # ①…⑳
DIGITS = "0-9０-９"
#: brackets, full-width or half-width: 「（１）」 and 「(1)」 read alike
OPEN, CLOSE = "（(", "）)"

RE_PART = re.compile(rf"^([{ROMAN}])．\s*(.+)$")
RE_CHAPTER = re.compile(rf"^([{DIGITS}]+)．\s*(.+)$")
RE_CHAPTER_RANGE = re.compile(rf"^([{DIGITS}]+)．\s*(.+?)\s*～\s*([{DIGITS}]+)．\s*(.+)$")
RE_GOAL = re.compile(rf"^基本目標\s*([{DIGITS}]+)\s+(.+)$")
RE_SUBSECTION = re.compile(r"^《(.+)》$")
RE_DIRECTION = re.compile(r"^○\s*(.+)$")
RE_MEASURE = re.compile(rf"^[{OPEN}]([{DIGITS}]+)[{CLOSE}]\s*(.+)$")
RE_MEASURE_RANGE = re.compile(rf"^[{OPEN}]([{DIGITS}]+)[{CLOSE}]\s*(.+?)\s*～\s*[{OPEN}]([{DIGITS}]+)[{CLOSE}]\s*(.+)$")
RE_SUBMEASURE = re.compile(rf"^([{CIRCLED}])\s*(.+)$")
RE_SUBMEASURE_RANGE = re.compile(rf"^([{CIRCLED}])\s*(.+?)\s*～\s*([{CIRCLED}])\s*(.+)$")
RE_BULLET = re.compile(r"^・\s*(.*)$")
RE_NOTE = re.compile(rf"^(※[{DIGITS}]*)(?![{DIGITS}])\s*(\S.*)$")
RE_MARK_ONLY = re.compile(rf"^※[{DIGITS}]*$")

OMITTED_KEY = "－省略－"
NUMGOAL_HEADER_KEY = "数値目標基準値目標値"
KPI_HEADER_KEY = "具体的な事業重要業績評価指標(KPI)"  # compared in NFKC form
RELATED_HEADER_KEY = "(主な関連事業)"  # compared in NFKC form

_NOT_VALUE = rf"\s{OPEN}{CLOSE}※{DIGITS}"
#: a unit and what may follow it (「人」, 「回/年以上」): no digit, separator or bracket, so that the parts of a
#: cell never compete for the same characters (no pattern here backtracks more than linearly)
_UNIT = rf"[^{_NOT_VALUE},，.．]+"
_NUMBER = rf"[{DIGITS}][{DIGITS},，.．]*"
#: brackets after a value (a year or a note: 「590人（2014年）」, 「5件（期間平均）」)
_VALUE_BRACKETS = rf"(?:\s*[{OPEN}][^{OPEN}{CLOSE}]*[{CLOSE}])*"
#: the marks of "no value": 「－」 and the other dashes
DASHES = "－\\-−‐‑‒–—―"
#: a value cell written as a number: 「7,740人」, 「57.7％」, 「1億2,000万円」, or a dash for none (「－」, 「— 人」)
_VALUE = rf"(?:(?:[{DASHES}](?:\s*{_UNIT})?|{_NUMBER}\s*{_UNIT}(?:{_NUMBER}{_UNIT})?){_VALUE_BRACKETS})"
#: any value cell: a number, 「－」, or words without digits (「増加」); words are checked against the vocabulary
_CELL = rf"(?:{_VALUE}|[^{_NOT_VALUE}]+{_VALUE_BRACKETS})"
#: the year bracket of a 数値目標 cell: 「（令和元年）」, 「（H27）」, 「（令和3年度～令和6年度）」
_YEAR_BRACKET = rf"[{OPEN}]((?:[^{OPEN}{CLOSE}]|[{OPEN}][^{OPEN}{CLOSE}]*[{CLOSE}])*(?:年度?|[{DIGITS}]))[{CLOSE}]"
RE_VALUE_LINE = re.compile(rf"^({_VALUE})\s+({_VALUE})$")
#: two cells of any kind: a value line only where a year line follows it
RE_CELL_LINE = re.compile(rf"^({_CELL})\s+({_CELL})$")
#: the inside of a year bracket: one level of brackets may stand in it (「（2019(H31)年）」); each part starts with a
#: character of its own, so the pattern stays linear
_IN_YEAR = rf"(?:[^{OPEN}{CLOSE}]|[{OPEN}][^{OPEN}{CLOSE}]*[{CLOSE}])"
RE_YEAR_LINE = re.compile(rf"^[{OPEN}]({_IN_YEAR}+)[{CLOSE}]\s*[{OPEN}]({_IN_YEAR}+)[{CLOSE}]$")
#: a 数値目標 cell starts a word of the row (after a space), so that a long run of text is tried once, not at
#: every one of its characters
RE_NUMGOAL_CELL = re.compile(rf"(?<!\S)({_CELL})\s*{_YEAR_BRACKET}\s*(※[{DIGITS}]*)?")
#: a dated event in a paragraph: 「令和２年３月」, with the full names of the era table (vocabulary.yaml)
RE_EVENT = re.compile(rf"({'|'.join(map(re.escape, era_names()))})\s*(元|[{DIGITS}]+)\s*年\s*([{DIGITS}]+)\s*月")
RE_TRAILING_MARK = re.compile(rf"(※[{DIGITS}]*)$")

#: kinds of line that end a running block of text (a bullet, a table)
STRUCTURAL = {
    "omitted",
    "part",
    "chapter",
    "goal",
    "subsection",
    "direction",
    "numgoal_header",
    "kpi_header",
    "related_header",
    "measure",
    "submeasure",
    "bullet",
    "note",
}
#: lines of a 具体的な事業 table end at one of these
TABLE_END = STRUCTURAL - {"bullet", "note", "direction"}
MAX_KPI_NAME_LINES = 3


def classify(text: str) -> str:
    """The structural kind of a line, from its shape alone."""
    key = compact(text)
    s = text.strip()
    if key == OMITTED_KEY:
        return "omitted"
    if key == NUMGOAL_HEADER_KEY:
        return "numgoal_header"
    if nfkc(key) == KPI_HEADER_KEY:
        return "kpi_header"
    if nfkc(key) == RELATED_HEADER_KEY:
        return "related_header"
    if RE_PART.match(s):
        return "part"
    if RE_GOAL.match(s):
        return "goal"
    if RE_SUBSECTION.match(s):
        return "subsection"
    if RE_CHAPTER.match(s):
        return "chapter"
    if RE_MEASURE.match(s):
        return "measure"
    if RE_SUBMEASURE.match(s):
        return "submeasure"
    if RE_DIRECTION.match(s):
        return "direction"
    if RE_BULLET.match(s):
        return "bullet"
    if RE_NOTE.match(s):
        return "note"
    return "other"


def circled_number(ch: str) -> int:
    """① → 1 … ⑳ → 20."""
    return ord(ch) - 0x2460 + 1


def shape(text: str) -> tuple:
    """What a line is, as far as its place in the plan goes: its kind and, for a heading, its number.

    「基本目標１ 元気なまちをつくる」 and 「基本目標１ 活気あるまちをつくる」 have
    the same shape: they are the same row of the two columns, reworded.
    """
    kind = classify(text)
    s = text.strip()
    number = None
    if kind == "part":
        number = RE_PART.match(s).group(1)
    elif kind in ("chapter", "goal", "measure"):
        number = to_int({"chapter": RE_CHAPTER, "goal": RE_GOAL, "measure": RE_MEASURE}[kind].match(s).group(1))
    elif kind == "submeasure":
        number = circled_number(RE_SUBMEASURE.match(s).group(1))
    return (kind, number)


def _balanced(text: str) -> bool:
    opened = sum(text.count(c) for c in OPEN)
    closed = sum(text.count(c) for c in CLOSE)
    return opened == closed and text.count("「") == text.count("」")


def sentence_closed(text: str) -> bool:
    """A 「・」 description is complete: it ends with 。, or with a closed bracket after its 。."""
    text = text.rstrip()
    if not text or not _balanced(text):
        return False
    return text.endswith("。") or (text.endswith(tuple(CLOSE)) and "。" in text)
