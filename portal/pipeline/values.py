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

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Unit:
    """A unit of the catalogue (vocabulary.yaml): 「千人」 counts people in thousands."""

    unit: str  #: NFKC form, e.g. "%"
    title: str
    base_unit: str
    multiplier: int


@dataclass(frozen=True)
class Vocabulary:
    """What vocabulary.yaml lists: units, words, qualifiers (written form → code) and eras."""

    units: dict[str, Unit]
    words: frozenset[str]
    qualifiers: dict[str, str]
    #: 元号 and its abbreviation (「平成」, 「H」) → the western year before its first year (平成N年 = 1988 + N)
    eras: dict[str, int]
    #: abbreviation → full name (「H」 → 「平成」)
    era_names: dict[str, str]


@cache
def catalogue() -> Vocabulary:
    """The vocabulary a value or year cell may be written in, from vocabulary.yaml."""
    with VOCABULARY_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    units: dict[str, Unit] = {}
    for entry in data["units"]:
        unit = Unit(**entry)
        if unit.unit != nfkc(unit.unit) or unit.unit in units:
            raise ValueError(f"{VOCABULARY_FILE.name}: unit {unit.unit!r} must be in NFKC form and listed once")
        units[unit.unit] = unit
    qualifiers = {q["written"]: q["code"] for q in data.get("qualifiers", [])}
    eras: dict[str, int] = {}
    era_names: dict[str, str] = {}
    for era in data.get("eras", []):
        for key in (era["name"], era["abbreviation"]):
            if key in eras:
                raise ValueError(f"{VOCABULARY_FILE.name}: era {key!r} must be listed once")
            eras[key] = era["offset"]
        era_names[era["abbreviation"]] = era["name"]
    return Vocabulary(units, frozenset(compact(w) for w in data["words"]), qualifiers, eras, era_names)


def units() -> dict[str, Unit]:
    return catalogue().units


def era_names() -> list[str]:
    """The full names of the eras (「明治」 … 「令和」), in the order of the era table."""
    return list(catalogue().era_names.values())


def eras() -> dict[str, int]:
    """元号 (full names and abbreviations) → the western year before its first year."""
    return catalogue().eras


#: the mark the 新旧対照表 uses for "no value"
NO_VALUE = "－"
#: what 「各年度」 stands for
EACH_YEAR = "各年度"
#: every dash a table may use for "no value": hyphen-minus, minus, the full-width hyphen, the dashes U+2010–U+2015
NO_VALUE_MARKS = frozenset({NO_VALUE, "-", "−", "‐", "‑", "‒", "–", "—", "―"})
#: a value per year: 「12回/年」 (NFKC form; 「／年」 reads alike)
PER_YEAR = "/年"
#: the separators of a year range: 「令和3年度~令和6年度」, 「2009～14年」 (NFKC forms)
RANGE_MARKS = ("~", "〜")
#: brackets after a value or around a year, full-width or half-width
OPEN, CLOSE = "（(", "）)"
_BRACKETS = OPEN + CLOSE
#: the most characters a value cell may have once white space is removed, and the most digits of a number
MAX_CELL = 60
MAX_DIGITS = 15
#: the most brackets after a value: a year (or period) and a note
MAX_BRACKETS = 2

#: a number and a unit, or two numbers with units (「1億2,000万円」).  Digits and units are disjoint classes,
#: so the pattern cannot backtrack more than linearly on any input.
_AMOUNT = re.compile(r"^([0-9][0-9,.]*)([^0-9,.]+?)(?:([0-9][0-9,.]*)([^0-9,.]+))?$")
#: a number as tables write it: digits grouped by three with commas, or not grouped at all, and decimals
_NUMBER = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$")
_ERA_YEAR = re.compile(r"^(?P<era>[^0-9]+?)(?P<n>元|[0-9]{1,2})(?P<fy>年度|年)?$")
_WESTERN = re.compile(r"^(?P<year>[0-9]{4})(?:\((?P<era>[^0-9()]+?)(?P<n>元|[0-9]{1,2})\))?(?P<fy>年度|年)?$")
_SHORT_END = re.compile(r"^(?P<n>[0-9]{1,2})(?P<fy>年度|年)?$")
_DIGIT = re.compile(r"[0-9]")


