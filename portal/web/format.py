"""How values are written on the pages: numbers with separators, units, 和暦 with 西暦."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from ..pipeline.display import names, queries
from ..pipeline.schema import labels, package_meta
from ..pipeline.values import PER_YEAR, catalogue

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


def unit(u: str | None, per_year: bool | int | None = False) -> str:
    """「％」, or 「回/年」 for a value per year."""
    return UNIT_DISPLAY.get(u or "", u or "") + (PER_YEAR if per_year and u else "")


def qualifier(code: str | None) -> str:
    """The words of a qualifier code as tables write them after the unit (「以上」), from vocabulary.yaml."""
    if not code:
        return ""
    return {c: written for written, c in catalogue().qualifiers.items()}[code]


def amount(value, u: str | None, code: str | None = None, per_year: bool | int | None = False) -> str:
    """A value with its unit, 「/年」 and qualifier (「2,000人以上」, 「12回/年」), or 「－」 when there is none."""
    if value is None:
        return "－"
    return f"{number(value)}{unit(u, per_year)}{qualifier(code)}"


def base_amount(k: dict, which: str) -> str:
    """A value in its base unit (「1,625千人」 → 「1,625,000人」), with its 「/年」 and qualifier."""
    return amount(k[f"{which}_base_value"], k[f"{which}_base_unit"], k[f"{which}_qualifier"], k[f"{which}_per_year"])


def period(
    label: str | None,
    year: int | None,
    each_year: bool | int | None = False,
    start: int | None = None,
    end: int | None = None,
    year_type: str | None = None,
) -> str:
    """「令和元年（2019年）」, 「令和3年度～令和6年度（2021～2024年度）」, or 「各年度」 for every fiscal year."""
    if not label:
        return ""
    if each_year:
        return "各年度"
    if start is not None and end is not None:
        return f"{label}（{start}～{end}{year_type or '年'}）"
    if year is None:
        return label
    return f"{label}（{year}年）"


def value_of(k: dict, which: str) -> str:
    """A kpis row's baseline or target as the document writes it, with its note (「5件（期間平均）」)."""
    text, note = k[f"{which}_text"] or "", k.get(f"{which}_value_note")
    return f"{text}（{note}）" if note else text


def when_of(k: dict, which: str) -> str:
    """A kpis row's year of the baseline or target: 和暦 as written, with 西暦 (a period from its start to end)."""
    return period(
        k[f"{which}_label"],
        k[f"{which}_year"],
        k.get(f"{which}_each_year"),
        k.get(f"{which}_year_start"),
        k.get(f"{which}_year_end"),
        k.get(f"{which}_year_type"),
    )


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
        base_amount=base_amount,
        qualifier=qualifier,
        period=period,
        value_of=value_of,
        when_of=when_of,
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
