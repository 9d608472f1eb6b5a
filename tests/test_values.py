"""Values: numbers without separators, known units, 和暦 → 西暦, 「－」 and 「各年度」, and the forms other tables write."""

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
    values.catalogue.cache_clear()
    try:
        assert (parse_amount("12頭").value, parse_amount("12頭").unit) == (12, "頭")
    finally:
        monkeypatch.undo()
        values.catalogue.cache_clear()
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


@pytest.mark.parametrize("text", ["約10人", "", "10人以上以上", "人10"])
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


@pytest.mark.parametrize("text", ["（天保３年）", "（Q5年）", "X27"])
def test_unknown_era_is_an_error(text):
    with pytest.raises(ValueFormatError, match="未知の元号"):
        parse_period(text)


def test_unreadable_year_is_an_error():
    with pytest.raises(ValueFormatError, match="年として読めません"):
        parse_period("（来年）")


# -- forms other municipalities' KPI tables write --------------------------------------------


@pytest.mark.parametrize(
    "text, value, unit, per_year, qualifier",
    [
        ("12回/年", 12, "回", True, None),
        ("３０人／年", 30, "人", True, None),
        ("95％/年", 95, "%", True, None),
        ("10日/年", 10, "日", True, None),
        ("2,000人以上", 2000, "人", False, "at_least"),
        ("5%以下", 5, "%", False, "at_most"),
        ("3件未満", 3, "件", False, "below"),
        ("100世帯超", 100, "世帯", False, "above"),
        ("10日/年以上", 10, "日", True, "at_least"),
        ("10日以上/年", 10, "日", True, "at_least"),
    ],
)
def test_per_year_and_qualifier_are_read_into_their_own_fields(text, value, unit, per_year, qualifier):
    a = parse_amount(text)
    assert (a.value, a.unit, a.per_year, a.qualifier, a.kind) == (value, unit, per_year, qualifier, "number")
    assert a.text == text


@pytest.mark.parametrize(
    "text, value, unit, base_value, base_unit",
    [
        ("1億2,000万円", 12000, "万円", 120_000_000, "円"),
        ("3億5万円", 30005, "万円", 300_050_000, "円"),
        ("3万2千人", 32, "千人", 32000, "人"),
        ("1,625千人", 1625, "千人", 1_625_000, "人"),
        ("1.2億円", 1.2, "億円", 120_000_000, "円"),
        ("57.7％", 57.7, "%", 57.7, "%"),
    ],
)
def test_compound_amounts_and_the_base_unit(text, value, unit, base_value, base_unit):
    a = parse_amount(text)
    assert (a.value, a.unit, a.base_value, a.base_unit) == (value, unit, base_value, base_unit)
    assert type(a.base_value) is type(base_value)


@pytest.mark.parametrize("text", ["—", "–", "‐", "―", "-", "－", " — "])
def test_every_dash_is_no_value(text):
    a = parse_amount(text)
    assert (a.text, a.value, a.unit, a.kind) == ("－", None, None, "none")


@pytest.mark.parametrize("text, unit", [("— 人", "人"), ("－件", "件"), ("-%", "%"), ("—回/年", "回")])
def test_no_value_followed_by_a_unit(text, unit):
    a = parse_amount(text)
    assert (a.value, a.unit, a.kind) == (None, unit, "none")
    assert a.base_value is None


@pytest.mark.parametrize(
    "text, value, year, start, end, year_type, note",
    [
        ("590 人(2014 年)", 590, 2014, None, None, "年", None),
        ("590人（H26）", 590, 2014, None, None, "年", None),
        ("5件（期間平均）", 5, None, None, None, None, "期間平均"),
        ("1,000人（令和3年度～令和6年度）", 1000, None, 2021, 2024, "年度", None),
        ("20件（期間平均）（2009~14 年）", 20, None, 2009, 2014, "年", "期間平均"),
        ("20件(R2年度)(累計)", 20, 2020, None, None, "年度", "累計"),
    ],
)
def test_bracket_after_the_value_gives_its_year_or_its_note(text, value, year, start, end, year_type, note):
    a = parse_amount(text)
    assert (a.value, a.note) == (value, note)
    assert a.text == text.replace(" ", "")[: len(a.text)] and not set(a.text) & set("()（）")
    p = a.period
    if year_type is None:
        assert p is None
    else:
        assert (p.year, p.year_start, p.year_end, p.year_type) == (year, start, end, year_type)