class ValueFormatError(ValueError):
    """A value or year that cannot be read; the caller adds file and line."""


@dataclass(frozen=True)
class Period:
    """A year cell such as 「令和元年」, 「H27」, 「各年度」, or a period 「令和3年度~令和6年度」."""

    label: str  #: as written, without the brackets and with extraction spaces removed
    year: int | None  #: western year; None for 各年度 and for a period
    year_type: str  #: "年" (calendar year) or "年度" (fiscal year, April–March)
    each_year: bool  #: True for 「各年度」 (every fiscal year; not a year)
    era: str | None = None
    year_start: int | None = None  #: first year of a period (「令和3年度~令和6年度」 → 2021); None for one year
    year_end: int | None = None  #: last year of a period (→ 2024); None for one year

    @property
    def is_range(self) -> bool:
        return self.year_start is not None


@dataclass(frozen=True)
class Amount:
    """A value cell such as 「7,740人」, 「12回/年以上」, 「1億2,000万円」 or 「－」."""

    text: str  #: as written, without the brackets after it (their year is `period`, their words `note`)
    value: int | float | None  #: in `unit`; None for 「－」 and for a value in words
    unit: str | None  #: NFKC form, e.g. "%"; None for 「－」 (unless a unit follows it) and for a value in words
    kind: str = "number"  #: "number", "none" (「－」) or "words" (「増加」: the text is the value)
    per_year: bool = False  #: 「/年」 after the unit: a rate per year, never to be summed with a total
    qualifier: str | None = None  #: code of 以上/以下/未満/超 (vocabulary.yaml), None when the value is exact
    note: str | None = None  #: a bracket after the value that is not a year (「期間平均」)
    period: Period | None = None  #: a year or period in a bracket after the value (「590人（2014年）」)

    @property
    def missing(self) -> bool:
        return self.value is None

    @property
    def shown(self) -> str:
        """The value as written, with its note in brackets (「5件（期間平均）」); its year is shown with the years."""
        return f"{self.text}（{self.note}）" if self.note else self.text

    @property
    def base_unit(self) -> str | None:
        return units()[self.unit].base_unit if self.unit else None

    @property
    def base_value(self) -> int | float | None:
        """The value in the base unit (「1,625千人」 → 1625000 人), exact in decimal."""
        if self.value is None:
            return None
        return _plain(Decimal(str(self.value)) * units()[self.unit].multiplier)


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def parse_amount(text: str) -> Amount:
    """Read a value cell.

    A number with a known unit (「7,740人」, 「1億2,000万円」), then optionally
    「/年」 and a qualifier (以上・以下・未満・超), then up to two brackets: a
    year or period and a note.  「－」 and the other dashes are "no value",
    alone or followed by a unit; a value in words must be a known word.
    """
    written = compact(text)
    if len(written) > MAX_CELL:
        raise ValueFormatError(f"値が長すぎます（{len(written)} 文字。{MAX_CELL} 文字まで）: 「{written[:20]}…」")
    core, period, note = _split_brackets(written)
    c = catalogue()
    if core in NO_VALUE_MARKS:
        return Amount(text=NO_VALUE, value=None, unit=None, kind="none", note=note, period=period)
    if core[:1] in NO_VALUE_MARKS:
        unit, per_year, qualifier = _suffixes(nfkc(core[1:]), c)
        if unit not in c.units:
            raise ValueFormatError(
                f"「値なし」の印の後の単位「{core[1:]}」が読めません（既知の単位: {'、'.join(c.units)}）"
            )
        return Amount(core, None, unit, "none", per_year, qualifier, note, period)
    if core and not _DIGIT.search(nfkc(core)):
        if core not in c.words:
            raise ValueFormatError(f"未知の言葉の値「{core}」です（既知の言葉: {'、'.join(sorted(c.words))}）")
        return Amount(text=core, value=None, unit=None, kind="words", note=note, period=period)
    rest, per_year, qualifier = _suffixes(nfkc(core), c)
    m = _AMOUNT.match(rest)
    if not m:
        if _NUMBER.match(rest):
            raise ValueFormatError(f"数値に単位がありません: 「{text.strip()}」（例: 10人、57.7％）")
        raise ValueFormatError(
            f"数値と単位として読めません: 「{text.strip()}」（数は値の先頭に、単位はその後に書きます）"
        )
    value, unit = _number(m.group(1)), m.group(2)
    if m.group(3):
        value, unit = _compound(value, unit, _number(m.group(3)), m.group(4), text, c)
    elif unit not in c.units:
        raise ValueFormatError(f"未知の単位「{unit}」です（既知の単位: {'、'.join(c.units)}）")
    return Amount(core, value, unit, "number", per_year, qualifier, note, period)


