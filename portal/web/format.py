"""How values are written on the pages: numbers with separators, units, 和暦 with 西暦."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from ..pipeline.display import names, queries
from ..pipeline.schema import labels, package_meta

#: how a unit is shown (the data stores "%"; the document writes 「％」)
UNIT_DISPLAY = {"%": "％"}

JST = ZoneInfo("Asia/Tokyo")

#: the Japanese labels of the codes, from the Table Schema (tables.yaml)
CHANGE_TYPES = labels("changes", "change_type")
KPI_KINDS = labels("kpis", "kind")
KPI_STATUS = labels("kpis", "status")
COMPARISON = labels("kpi_comparison", "status")


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


def jst_date(iso: str | None, time: bool = False) -> str:
    """「2026年11月29日」 (with 「 7時05分」 when asked), in Japan time, from an ISO 8601 timestamp."""
    if not iso:
        return ""
    t = datetime.fromisoformat(iso).astimezone(JST)
    day = f"{t.year}年{t.month}月{t.day}日"
    return f"{day} {t.hour}時{t.minute:02d}分（日本時間）" if time else day


def multiline(text: str | None) -> Markup:
    """Text with its line breaks kept."""
    if not text:
        return Markup("")
    return Markup("<br>").join(escape(part) for part in text.split("\n"))


def change_type(kind: str) -> str:
    return CHANGE_TYPES.get(kind, kind)


def register(app) -> None:
    @app.context_processor
    def deployment() -> dict:
        """Who runs the portal (a deployment setting), for the footer and the pages that name them."""
        return {"operator": app.config["OPERATOR"]}

    app.jinja_env.filters.update(
        number=number,
        unit=unit,
        amount=amount,
        period=period,
        multiline=multiline,
        change_type=change_type,
        jst_date=jst_date,
    )
    app.jinja_env.globals.update(
        CHANGE_TYPES=CHANGE_TYPES,
        KPI_KINDS=KPI_KINDS,
        KPI_STATUS=KPI_STATUS,
        COMPARISON=COMPARISON,
        QUERIES=queries(),
        NAMES=names(),
        ATTRIBUTION=package_meta()["attribution"],
    )
