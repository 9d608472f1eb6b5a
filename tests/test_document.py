"""The real 新旧対照表, checked value by value against a reading of the document.

Expected values here were read from the source text by hand; the parser
knows none of them.
"""

import pytest

from portal.pipeline.schema import labels, tables

V1, V2 = 1, 2

# (goal, project or None for 数値目標, name, baseline text, baseline value, baseline unit, baseline year, baseline label,
#  target text, target value, target unit, target year, target label, target each year)
KPIS_COMMON = [
    (1, None, "就業者数", "7,740人", 7740, "人", 2015, "平成27年", "6,300人", 6300, "人", 2025, "令和７年", False),
    (
        1,
        "創業支援事業",
        "創業支援事業に基づく新規創業件数及び事業承継件数",
        "２件",
        2,
        "件",
        2019,
        "令和元年",
        "４件",
        4,
        "件",
        2025,
        "令和７年",
        False,
    ),
    (
        2,
        None,
        "観光入込客数",
        "1,625千人",
        1625,
        "千人",
        2019,
        "令和元年",
        "1,638千人",
        1638,
        "千人",
        2025,
        "令和７年",
        False,
    ),
    (3, None, "出生数", "74人", 74, "人", 2019, "令和元年", "108人", 108, "人", 2025, "令和７年", False),
    (
        3,
        "病児・病後児保育事業",
        "病児・病後児保育充足率",
        "100％",
        100,
        "%",
        2019,
        "令和元年",
        "100％",
        100,
        "%",
        None,
        "各年度",
        True,
    ),
    (
        3,
        "市立保育所開放事業",
        "参加親子組数",
        "102組",
        102,
        "組",
        2019,
        "令和元年",
        "150組",
        150,
        "組",
        None,
        "各年度",
        True,
    ),
    (
        3,
        "市立保育所一時保育事業",
        "一時保育事業実施率",
        "100％",
        100,
        "%",
        2019,
        "令和元年",
        "100％",
        100,
        "%",
        None,
        "各年度",
        True,
    ),
    (
        3,
        "学童保育事業",
        "学童保育所待機児童数",
        "０人",
        0,
        "人",
        2019,
        "令和元年",
        "０人",
        0,
        "人",
        None,
        "各年度",
        True,
    ),
    (
        3,
        "ふしぎの森利用料無料クーポン券支給事業",
        "クーポンを利用した世帯の割合",
        "57.7％",
        57.7,
        "%",
        2019,
        "令和元年",
        "60％",
        60,
        "%",
        2025,
        "令和７年",
        False,
    ),
    (
        3,
        "インフルエンザ任意予防接種費用助成事業",
        "接種率",
        "55.9％",
        55.9,
        "%",
        2019,
        "令和元年",
        "60％",
        60,
        "%",
        2025,
        "令和７年",
        False,
    ),
    (
        4,
        "住民票等コンビニ交付サービス事業",
        "発行した証明書の件数",
        "－",
        None,
        None,
        2020,
        "令和２年",
        "2,121件",
        2121,
        "件",
        2025,
        "令和７年",
        False,
    ),
    (
        4,
        "住民票等コンビニ交付サービス事業",
        "マイナンバーカード交付枚数率",
        "27.4％",
        27.4,
        "%",
        2020,
        "令和２年",
        "100％",
        100,
        "%",
        2025,
        "令和７年",
        False,
    ),
]
BRAND_KPIS = [
    (
        "チームを構成する事業者数",
        "21事業者",
        21,
        "事業者",
        2019,
        "令和元年",
        "75事業者",
        75,
        "事業者",
        2025,
        "令和７年",
        False,
    ),
    ("地域ブランドの商品数", "22品", 22, "品", 2019, "令和元年", "50品", 50, "品", 2025, "令和７年", False),
]
KPIS_V1 = (
    KPIS_COMMON
    + [(1, "地域ブランド構築事業", *k) for k in BRAND_KPIS]
    + [
        (
            3,
            "乳幼児等医療費助成事業",
            "対象者１人当たりの助成額",
            "－",
            None,
            None,
            2019,
            "令和元年",
            "8,400円",
            8400,
            "円",
            None,
            "各年度",
            True,
        ),
    ]
)
KPIS_V2 = (
    KPIS_COMMON
    + [(1, "地域ブランド定着推進事業", *k) for k in BRAND_KPIS]
    + [
        (
            3,
            "保育・教育施設 ICTシステム導入事業",
            "利用者登録率（保育所）",
            "－",
            None,
            None,
            2022,
            "令和４年",
            "100％",
            100,
            "%",
            2025,
            "令和７年",
            False,
        ),
        (
            3,
            "保育・教育施設 ICTシステム導入事業",
            "利用者登録率（小中学校）",
            "－",
            None,
            None,
            2022,
            "令和４年",
            "100％",
            100,
            "%",
            2025,
            "令和７年",
            False,
        ),
    ]
)
NOT_SET_V2 = ["子ども医療費無料化事業", "学校給食費無償化事業"]