def _split_brackets(written: str) -> tuple[str, Period | None, str | None]:
    """The value before its brackets, the year or period in one, and the note in the other."""
    core, brackets = written, []
    while core and core[-1] in CLOSE:
        start = max(core.rfind(o) for o in OPEN)
        if start < 0:
            raise ValueFormatError(f"括弧が閉じていますが開いていません: 「{written}」")
        brackets.insert(0, core[start + 1 : -1])
        core = core[:start]
    if any(ch in core for ch in _BRACKETS) or any(ch in b for b in brackets for ch in _BRACKETS):
        raise ValueFormatError(f"括弧の形が読めません（値の後に「（…）」を並べます）: 「{written}」")
    if len(brackets) > MAX_BRACKETS:
        raise ValueFormatError(f"値の後の括弧は二つまでです（年と注記）: 「{written}」")
    if not core:
        raise ValueFormatError(f"括弧の前に値がありません: 「{written}」")
    period = note = None
    for inside in brackets:
        if not inside:
            raise ValueFormatError(f"空の括弧があります: 「{written}」")
        if _DIGIT.search(nfkc(inside)) or inside == EACH_YEAR:
            if period is not None:
                raise ValueFormatError(f"値の後に年が二度書かれています: 「{written}」")
            period = parse_period(inside)
        elif note is not None:
            raise ValueFormatError(f"値の後の注記は一つまでです: 「{written}」")
        else:
            note = inside
    return core, period, note


def _suffixes(rest: str, c: Vocabulary) -> tuple[str, bool, str | None]:
    """Strip 「/年」 and a qualifier from the end of a value (in either order, each at most once)."""
    per_year, qualifier = False, None
    for _ in range(2):
        if not per_year and rest.endswith(PER_YEAR):
            rest, per_year = rest[: -len(PER_YEAR)], True
            continue
        found = next((w for w in c.qualifiers if rest.endswith(w)), None)
        if qualifier is None and found:
            rest, qualifier = rest[: -len(found)], c.qualifiers[found]
    return rest, per_year, qualifier


def _compound(big: int | float, prefix: str, small: int | float, unit: str, text: str, c: Vocabulary):
    """「1億2,000万円」 → 12000 万円: the larger part is the prefix with the smaller unit's base unit (億 + 円)."""
    if unit not in c.units:
        raise ValueFormatError(f"未知の単位「{unit}」です（既知の単位: {'、'.join(c.units)}）")
    small_unit = c.units[unit]
    big_unit = c.units.get(prefix + small_unit.base_unit)
    if big_unit is None or big_unit.base_unit != small_unit.base_unit:
        raise ValueFormatError(f"「{prefix}」と「{unit}」を合わせた数として読めません: 「{text.strip()}」")
    ratio = Decimal(big_unit.multiplier) / small_unit.multiplier
    if big_unit.multiplier <= small_unit.multiplier or not isinstance(big, int) or Decimal(str(small)) >= ratio:
        raise ValueFormatError(
            f"「{prefix}」と「{unit}」を合わせた数の形が違います: 「{text.strip()}」（例: 1億2,000万円）"
        )
    return _plain(Decimal(big) * ratio + Decimal(str(small))), unit