@pytest.mark.parametrize(
    "text, year, year_type, era",
    [
        ("H27", 2015, "年", "平成"),
        ("（H31年度）", 2019, "年度", "平成"),
        ("R7", 2025, "年", "令和"),
        ("R7年", 2025, "年", "令和"),
        ("S63", 1988, "年", "昭和"),
        ("R元年", 2019, "年", "令和"),
        ("Ｒ元年度", 2019, "年度", "令和"),
        ("2019(H31)年", 2019, "年", None),
        ("２０１９（Ｒ元）年度", 2019, "年度", None),
    ],
)
def test_abbreviated_eras_read_through_the_era_table(text, year, year_type, era):
    p = parse_period(text)
    assert (p.year, p.year_type, p.era, p.year_start, p.year_end) == (year, year_type, era, None, None)


def test_the_era_table_is_data():
    offsets = values.eras()
    for name, abbreviation in (("平成", "H"), ("令和", "R"), ("昭和", "S")):
        assert offsets[name] == offsets[abbreviation]


@pytest.mark.parametrize(
    "text, start, end, year_type",
    [
        ("令和3年度~令和6年度", 2021, 2024, "年度"),
        ("（令和3年度～令和6年度）", 2021, 2024, "年度"),
        ("2009~14 年", 2009, 2014, "年"),
        ("2009～2014年", 2009, 2014, "年"),
        ("令和3～6年度", 2021, 2024, "年度"),
        ("H27〜R1", 2015, 2019, "年"),
        ("H30年度～R2年度", 2018, 2020, "年度"),
    ],
)
def test_year_ranges_have_a_start_and_an_end(text, start, end, year_type):
    p = parse_period(text)
    assert (p.year, p.year_start, p.year_end, p.year_type, p.is_range) == (None, start, end, year_type, True)


@pytest.mark.parametrize(
    "text, message",
    [
        ("3,0000人", "桁区切り"),
        ("30,00人", "桁区切り"),
        ("1,,000人", "桁区切り"),
        ("1.2.3人", "桁区切り"),
        ("10", "単位がありません"),
        ("1,000", "単位がありません"),
        ("約10人", "数値と単位として読めません"),
        ("10人)", "開いていません"),
        ("10人(2014年", "括弧の形"),
        ("10人((2014年))", "括弧の形"),
        ("10人()", "空の括弧"),
        ("（2014年）", "値がありません"),
        ("10人(2014年)(2015年)", "年が二度"),
        ("10人(期間平均)(累計)", "注記は一つ"),
        ("10人(a)(b)(c)", "二つまで"),
        ("10人(H27～R1～R3)", "一つ"),
        ("1" * 16 + "人", "桁が多すぎ"),
        ("1" * 70 + "人", "長すぎ"),
        ("1億12,000万円", "形が違います"),
        ("1万2億円", "形が違います"),
        ("1億2,000千人", "合わせた数として読めません"),
        ("—頭", "単位"),
        ("10人以上以上", "未知の単位"),
        ("たくさん以上", "未知の言葉"),
    ],
)
def test_malformed_values_are_refused_with_the_reason(text, message):
    with pytest.raises(ValueFormatError, match=message):
        parse_amount(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("令和6年度~令和3年度", "始まりより後ではありません"),
        ("令和3年度~令和3年度", "始まりより後ではありません"),
        ("2014~09年", "始まりより後ではありません"),
        ("令和3年~令和6年度", "混ざっています"),
        ("2019(H30)年", "和暦が違う年"),
        ("H27~R1~R3", "一つ"),
        ("~令和6年度", "始まりか終わり"),
        ("令和3年度~", "始まりか終わり"),
        ("令和3", "「年」か「年度」が要ります"),
        ("Q3年", "未知の元号"),
        ("平成100年", "年として読めません"),
    ],
)
def test_malformed_periods_are_refused_with_the_reason(text, message):
    with pytest.raises(ValueFormatError, match=message):
        parse_period(text)


@pytest.mark.parametrize(
    "text",
    [
        "1," * 24 + "人",
        "1" * 59 + "人",
        "1" + "億1" * 29,
        "(" * 30 + ")" * 30,
        "1人" + "(a)" * 19,
        "1." * 29 + "人",
    ],
)
def test_hostile_values_are_refused(text):
    """Inputs built to make a backtracking pattern run for ever are refused (their speed is in the benchmark)."""
    with pytest.raises(ValueFormatError):
        parse_amount(text)