PROJECTS_V1 = [
    (1, "地域ブランド構築事業", 7),
    (1, "創業支援事業", 7),
    (3, "病児・病後児保育事業", 14),
    (3, "市立保育所開放事業", 14),
    (3, "市立保育所一時保育事業", 14),
    (3, "学童保育事業", 14),
    (3, "ふしぎの森利用料無料クーポン券支給事業", 15),
    (3, "乳幼児等医療費助成事業", 15),
    (3, "インフルエンザ任意予防接種費用助成事業", 15),
    (4, "住民票等コンビニ交付サービス事業", 17),
]
PROJECTS_V2 = [
    (1, "地域ブランド定着推進事業", 7),
    (1, "創業支援事業", 7),
    (3, "病児・病後児保育事業", 14),
    (3, "市立保育所開放事業", 14),
    (3, "市立保育所一時保育事業", 14),
    (3, "学童保育事業", 14),
    (3, "保育・教育施設 ICTシステム導入事業", 14),
    (3, "ふしぎの森利用料無料クーポン券支給事業", 15),
    (3, "子ども医療費無料化事業", 15),
    (3, "インフルエンザ任意予防接種費用助成事業", 15),
    (3, "学校給食費無償化事業", 15),
    (4, "住民票等コンビニ交付サービス事業", 17),
]

R_WORDING = "文言整理"
R_NATIONAL_HISTORY = "国の「デジタル田園都市国家構想総合戦略」策定に係る経過及び市の対応について明記。"
R_NATIONAL_AND_BRAND = (
    "国のデジタル田園都市国家構想総合戦略及び地域ブランドに係る取り組みの進捗状況を踏まえ、文章を修正。"
)
R_BRAND = "地域ブランドに係る取り組みの進捗状況を踏まえ、文章を修正。"
R_NATIONAL = "国のデジタル田園都市国家構想総合戦略を踏まえ、文章を修正。"
R_ICT = "令和５年度新規事業である「保育所ＩＣＴシステム導入事業」及び「小中学校ＩＣＴシステム導入事業」の２事業を１事業にまとめ、具体的な事業として記載"
R_MEDICAL = "・医療費無料化に伴う文章修正\n・KPIについては、助成額で事業の有効性を図ることは困難なため、設定しない。"
R_NEW = "新規事業の追加"

