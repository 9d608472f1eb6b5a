"""Stage 3 — values: amounts with units, and years (和暦 or 西暦), read strictly.

Numbers lose their separators (「7,740人」 → 7740, 人); 「－」 is "no value"
(never 0); a value written in words (「増加」) keeps its words and has no
number.  Units, words and eras must be known — units and words are listed in
vocabulary.yaml, so a new one is a line of data — because a guess would
publish a wrong figure.  Every result keeps the text it was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import yaml

from .text import compact, nfkc

#: 元号 → the western year before its first year (平成N年 = 1988 + N)
ERAS: dict[str, int] = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Unit:
    """A unit of the catalogue (vocabulary.yaml): 「千人」 counts people in thousands."""

    unit: str  #: NFKC form, e.g. "%"
    title: str
    base_unit: str
    multiplier: int


@cache
def vocabulary() -> tuple[dict[str, Unit], frozenset[str]]:
    """The units and the words a value cell may be written in, from vocabulary.yaml."""
    with VOCABULARY_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    units: dict[str, Unit] = {}
    for entry in data["units"]:
        unit = Unit(**entry)
        if unit.unit != nfkc(unit.unit) or unit.unit in units:
            raise ValueError(f"{VOCABULARY_FILE.name}: unit {unit.unit!r} must be in NFKC form and listed once")
        units[unit.unit] = unit
    return units, frozenset(compact(w) for w in data["words"])


def units() -> dict[str, Unit]:
    return vocabulary()[0]


#: the mark the 新旧対照表 uses for "no value"
NO_VALUE = "－"
#: what 「各年度」 stands for
EACH_YEAR = "各年度"

_AMOUNT = re.compile(r"^(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?)(?P<unit>\D+)$")
_PERIOD = re.compile(r"^(?P<era>\D+?)(?P<n>元|[0-9]+)年(?P<fy>度)?$")
_WESTERN = re.compile(r"^(?P<year>[0-9]{4})年(?P<fy>度)?$")
_DIGIT = re.compile(r"[0-9]")
#: brackets around a year cell, full-width or half-width
_BRACKETS = "（）()"
_NO_VALUE_FORMS = {NO_VALUE, "-", "−", "―"}


class ValueFormatError(ValueError):
    """A value or year that cannot be read; the caller adds file and line."""


@dataclass(frozen=True)
class Amount:
    """A value cell such as 「7,740人」 or 「－」."""

    text: str  #: as written
    value: int | float | None  #: None for 「－」 and for a value in words
    unit: str | None  #: NFKC form, e.g. "%"; None for 「－」 and for a value in words
    kind: str = "number"  #: "number", "none" (「－」) or "words" (「増加」: the text is the value)

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Period:
    """A year cell such as 「令和元年」, 「平成 27年」 or 「各年度」."""

    label: str  #: as written, without the brackets and with extraction spaces removed
    year: int | None  #: western year; None for 各年度
    year_type: str  #: "年" (calendar year) or "年度" (fiscal year, April–March)
    each_year: bool  #: True for 「各年度」 (every fiscal year; not a year)
    era: str | None = None


def parse_amount(text: str) -> Amount:
    """Read a value cell: a number with a known unit, 「－」 for no value, or a known word (「増加」)."""
    written = compact(text)
    if written in _NO_VALUE_FORMS:
        return Amount(text=NO_VALUE, value=None, unit=None, kind="none")
    known_units, words = vocabulary()
    if written and not _DIGIT.search(nfkc(written)):
        if written not in words:
            raise ValueFormatError(f"未知の言葉の値「{written}」です（既知の言葉: {'、'.join(sorted(words))}）")
        return Amount(text=written, value=None, unit=None, kind="words")
    m = _AMOUNT.match(nfkc(written))
    if not m:
        raise ValueFormatError(f"数値と単位として読めません: 「{text.strip()}」")
    unit = m.group("unit")
    if unit not in known_units:
        raise ValueFormatError(f"未知の単位「{unit}」です（既知の単位: {'、'.join(known_units)}）")
    return Amount(text=written, value=_number(m.group("num")), unit=unit)


def _number(digits: str) -> int | float:
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise ValueFormatError(f"数値として読めません: 「{digits}」") from exc
    return int(value) if value == value.to_integral_value() else float(value)


def parse_period(text: str) -> Period:
    """Read a year cell (brackets optional): an era year, a western year (「2025年度」), or 「各年度」."""
    label = compact(text).strip(_BRACKETS)
    if label == EACH_YEAR:
        return Period(label=label, year=None, year_type="年度", each_year=True)
    western = _WESTERN.match(nfkc(label))
    if western:
        return Period(
            label=label,
            year=int(western.group("year")),
            year_type="年度" if western.group("fy") else "年",
            each_year=False,
        )
    m = _PERIOD.match(nfkc(label))
    if not m:
        raise ValueFormatError(f"年として読めません: 「{text.strip()}」（例: 令和元年、平成27年、2025年度、各年度）")
    era = m.group("era")
    if era not in ERAS:
        raise ValueFormatError(f"未知の元号「{era}」です（既知の元号: {'、'.join(ERAS)}）")
    n = 1 if m.group("n") == "元" else int(m.group("n"))
    return Period(
        label=label,
        year=ERAS[era] + n,
        year_type="年度" if m.group("fy") else "年",
        each_year=False,
        era=era,
    )


def era_year(era: str, n: str) -> int:
    """Western year of 「<era> N 年」 (N may be 元 or full-width digits)."""
    if era not in ERAS:
        raise ValueFormatError(f"未知の元号「{era}」です")
    return ERAS[era] + (1 if n == "元" else int(nfkc(n)))
