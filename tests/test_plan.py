"""Plan model from small documents in the 新旧対照表 layout, one feature at a time."""

from pathlib import Path

import pytest

from portal.pipeline.errors import SourceError
from portal.pipeline.plan import parse_plan, sentence_closed
from portal.pipeline.source import read_source

from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, PROJECT_NEW, RELATED, document, line_of, page, write


def small(tmp_path: Path, before: list[str], after: list[str] | None = None, reasons=None):
    text = document(page(before, after if after is not None else before, reasons or [["文言整理 "]]))
    path = write(tmp_path, text)
    doc = read_source(path)
    return text, parse_plan(doc.column("before"), path), parse_plan(doc.column("after"), path)


@pytest.fixture
def plans(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    after = GOAL_HEAD[1:] + PROJECT_A + PROJECT_B + PROJECT_NEW + RELATED
    return small(tmp_path, before, after)


def test_goal_directions_and_numerical_goal(plans):
    text, old, new = plans
    (goal,) = old.goals
    assert (goal.goal_no, goal.label, goal.title, goal.plan_page) == (1, "基本目標１", "元気なまちをつくる", 3)
    (direction,) = [t for t in old.texts if t.kind == "direction"]
    assert direction.text == "まちの魅力を高めるため、公園の整備を進める。"
    assert (direction.first_line, direction.last_line) == (line_of(text, "○まちの"), line_of(text, "る。 "))
    (ng,) = [k for k in old.kpis if k.kind == "numerical_goal"]
    assert ng.name == "来訪者数"
    assert (ng.baseline.value, ng.baseline.unit, ng.baseline_period.year, ng.baseline_period.label) == (
        1200,
        "千人",
        2018,
        "平成30年",
    )
    assert (ng.target.value, ng.target_period.year) == (1500, 2024)
    assert ng.note == "※観光統計による"
    assert ng.project is None
    # the mark stays on the cell it was written beside, as written
    assert (ng.name_mark, ng.baseline_mark, ng.target_mark) == ("※", None, None)
    assert goal.chapter.heading == "Ⅱ．基本的方向と具体的な事業"


def test_marks_on_name_and_target_point_to_their_notes(tmp_path):
    table = [
        "数値目標 基準値 目標値 ",
        "働く人の数※１ 3,000人（平成 27年） ",
        "2,500人（令和７年） ",
        "※２ ",
        "  ※１ 国勢調査による ",
        "  ※２ 割合を保つ考え方で設定している。 ",
    ]
    before = GOAL_HEAD[:6] + table + GOAL_HEAD[9:] + PROJECT_A
    _, old, _ = small(tmp_path, before)
    (ng,) = [k for k in old.kpis if k.kind == "numerical_goal"]
    assert (ng.name, ng.baseline.value, ng.target.value) == ("働く人の数", 3000, 2500)
    assert (ng.name_mark, ng.baseline_mark, ng.target_mark) == ("※１", None, "※２")
    assert ng.note == "※１ 国勢調査による\n※２ 割合を保つ考え方で設定している。"
    # KPIs of projects carry no marks
    assert {(k.name_mark, k.baseline_mark, k.target_mark) for k in old.kpis if k.kind == "kpi"} == {(None, None, None)}


def test_a_project_added_in_the_after_column(plans):
    _, old, new = plans
    assert [p.name for p in old.projects] == ["おひさま保育事業", "みどりの窓口事業"]
    assert [p.name for p in new.projects] == ["おひさま保育事業", "みどりの窓口事業", "にじいろ給付事業"]
    # the after column has no page marker of its own, yet its lines are on the same plan page
    assert {p.plan_page for p in new.projects} == {3}


def test_two_line_kpi_name_and_two_kpis_in_one_project(plans):
    _, old, _ = plans
    project = old.projects[0]
    assert project.description == "保育所で一時的に児童を預かり、保護者の負担を軽くする。"
    assert [k.name for k in project.kpis] == ["一時預かりを利用した延べ児童数", "保育士の研修受講率"]
    first, second = project.kpis
    assert (first.baseline.value, first.baseline.unit) == (120, "人")
    assert (second.baseline.value, second.target.value, second.target.unit) == (80.5, 100, "%")
    assert (second.baseline_period.year, second.target_period.year) == (2019, 2025)


def test_each_year_target(plans):
    _, old, _ = plans
    kpi = old.projects[0].kpis[0]
    assert kpi.target_period.each_year is True
    assert kpi.target_period.year is None
    assert kpi.target_period.label == "各年度"
    assert kpi.baseline_period.year == 2019


def test_dash_baseline_is_no_value(plans):
    _, old, _ = plans
    (kpi,) = old.projects[1].kpis
    assert kpi.name == "相談件数"
    assert kpi.baseline.value is None and kpi.baseline.text == "－"
    assert kpi.baseline_period.year == 2020
    assert (kpi.target.value, kpi.target.unit) == (2000, "件")


def test_kpi_not_set(plans):
    _, _, new = plans
    project = new.projects[2]
    assert project.description == "子育て世帯に給付を行い、負担の軽減を図る。（R6：新設）"
    (kpi,) = project.kpis
    assert kpi.status == "not_set"
    assert kpi.status_text == "KPIの設定が困難なため設定しない"
    assert kpi.name is None and kpi.baseline is None and kpi.target is None


def test_omitted_section_is_recorded_not_dropped(plans):
    text, old, _ = plans
    (om,) = old.omissions
    assert om.scope == "①公園の整備～②広場の活用"
    assert (om.level, om.number_from, om.number_to, om.goal_no) == ("submeasure", 1, 2, 1)
    assert om.measure.title == "にぎわいづくり"
    assert (om.heading_line, om.last_line) == (line_of(text, "①公園の整備"), line_of(text, "省 略"))
    # nothing is invented for the omitted measures
    assert [m.label for m in old.measures] == ["（１）", "（２）", "①"]


def test_single_omitted_measure_is_flagged(tmp_path):
    before = GOAL_HEAD[:13] + ["①保育の充実 ", "－ 省 略 － "]
    _, old, _ = small(tmp_path, before)
    sub = [m for m in old.measures if m.level == 2]
    assert [(m.label, m.title, m.omitted) for m in sub] == [("①", "保育の充実", True)]
    assert [o.level for o in old.omissions] == ["submeasure", "submeasure"]


def test_related_projects_keep_inner_middle_dots(plans):
    _, old, _ = plans
    assert [r.name for r in old.related] == ["ひかり相談事業", "ほし広場運営・管理事業"]


def test_measure_text_and_hierarchy(plans):
    _, old, _ = plans
    (mt,) = [t for t in old.texts if t.kind == "measure_text"]
    assert mt.text == "保育サービスを充実し、子育てを支える。"
    assert mt.measure.label == "①" and mt.measure.parent.title == "子育て支援"
    assert mt.section == "基本目標１ ＞ （２）子育て支援 ＞ ①保育の充実"


CHAPTERS = [
    "計画書２ページ ",
    "Ⅰ．基本的な考え方 ",
    "１．策定の経過 ",
    "国は法を定めた。 ",
    "２．戦略の概要 ～ 10．計画の推進 ",
    "－ 省 略 － ",
    "計画書５ページ ",
    "Ⅱ．基本的方向と具体的な事業 ",
    "基本目標１ 元気なまちをつくる ",
    "《基本的方向》 ",
    "－ 省 略 － ",
    "基本目標２ 住みよいまちをつくる ",
    "《基本的方向》 ",
    "－ 省 略 － ",
]


def test_parts_and_chapters_above_the_goals(tmp_path):
    text, old, new = small(tmp_path, CHAPTERS)
    rows = [(c.level, c.number, c.number_to, c.label, c.title, c.omitted, c.plan_page) for c in old.chapters]
    assert rows == [
        ("part", 1, 1, "Ⅰ．", "基本的な考え方", False, 2),
        ("chapter", 1, 1, "１．", "策定の経過", False, 2),
        ("chapter", 2, 10, "２．", "戦略の概要 ～ 10．計画の推進", True, 2),
        ("part", 2, 2, "Ⅱ．", "基本的方向と具体的な事業", False, 5),
    ]
    part1, chapter1, rest, part2 = old.chapters
    assert [c.parent for c in old.chapters] == [None, part1, part1, None]
    assert rest.heading == "２．戦略の概要 ～ 10．計画の推進"
    assert part2.first_line == line_of(text, "Ⅱ．基本的方向")
    # what stands under them
    assert [t.chapter for t in old.texts] == [chapter1]
    assert [g.chapter for g in old.goals] == [part2, part2]
    chapter_omission = old.omissions[0]
    assert (chapter_omission.level, chapter_omission.chapter, chapter_omission.number_to) == ("chapter", rest, 10)
    assert [o.chapter for o in old.omissions[1:]] == [None, None]
    # the 変更後 column has its own
    assert [c.heading for c in new.chapters] == [c.heading for c in old.chapters]
    assert not set(map(id, new.chapters)) & set(map(id, old.chapters))


def test_an_omitted_part_is_flagged(tmp_path):
    before = ["計画書２ページ ", "Ⅰ．基本的な考え方 ", "－ 省 略 － ", *CHAPTERS[6:]]
    _, old, _ = small(tmp_path, before)
    assert [(c.heading, c.omitted) for c in old.chapters] == [
        ("Ⅰ．基本的な考え方", True),
        ("Ⅱ．基本的方向と具体的な事業", False),
    ]
    assert (old.omissions[0].level, old.omissions[0].chapter) == ("part", old.chapters[0])


def test_a_chapter_number_twice_names_the_line(tmp_path):
    before = CHAPTERS[:4] + ["１．策定の経過（続き） ", "市は計画を作った。 "]
    with pytest.raises(SourceError, match="二度") as err:
        small(tmp_path, before)
    text = document(page(before, before, [["文言整理 "]]))
    assert err.value.line == line_of(text, "１．策定の経過（続き）")


def test_paragraphs_and_dated_events(tmp_path):
    before = [
        "計画書２ページ ",
        "Ⅰ．基本的な考え方 ",
        "１．策定の経過 ",
        "   平成 26 年 11 月、国は法を定めま",
        "した。 ",
        "本市では令和元年 12 月に計画を策定し",
        "ました。 ",
    ]
    _, old, _ = small(tmp_path, before)
    assert [t.text for t in old.texts] == [
        "平成 26 年 11 月、国は法を定めました。",
        "本市では令和元年 12 月に計画を策定しました。",
    ]
    assert [(e.year, e.month, e.label) for e in old.events] == [(2014, 11, "平成26年11月"), (2019, 12, "令和元年12月")]
    assert old.events[0].text_ref is old.texts[0]


@pytest.mark.parametrize(
    "text, closed",
    [
        ("図る。", True),
        ("図る。（R5：小学生以下 R6：高", False),
        ("図る。（R5：小学生以下）", True),
        ("図る", False),
        ("「図る。", False),
    ],
)
def test_sentence_closed(text, closed):
    assert sentence_closed(text) is closed


def test_unknown_unit_names_the_line(tmp_path):
    bad = [line.replace("１２０人   １５０人", "１２０頭   １５０頭") for line in PROJECT_A]
    with pytest.raises(SourceError, match="未知の単位「頭」") as err:
        small(tmp_path, GOAL_HEAD + bad)
    assert err.value.line == line_of(document(page(GOAL_HEAD + bad, GOAL_HEAD + bad, [["x"]])), "１２０頭")


def test_unknown_era_names_the_line(tmp_path):
    bad = [line.replace("（令和元年） （令和７年）", "（天保元年） （令和７年）") for line in PROJECT_A]
    with pytest.raises(SourceError, match="未知の元号「天保」") as err:
        small(tmp_path, GOAL_HEAD + bad)
    assert err.value.line == line_of(document(page(GOAL_HEAD + bad, GOAL_HEAD + bad, [["x"]])), "天保元年")


def test_value_line_that_does_not_parse_names_the_line(tmp_path):
    bad = [line.replace("80.5％    100％", "80.5％ と 100％") for line in PROJECT_A]
    with pytest.raises(SourceError, match="基準値と目標値の行として読めません") as err:
        small(tmp_path, GOAL_HEAD + bad)
    assert err.value.line == line_of(document(page(GOAL_HEAD + bad, GOAL_HEAD + bad, [["x"]])), "80.5％ と")


def test_description_without_full_stop_is_an_error(tmp_path):
    bad = [line.replace("を軽くする。", "を軽くする") for line in PROJECT_A]
    with pytest.raises(SourceError, match="説明"):
        small(tmp_path, GOAL_HEAD + bad)


def test_omission_marker_without_heading_is_an_error(tmp_path):
    before = GOAL_HEAD[:6] + ["－ 省 略 － "]
    with pytest.raises(SourceError, match="直前に見出しがありません"):
        small(tmp_path, before)


def test_half_width_brackets_western_years_and_values_in_words(tmp_path):
    head = [
        line.replace("（２）子育て支援", "(2) 子育て支援").replace(
            "1,200千人（平成 30年） 1,500千人（令和６年）", "1,200千人(2018年) 増加（2024年度）"
        )
        for line in GOAL_HEAD
    ]
    project = [
        "まちなか交流事業 ",
        "・交流の場を設け、にぎわいを生む。(R6：新設) ",
        "交流イベントの",
        "参加者数 ",
        "12回    前年度以上 ",
        "(2023年度)   (2027年度) ",
        "空き店舗の数 ",
        "維持   ５ 箇所 ",
        "（令和５年） (2027年) ",
    ]
    related = ["(主な関連事業) ", "    ・ひかり相談事業 "]
    text, old, _ = small(tmp_path, head + project + related)
    (ng,) = [k for k in old.kpis if k.kind == "numerical_goal"]
    assert (ng.baseline.value, ng.baseline_period.year, ng.baseline_period.era) == (1200, 2018, None)
    assert (ng.target.text, ng.target.value, ng.target.kind, ng.target_period.label) == (
        "増加",
        None,
        "words",
        "2024年度",
    )
    (measure,) = [m for m in old.measures if m.number == 2 and m.level == 1]
    assert (measure.label, measure.title) == ("(2)", "子育て支援")
    (p,) = old.projects
    assert p.description == "交流の場を設け、にぎわいを生む。(R6：新設)"
    first, second = p.kpis
    assert first.name == "交流イベントの参加者数"
    assert (first.baseline.value, first.baseline.unit, first.baseline.kind) == (12, "回", "number")
    assert (first.target.text, first.target.value, first.target.kind) == ("前年度以上", None, "words")
    assert (first.baseline_period.year, first.baseline_period.year_type, first.target_period.year) == (
        2023,
        "年度",
        2027,
    )
    assert (second.baseline.kind, second.baseline.text) == ("words", "維持")
    assert (second.target.value, second.target.unit, second.target_period.label) == (5, "箇所", "2027年")
    assert [r.name for r in old.related] == ["ひかり相談事業"]
    assert first.lines[-1].no == line_of(text, "(2023年度)")


def test_unknown_words_in_a_value_cell_name_the_line(tmp_path):
    bad = [line.replace("１２０人   １５０人", "たくさん   １５０人") for line in PROJECT_A]
    with pytest.raises(SourceError, match="未知の言葉の値「たくさん」") as err:
        small(tmp_path, GOAL_HEAD + bad)
    assert err.value.line == line_of(document(page(GOAL_HEAD + bad, GOAL_HEAD + bad, [["x"]])), "たくさん")


def test_a_new_unit_still_stops_the_build_at_its_line(tmp_path):
    bad = [line.replace("80.5％    100％", "80.5坪    100坪") for line in PROJECT_A]
    with pytest.raises(SourceError, match="未知の単位「坪」") as err:
        small(tmp_path, GOAL_HEAD + bad)
    assert err.value.line == line_of(document(page(GOAL_HEAD + bad, GOAL_HEAD + bad, [["x"]])), "80.5坪")
    assert str(err.value).startswith(f"{tmp_path / 'doc.txt'}:{err.value.line}: ")


def test_every_kind_of_line_has_its_handler():
    from portal.pipeline.markers import STRUCTURAL
    from portal.pipeline.outline import HANDLERS

    # 「－ 省 略 －」 is the main loop's own; every other kind classify() gives is handled
    assert set(HANDLERS) == (STRUCTURAL | {"other"}) - {"omitted"}