# (資料 page, plan page, change type, goal, reason, text that identifies the change)
CHANGES = [
    (1, 2, "text_modified", None, R_WORDING, "延伸したところです"),
    (1, 2, "text_modified", None, R_WORDING, "推進することとしたため"),
    (1, 2, "text_added", None, R_NATIONAL_HISTORY, "その後、国では"),
    (1, 2, "text_added", None, R_NATIONAL_HISTORY, "これを受け、本市においても"),
    (2, 5, "text_modified", 1, R_NATIONAL_AND_BRAND, "デジタル技術の活用により、地域ブランドの推進や"),
    (2, 7, "text_modified", 1, R_BRAND, "地域ブランドを推進し"),
    (3, 7, "project_replaced", 1, R_BRAND, "地域ブランド定着推進事業"),
    (4, 9, "text_modified", 2, R_NATIONAL, "デジタル技術等を活用した効果的な観光"),
    (5, 12, "text_modified", 3, R_NATIONAL, "デジタル環境の整備"),
    (6, 14, "project_added", 3, R_ICT, "保育・教育施設 ICTシステム導入事業"),
    (6, 14, "kpi_added", 3, R_ICT, "利用者登録率（保育所）"),
    (6, 14, "kpi_added", 3, R_ICT, "利用者登録率（小中学校）"),
    (7, 15, "project_replaced", 3, R_MEDICAL, "子ども医療費無料化事業"),
    (7, 15, "kpi_changed_to_not_set", 3, R_MEDICAL, "KPIの設定が困難なため設定しない"),
    (7, 15, "project_added", 3, R_NEW, "学校給食費無償化事業"),
    (7, 15, "kpi_not_set", 3, R_NEW, "KPIの設定が困難なため設定しない"),
    (8, 17, "related_project_added", 4, R_NEW, "保育所ＩＣＴシステム導入事業"),
    (8, 17, "related_project_added", 4, R_NEW, "小中学校ＩＣＴシステム導入事業"),
]


def kpi_rows(built_db, version):
    rows = built_db.execute(
        "select goal_no, project_name, name, baseline_text, baseline_value, baseline_unit, baseline_year, baseline_label,"
        " target_text, target_value, target_unit, target_year, target_label, target_each_year"
        " from kpis where version_id = ? and status = 'set'",
        [version],
    ).fetchall()
    return [(*r[:13], bool(r[13])) for r in rows]


@pytest.mark.parametrize("version, expected", [(V1, KPIS_V1), (V2, KPIS_V2)])
def test_every_kpi_of_both_versions(built_db, version, expected):
    got = kpi_rows(built_db, version)
    key = lambda r: tuple("" if x is None else str(x) for x in r)  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)


def test_values_are_typed_numbers_and_dash_is_null_not_zero(built_db):
    row = built_db.execute(
        "select baseline_value, typeof(baseline_value) t, target_value from kpis where name = 'クーポンを利用した世帯の割合'"
    ).fetchone()
    assert (row["baseline_value"], row["t"], row["target_value"]) == (57.7, "real", 60)
    dash = built_db.execute(
        "select baseline_value, baseline_text, baseline_value_kind from kpis where name = '発行した証明書の件数'"
    ).fetchall()
    assert [tuple(r) for r in dash] == [(None, "－", "none")] * 2
    # the document writes every other value as a number
    kinds = built_db.execute("select distinct baseline_value_kind, target_value_kind from kpis where status = 'set'")
    assert {tuple(r) for r in kinds} == {("number", "number"), ("none", "number")}
    zero = built_db.execute(
        "select baseline_value, typeof(baseline_value) from kpis where name = '学童保育所待機児童数'"
    ).fetchall()
    assert [tuple(r) for r in zero] == [(0, "integer")] * 2


def test_each_year_has_no_year(built_db):
    rows = built_db.execute(
        "select target_year, target_year_type, target_label from kpis where target_each_year = 1"
    ).fetchall()
    assert len(rows) == 9  # 5 in 変更前, 4 in 変更後
    assert {tuple(r) for r in rows} == {(None, "年度", "各年度")}


def test_kpis_not_set(built_db):
    rows = built_db.execute(
        "select version_id, project_name, status_text, name, baseline_value, target_value from kpis where status = 'not_set'"
    ).fetchall()
    assert sorted(tuple(r) for r in rows) == sorted(
        (V2, p, "KPIの設定が困難なため設定しない", None, None, None) for p in NOT_SET_V2
    )


def test_numerical_goal_notes(built_db):
    notes = dict(
        built_db.execute("select name, note from kpis where kind = 'numerical_goal' and version_id = 2").fetchall()
    )
    assert notes["就業者数"] == (
        "※１ 国勢調査の数値による\n"
        "※２ 人口減少に伴い生産年齢人口が減少しても、平成 27年の就業者の割合を維持するという考え方に基づき目標値を設定している。"
    )
    assert notes["出生数"] == "※住民基本台帳上の出生数（１～12月）"
    assert notes["観光入込客数"] is None