def _number(digits: str) -> int | float:
    if not _NUMBER.match(digits):
        raise ValueFormatError(f"数値の書き方が違います: 「{digits}」（桁区切りのカンマは三桁ごと）")
    if len(_DIGIT.findall(digits)) > MAX_DIGITS:
        raise ValueFormatError(f"数値の桁が多すぎます: 「{digits[:20]}…」（{MAX_DIGITS} 桁まで）")
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise ValueFormatError(f"数値として読めません: 「{digits}」") from exc
    return _plain(value)


def parse_period(text: str) -> Period:
    """Read a year cell (brackets optional).

    An era year (「令和元年」, 「H27」, 「R元年度」), a western year (「2025年度」,
    「2019(H31)年」), 「各年度」, or a period from one year to a later one
    (「令和3年度~令和6年度」, 「2009~14年」) whose start and end are both 年 or both 年度.
    """
    label = compact(text).strip(_BRACKETS)
    if label == EACH_YEAR:
        return Period(label=label, year=None, year_type="年度", each_year=True)
    form = nfkc(label)
    if len(form) > MAX_CELL:
        raise ValueFormatError(f"年が長すぎます（{len(form)} 文字）: 「{form[:20]}…」")
    marks = sum(form.count(m) for m in RANGE_MARKS)
    if marks > 1:
        raise ValueFormatError(f"期間の「～」は一つです: 「{text.strip()}」")
    if marks == 1:
        return _range(label, form, text)
    year, year_type, era = _one(form, text)
    if year_type is None and era is not None and form.startswith(era):  # a full era name is written with 年
        raise ValueFormatError(f"年として読めません: 「{text.strip()}」（「年」か「年度」が要ります。例: 令和元年）")
    return Period(label=label, year=year, year_type=year_type or "年", each_year=False, era=era)


def _one(form: str, text: str) -> tuple[int, str | None, str | None]:
    """One year (NFKC form): western year, year type (None when neither 年 nor 年度 is written), era name."""
    c = catalogue()
    western = _WESTERN.match(form)
    if western:
        year = int(western.group("year"))
        if western.group("era"):
            said = _era_year(western.group("era"), western.group("n"))
            if said != year:
                raise ValueFormatError(f"西暦と括弧の和暦が違う年です: 「{text.strip()}」")
        return year, western.group("fy"), None
    m = _ERA_YEAR.match(form)
    if not m:
        raise ValueFormatError(
            f"年として読めません: 「{text.strip()}」（例: 令和元年、平成27年、H27、2025年度、各年度）"
        )
    era = m.group("era")
    year = _era_year(era, m.group("n"))
    return year, m.group("fy"), c.era_names.get(era, era)


def _era_year(era: str, n: str) -> int:
    offsets = eras()
    if era not in offsets:
        raise ValueFormatError(f"未知の元号「{era}」です（既知の元号: {'、'.join(offsets)}）")
    return offsets[era] + (1 if n == "元" else int(n))


def _range(label: str, form: str, text: str) -> Period:
    mark = next(m for m in RANGE_MARKS if m in form)
    left, right = form.split(mark)
    if not left or not right:
        raise ValueFormatError(f"期間の始まりか終わりがありません: 「{text.strip()}」")
    start, start_type, era = _one(left, text)
    short = _SHORT_END.match(right)
    if short:  # 「2009~14年」, 「令和3~6年度」: the end takes the start's century or era
        n = int(short.group("n"))
        end = start // 100 * 100 + n if era is None else _era_year(era, short.group("n"))
        end_type = short.group("fy")
    else:
        end, end_type, _ = _one(right, text)
    if start_type and end_type and start_type != end_type:
        raise ValueFormatError(f"期間の始まりと終わりで「年」と「年度」が混ざっています: 「{text.strip()}」")
    if end <= start:
        raise ValueFormatError(f"期間の終わりが始まりより後ではありません: 「{text.strip()}」")
    return Period(
        label=label,
        year=None,
        year_type=start_type or end_type or "年",
        each_year=False,
        era=era,
        year_start=start,
        year_end=end,
    )


def era_year(era: str, n: str) -> int:
    """Western year of 「<era> N 年」 (N may be 元 or full-width digits)."""
    return _era_year(era, n if n == "元" else nfkc(n))
