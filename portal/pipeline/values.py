"""Stage 3 — values: amounts with units, and 和暦 years, read strictly.

Numbers lose their separators (「7,740人」 → 7740, 人); 「－」 is "no value"
(never 0); units and eras must be known, because a guess would publish a
wrong figure.  Every result keeps the text it was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .text import compact, nfkc

#: 元号 → the western year before its first year (平成N年 = 1988 + N)
ERAS: dict[str, int] = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}

#: units a value may carry: unit → (title, base unit, multiplier to the base unit)
UNITS: dict[str, tuple[str, str, int]] = {
    "人": ("人数", "人", 1),
    "千人": ("人数（千人単位）", "人", 1000),
    "事業者": ("事業者数", "事業者", 1),
    "品": ("品数", "品", 1),
    "件": ("件数", "件", 1),
    "組": ("組数", "組", 1),
    "%": ("割合（パーセント）", "%", 1),
    "円": ("金額", "円", 1),
}

#: the mark the 新旧対照表 uses for "no value"
NO_VALUE = "－"
#: what 「各年度」 stands for
EACH_YEAR = "各年度"

_AMOUNT = re.compile(r"^(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?)(?P<unit>\D+)$")
_PERIOD = re.compile(r"^(?P<era>\D+?)(?P<n>元|[0-9]+)年(?P<fy>度)?$")
_NO_VALUE_FORMS = {NO_VALUE, "-", "−", "―"}


class ValueFormatError(ValueError):
    """A value or year that cannot be read; the caller adds file and line."""


@dataclass(frozen=True)
class Amount:
    """A value cell such as 「7,740人」 or 「－」."""

    text: str  #: as written
    value: int | float | None  #: None for 「－」
    unit: str | None  #: NFKC form, e.g. "%"; None for 「－」

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
    """Read a value cell: a number with a known unit, or 「－」 for no value."""
    written = compact(text)
    if written in _NO_VALUE_FORMS:
        return Amount(text=NO_VALUE, value=None, unit=None)
    m = _AMOUNT.match(nfkc(written))
    if not m:
        raise ValueFormatError(f"数値と単位として読めません: 「{text.strip()}」")
    unit = m.group("unit")
    if unit not in UNITS:
        raise ValueFormatError(f"未知の単位「{unit}」です（既知の単位: {'、'.join(UNITS)}）")
    return Amount(text=written, value=_number(m.group("num")), unit=unit)


def _number(digits: str) -> int | float:
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise ValueFormatError(f"数値として読めません: 「{digits}」") from exc
    return int(value) if value == value.to_integral_value() else float(value)


def parse_period(text: str) -> Period:
    """Read a year cell (brackets optional): an era year, or 「各年度」."""
    label = compact(text).strip("（）()")
    if label == EACH_YEAR:
        return Period(label=label, year=None, year_type="年度", each_year=True)
    m = _PERIOD.match(nfkc(label))
    if not m:
        raise ValueFormatError(f"年として読めません: 「{text.strip()}」（例: 令和元年、平成27年、各年度）")
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