@pytest.mark.parametrize("version, expected", [(V1, PROJECTS_V1), (V2, PROJECTS_V2)])
def test_every_project_of_both_versions(built_db, version, expected):
    rows = built_db.execute(
        "select goal_no, name, plan_page from projects where version_id = ? order by id", [version]
    ).fetchall()
    assert [tuple(r) for r in rows] == expected


def test_project_descriptions(built_db):
    desc = dict(built_db.execute("select name, description from projects where version_id = 2").fetchall())
    assert (
        desc["子ども医療費無料化事業"]
        == "高校生以下の医療費を無料化し、子育て世帯の負担の軽減を図る。（R5：小学生以下 R6：高校生以下）"
    )
    assert desc["地域ブランド定着推進事業"] == (
        "令和４年度まで実施していた地域ブランド構築事業によって生まれた「一般社団法人オアリパ」が取り組む事業を支援することで、地域ブランドの定着を図る。"
    )
    assert desc["学校給食費無償化事業"] == "小中学校の学校給食費を無償化し、子育て世帯の負担の軽減を図る。"


def test_every_change_with_its_reason_and_plan_page(built_db):
    rows = built_db.execute(
        "select source_page, plan_page, change_type, goal_no, reason, coalesce(after_text, '') || '|' || coalesce(before_text, '')"
        " from changes order by id"
    ).fetchall()
    assert len(rows) == len(CHANGES)
    for row, (page, plan_page, kind, goal, reason, needle) in zip(rows, CHANGES, strict=False):
        assert tuple(row[:5]) == (page, plan_page, kind, goal, reason)
        assert needle in row[5]


def test_change_texts(built_db):
    rows = {r["id"]: r for r in built_db.execute("select * from changes")}
    assert rows[6]["before_text"].endswith("地域ブランドづくりを推進し、販路開拓と売上拡大を図る。")
    assert rows[6]["after_text"].endswith("地域ブランドを推進し、販路開拓と売上拡大を図る。")
    assert rows[13]["before_text"].startswith("乳幼児等医療費助成事業\n")
    assert rows[14]["before_text"] == "対象者１人当たりの助成額：基準値 －（令和元年） → 目標値 8,400円（各年度）"
    assert rows[14]["parent_id"] == 13
    assert rows[3]["before_text"] is None


def test_line_wrap_only_difference_on_plan_page_17_is_not_a_change(built_db):
    texts = built_db.execute(
        "select version_id, text from texts where plan_page = 17 and kind = 'measure_text' order by version_id"
    ).fetchall()
    assert len(texts) == 2 and texts[0]["text"] == texts[1]["text"]
    assert "人的資源を行政サービスの更なる向上につなげる。" in texts[0]["text"]
    kinds = [r[0] for r in built_db.execute("select change_type from changes where plan_page = 17")]
    assert kinds == ["related_project_added", "related_project_added"]


def test_unchanged_first_paragraph_is_not_a_change(built_db):
    rows = built_db.execute("select count(*) from changes where before_text like '平成 26 %'").fetchone()
    assert rows[0] == 0


def test_goals(built_db):
    rows = built_db.execute("select version_id, goal_no, title, plan_page from goals order by id").fetchall()
    titles = {
        1: ("安定した雇用を創出し、地域人材の活躍の場をつくる", 5),
        2: ("新しいひとの流れをつくる", 9),
        3: ("若い世代の結婚・出産・子育ての希望をかなえる", 12),
        4: ("安心して暮らし続けることができる地域をつくる", 17),
    }
    assert [tuple(r) for r in rows] == [(v, n, *titles[n]) for v in (V1, V2) for n in (1, 2, 3, 4)]


