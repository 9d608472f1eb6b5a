"""Values: numbers without separators, known units, 和暦 → 西暦, 「－」 and 「各年度」."""

import pytest

from portal.pipeline.values import ValueFormatError, parse_amount, parse_period


@pytest.mark.parametrize(
    "text, value, unit",
    [
        ("7,740人", 7740, "人"),
        ("1,625千人", 1625, "千人"),
        ("21事業者", 21, "事業者"),
        ("22品", 22, "品"),
        ("２件", 2, "件"),
        ("102組", 102, "組"),
        ("57.7％", 57.7, "%"),
        ("100％", 100, "%"),
        ("８,４００円", 8400, "円"),
        ("０人", 0, "人"),
    ],
)
def test_amount(text, value, unit):
    a = parse_amount(text)
    assert (a.value, a.unit) == (value, unit)
    assert type(a.value) is type(value)


def test_dash_is_no_value_not_zero():
    a = parse_amount("－")
    assert a.value is None and a.unit is None and a.missing
    assert a.text == "－"


def test_thousands_unit_is_not_multiplied():
    assert parse_amount("1,638千人").value == 1638


@pytest.mark.parametrize("text", ["12頭", "5ヶ所", "3 kg"])
def test_unknown_unit_is_an_error(text):
    with pytest.raises(ValueFormatError, match="未知の単位"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["たくさん", "約10人", ""])
def test_unreadable_amount_is_an_error(text):
    with pytest.raises(ValueFormatError):
        parse_amount(text)


@pytest.mark.parametrize(
    "text, year, year_type, label",
    [
        ("（令和元年）", 2019, "年", "令和元年"),
        ("（令和７年）", 2025, "年", "令和７年"),
        ("（平成 27年）", 2015, "年", "平成27年"),
        ("令和２年", 2020, "年", "令和２年"),
        ("（令和５年度）", 2023, "年度", "令和５年度"),
        ("（平成元年）", 1989, "年", "平成元年"),
    ],
)
def test_era_years(text, year, year_type, label):
    p = parse_period(text)
    assert (p.year, p.year_type, p.label, p.each_year) == (year, year_type, label, False)


def test_each_year_is_a_flag_without_a_year():
    p = parse_period("（各年度）")
    assert p.each_year is True
    assert p.year is None
    assert p.label == "各年度"


@pytest.mark.parametrize("text", ["（天保３年）", "（R5年）"])
def test_unknown_era_is_an_error(text):
    with pytest.raises(ValueFormatError, match="未知の元号"):
        parse_period(text)


def test_unreadable_year_is_an_error():
    with pytest.raises(ValueFormatError, match="年として読めません"):
        parse_period("（来年）")
