"""A KPI's baseline and target as an SVG bar chart drawn on the server: no JavaScript, no CDN."""

from __future__ import annotations

from markupsafe import Markup, escape

from .format import amount, period

WIDTH = 560
LABEL_W = 150
BAR_MAX = 280
ROW_H = 44


def kpi_chart(kpi: dict, chart_id: str) -> Markup | None:
    """Bars for 基準値 and 目標値 on one scale, with the numbers written beside them."""
    if kpi["status"] != "set":
        return None
    rows = [
        (
            "基準値",
            kpi["baseline_value"],
            kpi["baseline_unit"],
            period(kpi["baseline_label"], kpi["baseline_year"], kpi["baseline_each_year"]),
        ),
        (
            "目標値",
            kpi["target_value"],
            kpi["target_unit"],
            period(kpi["target_label"], kpi["target_year"], kpi["target_each_year"]),
        ),
    ]
    values = [v for _, v, _, _ in rows if v is not None]
    scale = max(values + ([100] if kpi["target_unit"] == "%" else [])) or 1
    height = ROW_H * len(rows) + 16
    title = f"{kpi['name']}の基準値と目標値"
    desc = "、".join(
        f"{label}{' ' + when if when else ''}は{amount(v, u) if v is not None else '－（基準値なし）'}"
        for label, v, u, when in rows
    )
    parts = [
        f'<svg class="kpi-chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for k, (label, value, unit_, when) in enumerate(rows):
        y = 8 + k * ROW_H
        parts.append(f'<text x="0" y="{y + 15}" class="kpi-chart-label">{escape(label)}</text>')
        parts.append(f'<text x="0" y="{y + 33}" class="kpi-chart-when">{escape(when)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_W}" y="{y + 24}" class="kpi-chart-none">－（基準値なし）</text>')
            continue
        w = max(2, round(BAR_MAX * value / scale)) if value else 0
        cls = "kpi-chart-bar kpi-chart-target" if k else "kpi-chart-bar kpi-chart-baseline"
        parts.append(f'<rect x="{LABEL_W}" y="{y + 6}" width="{w}" height="24" class="{cls}"></rect>')
        parts.append(
            f'<text x="{LABEL_W + w + 8}" y="{y + 24}" class="kpi-chart-value">{escape(amount(value, unit_))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