def test_directions(built_db):
    rows = built_db.execute(
        "select goal_no, count(*) from texts where kind = 'direction' and version_id = 2 group by goal_no"
    ).fetchall()
    assert [tuple(r) for r in rows] == [(1, 3), (2, 4), (3, 4)]
    goal4 = built_db.execute(
        "select scope from omissions where version_id = 2 and goal_no = 4 and level = 'subsection'"
    ).fetchall()
    assert [r[0] for r in goal4] == ["《基本的方向》"]


def test_strategy_history_events(built_db):
    rows = built_db.execute("select version_id, year, month, label from events order by id").fetchall()
    common = [(2014, 11, "平成26年11月"), (2016, 1, "平成28年１月"), (2019, 12, "令和元年12月")]
    assert [tuple(r) for r in rows] == [(V1, *e) for e in common] + [(V2, *e) for e in common] + [
        (V2, 2022, 12, "令和４年12月")
    ]
    paragraphs = built_db.execute(
        "select version_id, count(*) from texts where kind = 'paragraph' group by version_id"
    ).fetchall()
    assert [tuple(r) for r in paragraphs] == [(V1, 3), (V2, 5)]


def test_omitted_sections_are_recorded(built_db):
    rows = built_db.execute("select scope, plan_page from omissions where version_id = 1 order by id").fetchall()
    assert [tuple(r) for r in rows] == [
        ("２．戦略の概要 ～ 10．デジタルトランスフォーメーション（DX）の推進", 2),
        ("①地域人材の就労支援～④農業の担い手の確保・育成", 5),
        ("②農業振興策の実施", 7),
        ("①移住定住の促進～③まちなかのにぎわい創出", 9),
        ("①地元学校への進学促進", 9),
        ("①婚活支援の推進", 12),
        ("①妊娠・出産への支援の実施", 12),
        ("④小中学校の学習環境の充実", 15),
        ("《基本的方向》", 17),
        ("①地域包括ケアシステムの充実～⑤災害対策の実施", 17),
        ("①良質な住宅ストックの確保", 17),
        ("①他の地方公共団体と連携した施策の実施", 17),
        ("①市民が主体的に地域づくりに参画することができる環境・仕組みづくり", 17),
    ]
    same = built_db.execute(
        "select count(*) from omissions a join omissions b on a.scope = b.scope and a.version_id = 1 and b.version_id = 2"
    ).fetchone()[0]
    assert same == 13


def test_related_projects(built_db):
    counts = built_db.execute("select version_id, goal_no, count(*) from related_projects group by 1, 2").fetchall()
    assert [tuple(r) for r in counts] == [(1, 1, 6), (1, 3, 19), (1, 4, 5), (2, 1, 6), (2, 3, 19), (2, 4, 7)]
    names = [
        r[0]
        for r in built_db.execute("select name from related_projects where version_id = 1 and goal_no = 1 order by seq")
    ]
    assert names[1] == "商工業金融対策事業（保証融資利子補給事業）"
    assert names[4] == "商業街路灯設置・維持費助成事業"


def test_kpi_lineage_across_versions(built_db):
    rows = built_db.execute(
        "select old.name, old.project_name, new.project_name from kpis new join kpis old on new.previous_id = old.id"
        " where new.name = 'チームを構成する事業者数'"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        ("チームを構成する事業者数", "地域ブランド構築事業", "地域ブランド定着推進事業")
    ]
    dropped = built_db.execute(
        "select name from kpis k where version_id = 1 and kind = 'kpi' and not exists (select 1 from kpis n where n.previous_id = k.id)"
    ).fetchall()
    assert [r[0] for r in dropped] == ["対象者１人当たりの助成額"]


def test_source_pages(built_db):
    rows = built_db.execute("select page_no, printed_page_no, plan_pages from source_pages order by page_no").fetchall()
    assert [tuple(r) for r in rows] == [
        (1, None, "2"),
        (2, None, "5,7"),
        (3, None, "7"),
        (4, 4, "9"),
        (5, None, "12"),
        (6, None, "14"),
        (7, None, "15"),
        (8, None, "17"),
    ]


