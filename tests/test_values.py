"""Values: numbers without separators, known units, 和暦 → 西暦, 「－」 and 「各年度」."""

import pytest
import yaml

from portal.pipeline import values
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
        ("3万人", 3, "万人"),
        ("12戸", 12, "戸"),
        ("350世帯", 350, "世帯"),
        ("５社", 5, "社"),
        ("3校", 3, "校"),
        ("10箇所", 10, "箇所"),
        ("4施設", 4, "施設"),
        ("２台", 2, "台"),
        ("8団体", 8, "団体"),
        ("12回", 12, "回"),
        ("1.5ポイント", 1.5, "ポイント"),
        ("500千円", 500, "千円"),
        ("30万円", 30, "万円"),
        ("1.2億円", 1.2, "億円"),
        ("12.5ha", 12.5, "ha"),
        ("３ｔ", 3, "t"),
        ("４．５ｋｍ", 4.5, "km"),
    ],
)
def test_amount(text, value, unit):
    a = parse_amount(text)
    assert (a.value, a.unit) == (value, unit)
    assert type(a.value) is type(value)


def test_dash_is_no_value_not_zero():
    a = parse_amount("－")
    assert a.value is None and a.unit is None and a.missing
    assert (a.text, a.kind) == ("－", "none")
    assert parse_amount("7,740人").kind == "number"


@pytest.mark.parametrize("text", ["増加", "維持", "前年度以上", "現状 維持"])
def test_value_in_words_keeps_its_words_and_has_no_number(text):
    a = parse_amount(text)
    assert (a.text, a.value, a.unit, a.kind) == (text.replace(" ", ""), None, None, "words")


def test_scale_of_each_unit_comes_from_the_catalogue():
    catalogue = values.units()
    assert (catalogue["千人"].base_unit, catalogue["千人"].multiplier) == ("人", 1000)
    assert (catalogue["億円"].base_unit, catalogue["億円"].multiplier) == ("円", 100_000_000)
    # the full-width ％ is read as the catalogue's %
    assert parse_amount("57.7％").unit == "%" and "%" in catalogue


def test_a_new_unit_is_a_line_of_data(tmp_path, monkeypatch):
    data = yaml.safe_load(values.VOCABULARY_FILE.read_text(encoding="utf-8"))
    with pytest.raises(ValueFormatError, match="未知の単位「頭」"):
        parse_amount("12頭")
    data["units"].append({"unit": "頭", "title": "頭数", "base_unit": "頭", "multiplier": 1})
    catalogue = tmp_path / "vocabulary.yaml"
    catalogue.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(values, "VOCABULARY_FILE", catalogue)
    values.vocabulary.cache_clear()
    try:
        assert (parse_amount("12頭").value, parse_amount("12頭").unit) == (12, "頭")
    finally:
        monkeypatch.undo()
        values.vocabulary.cache_clear()
    with pytest.raises(ValueFormatError, match="未知の単位「頭」"):
        parse_amount("12頭")


def test_thousands_unit_is_not_multiplied():
    assert parse_amount("1,638千人").value == 1638


@pytest.mark.parametrize("text", ["12頭", "5ヶ所", "3 kg"])
def test_unknown_unit_is_an_error(text):
    with pytest.raises(ValueFormatError, match="未知の単位"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["たくさん", "少し"])
def test_unknown_words_are_an_error(text):
    with pytest.raises(ValueFormatError, match=f"未知の言葉の値「{text}」"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["約10人", "", "10人以上"])
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
        ("(令和７年)", 2025, "年", "令和７年"),
    ],
)
def test_era_years(text, year, year_type, label):
    p = parse_period(text)
    assert (p.year, p.year_type, p.label, p.each_year) == (year, year_type, label, False)


@pytest.mark.parametrize(
    "text, year, year_type, label",
    [
        ("（2025年）", 2025, "年", "2025年"),
        ("(2025年度)", 2025, "年度", "2025年度"),
        ("２０１９年度", 2019, "年度", "２０１９年度"),
        ("2019 年", 2019, "年", "2019年"),
    ],
)
def test_western_years(text, year, year_type, label):
    p = parse_period(text)
    assert (p.year, p.year_type, p.label, p.each_year, p.era) == (year, year_type, label, False, None)


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
