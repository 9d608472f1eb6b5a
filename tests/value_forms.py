"""A 新旧対照表 written with the value forms of other municipalities' KPI tables, for tests.

Every form the value reader knows stands in a 数値目標 or KPI cell, as a
baseline and as a target, in both columns: compound 億/万 amounts, 「/年」,
以上・以下・未満・超, dashes with and without a unit, a year or a note in
brackets after the value, abbreviated eras, a western year with its era in
brackets, and periods.  The revision changes a few targets so that each kind
of comparison appears: raised, lowered, a qualified target against an exact
one, and a rate per year against a total.
"""

from __future__ import annotations

from pathlib import Path

from .layout import GOAL_HEAD, document, page, write


def head(numgoals: list[str]) -> list[str]:
    """The layout's goal, with these 数値目標 rows and without the omitted measure."""
    return [*GOAL_HEAD[:7], *numgoals, *GOAL_HEAD[12:]]


def project_a(visits: str, days: str, trainees: str, grant: str) -> list[str]:
    return [
        "おひさま保育事業 ",
        "・保育所で一時的に児童を預かり、保護者の負担",
        "を軽くする。 ",
        "一時預かりの利用回数 ",
        visits,
        "（H31年度） （R7年度） ",
        "相談日数 ",
        days,
        "（2019(H31)年） （令和3年度～令和6年度） ",
        "研修の受講者数 ",
        trainees,
        "補助金の交付額 ",
        grant,
        "（S63） （R元年） ",
    ]


PROJECT_B = [
    "みどりの窓口事業 ",
    "・窓口で相談を受け付ける。 ",
    "相談件数 ",
    "3件未満   5件（累計） ",
    "（H27） （H27～R1） ",
    "利用世帯数 ",
    "100世帯超   5%以下 ",
    "（R6年度） （R7年度） ",
]

RELATED = ["（主な関連事業） ", "    ・ひかり相談事業 "]

BEFORE = [
    *head(
        [
            "観光消費額 1億2,000万円（H30） 1億5,000万円（R6） ",
            "転入者数 590 人（期間平均）（2009~14 年） 2,000人以上（令和3年度～令和6年度） ",
        ]
    ),
    *project_a(
        "— 回/年    12回/年以上 ",
        "10日/年   3,000日 ",
        "590 人(2014 年)   600人(2020年) ",
        "— 円   3億5万円 ",
    ),
    *PROJECT_B,
    *RELATED,
]

AFTER = [
    *head(
        [
            "観光消費額 1億2,000万円（H30） 1億8,000万円（R7） ",
            "転入者数 590 人（期間平均）（2009~14 年） 2,500人（令和3年度～令和7年度） ",
        ]
    ),
    *project_a(
        "— 回/年    12回/年以上 ",
        "10日/年   12日/年 ",
        "590 人(2014 年)   650人(2020年) ",
        "— 円   2億9,000万円 ",
    ),
    *PROJECT_B,
    *RELATED,
]

NAME = "value-forms.txt"


def write_document(folder: Path) -> Path:
    return write(folder, document(page(BEFORE, AFTER, [["指標の見直し "]])), NAME)