# the headings above the goals, in each column: (level, number, number to, label, title, omitted, plan page, line)
CHAPTERS_V1 = [
    ("part", 1, 1, "Ⅰ．", "基本的な考え方", False, 2, 5),
    ("chapter", 1, 1, "１．", "策定の経過", False, 2, 9),
    ("chapter", 2, 10, "２．", "戦略の概要 ～ 10．デジタルトランスフォーメーション（DX）の推進", True, 2, 65),
    ("part", 2, 2, "Ⅱ．", "基本的方向と具体的な事業", False, 5, 232),
]
CHAPTER_LINES_V2 = [89, 93, 149, 313]


def test_parts_and_chapters_of_both_versions(built_db):
    rows = built_db.execute(
        "select c.version_id, c.level, c.number, c.number_to, c.label, c.title, c.omitted, c.plan_page, c.source_line,"
        " p.label || p.title, prev.source_line from chapters c left join chapters p on p.id = c.parent_id"
        " left join chapters prev on prev.id = c.previous_id order by c.id"
    ).fetchall()
    parents = [None, "Ⅰ．基本的な考え方", "Ⅰ．基本的な考え方", None]
    v1 = [(V1, *c[:5], int(c[5]), *c[6:], parent, None) for c, parent in zip(CHAPTERS_V1, parents, strict=True)]
    v2 = [
        (V2, *c[:5], int(c[5]), c[6], line, parent, c[7])
        for c, line, parent in zip(CHAPTERS_V1, CHAPTER_LINES_V2, parents, strict=True)
    ]
    assert [tuple(r) for r in rows] == v1 + v2


def test_goals_stand_under_part_two(built_db):
    rows = built_db.execute(
        "select g.version_id, g.goal_no, c.version_id, c.label || c.title from goals g join chapters c on c.id = g.chapter_id"
        " order by g.id"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        (v, n, v, "Ⅱ．基本的方向と具体的な事業") for v in (V1, V2) for n in (1, 2, 3, 4)
    ]
    assert built_db.execute("select count(*) from goals where chapter_id is null").fetchone()[0] == 0


def test_paragraphs_and_events_link_to_their_chapter(built_db):
    rows = built_db.execute(
        "select t.version_id, t.kind, c.version_id, c.label || c.title, t.chapter from texts t"
        " left join chapters c on c.id = t.chapter_id group by 1, 2, 3, 4, 5 order by 1, 2"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        (v, kind, *((v, "１．策定の経過", "１．策定の経過") if kind == "paragraph" else (None, None, None)))
        for v in (V1, V2)
        for kind in ("direction", "measure_text", "paragraph")
    ]
    events = built_db.execute(
        "select e.version_id, c.version_id, c.label || c.title, e.chapter_id = t.chapter_id from events e"
        " join chapters c on c.id = e.chapter_id join texts t on t.id = e.text_id group by 1, 2, 3, 4"
    ).fetchall()
    assert [tuple(r) for r in events] == [(V1, V1, "１．策定の経過", 1), (V2, V2, "１．策定の経過", 1)]


def test_omitted_chapters_link_their_omission(built_db):
    rows = built_db.execute(
        "select o.version_id, o.level, o.scope, c.version_id, c.label || c.title, c.omitted, c.number, c.number_to,"
        " o.number_from, o.number_to from omissions o join chapters c on c.id = o.chapter_id order by o.id"
    ).fetchall()
    heading = "２．戦略の概要 ～ 10．デジタルトランスフォーメーション（DX）の推進"
    assert [tuple(r) for r in rows] == [(v, "chapter", heading, v, heading, 1, 2, 10, 2, 10) for v in (V1, V2)]
    assert built_db.execute("select count(*) from chapters where omitted").fetchone()[0] == 2


def test_the_not_set_kpi_of_the_added_project_is_a_change_of_that_project(built_db):
    rows = built_db.execute(
        "select c.id, c.change_type, c.parent_id, p.change_type, c.reason, c.reason_id = p.reason_id, k.project_name,"
        " k.status, k.version_id, c.before_id, c.after_line from changes c join changes p on p.id = c.parent_id"
        " join kpis k on k.id = c.after_id where c.change_type = 'kpi_not_set'"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        (16, "kpi_not_set", 15, "project_added", R_NEW, 1, "学校給食費無償化事業", "not_set", V2, None, 1658)
    ]


