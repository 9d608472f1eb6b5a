"""How values are written on the pages: numbers with separators, units, 和暦 with 西暦."""

from __future__ import annotations

from markupsafe import Markup, escape

#: how a unit is shown (the data stores "%"; the document writes 「％」)
UNIT_DISPLAY = {"%": "％"}

CHANGE_TYPES = {
    "text_modified": "文言の修正",
    "text_added": "文の追加",
    "text_removed": "文の削除",
    "project_added": "事業の追加",
    "project_removed": "事業の削除",
    "project_replaced": "事業の名称変更・置き換え",
    "project_modified": "事業の内容の修正",
    "kpi_added": "指標の追加",
    "kpi_removed": "指標の削除",
    "kpi_modified": "指標の変更",
    "related_project_added": "関連事業の追加",
    "related_project_removed": "関連事業の削除",
}

KPI_KINDS = {"numerical_goal": "数値目標", "kpi": "KPI（重要業績評価指標）"}


def number(value) -> str:
    """7740 → 「7,740」, 57.7 → 「57.7」."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.10g}"


def unit(u: str | None) -> str:
    return UNIT_DISPLAY.get(u or "", u or "")


def amount(value, u: str | None) -> str:
    """A value with its unit, or 「－（基準値なし）」 when there is none."""
    if value is None:
        return "－"
    return f"{number(value)}{unit(u)}"


def period(label: str | None, year: int | None, each_year: bool | int | None = False) -> str:
    """「令和元年（2019年）」, or 「各年度」 for every fiscal year."""
    if not label:
        return ""
    if each_year:
        return "各年度"
    if year is None:
        return label
    return f"{label}（{year}年）"


def multiline(text: str | None) -> Markup:
    """Text with its line breaks kept."""
    if not text:
        return Markup("")
    return Markup("<br>").join(escape(part) for part in text.split("\n"))


def change_type(kind: str) -> str:
    return CHANGE_TYPES.get(kind, kind)


def register(app) -> None:
    app.jinja_env.filters.update(
        number=number,
        unit=unit,
        amount=amount,
        period=period,
        multiline=multiline,
        change_type=change_type,
    )
    app.jinja_env.globals.update(CHANGE_TYPES=CHANGE_TYPES, KPI_KINDS=KPI_KINDS)