def test_an_indicator_given_up_for_not_set_is_no_deletion(built_db):
    # 対象者１人当たりの助成額 gives way to 「設定しない」: its own change type, never 「指標の削除」
    rows = built_db.execute(
        "select c.id, c.change_type, b.name, a.status, a.status_text, a.project_name from changes c"
        " join kpis b on b.id = c.before_id left join kpis a on a.id = c.after_id where c.element_table = 'kpis'"
        " and b.status = 'set' and (a.id is null or a.status = 'not_set')"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        (
            14,
            "kpi_changed_to_not_set",
            "対象者１人当たりの助成額",
            "not_set",
            "KPIの設定が困難なため設定しない",
            "子ども医療費無料化事業",
        )
    ]
    assert built_db.execute("select count(*) from changes where change_type = 'kpi_removed'").fetchone()[0] == 0
    # every not-set row is reached by a change of its project
    left = built_db.execute(
        "select project_name from kpis k where status = 'not_set' and not exists"
        " (select 1 from changes c where c.element_table = 'kpis' and k.id in (c.before_id, c.after_id))"
    ).fetchall()
    assert left == []


def test_marks_beside_names_and_values(built_db):
    rows = built_db.execute(
        "select version_id, name, name_mark, baseline_mark, target_mark from kpis where kind = 'numerical_goal'"
        " order by id"
    ).fetchall()
    marks = [("就業者数", "※１", None, "※２"), ("観光入込客数", None, None, None), ("出生数", "※", None, None)]
    assert [tuple(r) for r in rows] == [(v, *m) for v in (V1, V2) for m in marks]
    unmarked = built_db.execute(
        "select count(*) from kpis where kind = 'kpi' and coalesce(name_mark, baseline_mark, target_mark) is not null"
    ).fetchone()[0]
    assert unmarked == 0
    # each mark is the start of one line of the note
    for r in built_db.execute("select name_mark, baseline_mark, target_mark, note from kpis where note is not null"):
        notes = r["note"].split("\n")
        assert [m for m in r[:3] if m] == [n[: len(n) - len(n.lstrip("※１２３４５６７８９０"))] for n in notes]


def test_version_names(built_db):
    rows = built_db.execute("select id, column_label, label from versions order by id").fetchall()
    assert [tuple(r) for r in rows] == [
        (V1, "変更前", "変更前（当初の第２期総合戦略）"),
        (V2, "変更後", "変更後（改訂後）"),
    ]


def test_every_code_in_the_data_has_a_japanese_label(built_db):
    coded = [(t.name, f["name"]) for t in tables() for f in t.fields if "categories" in f]
    assert {
        ("changes", "change_type"),
        ("changes", "element_table"),
        ("kpis", "kind"),
        ("kpis", "status"),
        ("kpis", "baseline_year_type"),
        ("kpis", "target_year_type"),
        ("omissions", "level"),
        ("texts", "kind"),
        ("chapters", "level"),
    } <= set(coded)
    for table, field in coded:
        names = labels(table, field)
        values = {
            r[0] for r in built_db.execute(f'select distinct "{field}" from "{table}" where "{field}" is not null')
        }
        assert values <= set(names), (table, field)
        assert all(names.values()), (table, field)
    assert labels("changes", "change_type")["kpi_not_set"] == "追加された事業で指標を置かない"
    assert labels("changes", "change_type")["kpi_changed_to_not_set"] == "指標を置かないことに変更"
    assert labels("changes", "change_type")["kpi_removed"] == "指標の削除"
    assert labels("kpis", "kind") == {"numerical_goal": "数値目標", "kpi": "KPI（重要業績評価指標）"}


def test_labels_of_an_unknown_field_are_an_error():
    with pytest.raises(KeyError):
        labels("changes", "reason")  # a field without codes
    with pytest.raises(KeyError):
        labels("change", "change_type")
