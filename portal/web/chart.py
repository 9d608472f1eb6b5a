"""A KPI's values for its page: the rows of its table, its ※ notes, and the bar chart drawn on the server.

The chart is SVG written here (no JavaScript, no CDN), so it works under the
site's Content-Security-Policy and in any browser.  It is drawn at about the
width of a phone's page (WIDTH user units) and shown no wider than that at the
reader's font size (portal.css), so its text is as big on a 390-pixel phone as
on a desktop, where an SVG drawn for a wide page would shrink to 8 px; font
sizes are in the SVG itself because the layout (where a label ends, how long a
bar may be) depends on them.  Values are written as the document writes them
(baseline_text, target_text: 「7,740人」, 「２件」, 「57.7％」), never re-typed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from .format import amount, period, value_of, when_of

#: the chart's width in SVG user units: a 390-pixel phone's page (358 CSS px) draws it at 1:1 or larger
WIDTH = 340
#: font sizes in user units; at the narrowest page we lay out for (320 px, 288 px of chart) 15 still renders ≥ 12 px
LABEL_SIZE = 16
SMALL_SIZE = 15
LINE = 22
BAR_H = 26
ROW_GAP = 16
PAD = 4
BAR_X = 2
VALUE_GAP = 8

#: the two kinds of value a KPI has
BASELINE, TARGET = "基準値", "目標値"


@dataclass(frozen=True)
class Value:
    """One value of the page: a row of the values table and a bar of the chart."""

    role: str  #: 基準値 or 目標値
    when: str  #: 「平成27年（2015年）」, or the document's 「各年度」
    each_year: bool
    text: str  #: as the document writes it
    value: float | None  #: None for the document's 「－」 (no value, not 0)
    unit: str | None
    mark: str | None  #: the ※ mark written beside the value
    note_id: str | None  #: the id of the note the mark refers to, when it is on this page
    version: str | None  #: the version's label, when two versions' targets are shown side by side
    current: bool  #: the value belongs to the KPI of this page (not its counterpart)
    per_year: bool = False  #: a rate per year (「12回/年」): drawn on its own scale, never against a total
    qualifier: str | None = None  #: 以上・以下… as a code: the text keeps the words
    base: str = ""  #: the value in its base unit, with 「/年」 and qualifier (「1,625,000人」)

    @property
    def missing(self) -> str:
        """「基準値なし（資料では「－」）」: words for a value the document gives as a dash."""
        return f"{self.role}なし（資料では「{self.text}」）"


def _plain(s: str | None) -> str:
    return unicodedata.normalize("NFKC", s or "")


def notes(kpi: dict) -> list[dict]:
    """The KPI's note lines, each with an id to link to and the ※ mark it explains.

    The note column holds every note of the row, one a line, each starting with
    its mark (「※１ 国勢調査の数値による」, or 「※住民基本台帳…」 for a bare 「※」);
    a line belongs to the longest of the row's marks it starts with, so 「※１」
    is not taken for 「※」 and 「※」 does not claim 「※２ …」.
    """
    marks = [m for m in (kpi["name_mark"], kpi["baseline_mark"], kpi["target_mark"]) if m]
    out = []
    for i, line in enumerate((ln for ln in (kpi["note"] or "").split("\n") if ln.strip()), 1):
        fitting = [
            m for m in marks if _plain(line).startswith(_plain(m)) and not _plain(line)[len(_plain(m)) :][:1].isdigit()
        ]
        out.append({"id": f"note-{i}", "mark": max(fitting, key=len, default=None), "text": line})
    return out


def note_ids(kpi: dict) -> dict[str, str]:
    """Mark → the id of its note line (the first, if two lines carry the same mark)."""
    ids: dict[str, str] = {}
    for n in notes(kpi):
        if n["mark"]:
            ids.setdefault(n["mark"], n["id"])
    return ids


def when(label: str | None, year: int | None, each_year) -> str:
    """The time of a value: 「令和７年（2025年）」, or the document's own 「各年度」 for every fiscal year."""
    return (label or "") if each_year else period(label, year)


def when_row(k: dict, field: str) -> str:
    """The time of a kpis row's value, a period from its start to its end included."""
    return (k[f"{field}_label"] or "") if k[f"{field}_each_year"] else when_of(k, field)


def _value(k: dict, field: str, role: str, mark, note_id, version, current) -> Value:
    return Value(
        role=role,
        when=when_row(k, field),
        each_year=bool(k[f"{field}_each_year"]),
        text=value_of(k, field),
        value=k[f"{field}_value"],
        unit=k[f"{field}_unit"],
        mark=mark,
        note_id=note_id,
        version=version,
        current=current,
        per_year=bool(k.get(f"{field}_per_year")),
        qualifier=k.get(f"{field}_qualifier"),
        base=amount(
            k.get(f"{field}_base_value"),
            k.get(f"{field}_base_unit"),
            k.get(f"{field}_qualifier"),
            k.get(f"{field}_per_year"),
        ),
    )


def target_differs(a: dict, b: dict) -> bool:
    """True when two versions of a KPI aim at different targets (value, unit or year)."""
    fields = ("target_text", "target_value", "target_unit", "target_label", "target_year", "target_each_year")
    fields += ("target_per_year", "target_qualifier", "target_value_note", "target_year_start", "target_year_end")
    return any(a[f] != b[f] for f in fields)


def values(kpi: dict, versions: dict[int, dict], other: dict | None = None) -> list[Value]:
    """The page's values in reading order: the baseline, then the target, or both versions' targets.

    `other` is the KPI's counterpart in the other version; when its target
    differs, both targets are given (oldest version first), each with its
    version's label from the data.
    """
    ids = note_ids(kpi)

    def value(k: dict, field: str, role: str, version: str | None) -> Value:
        mark = k[f"{field}_mark"]
        # a counterpart's mark links to this page's note only when the notes are the same
        linked = k is kpi or k["note"] == kpi["note"]
        return _value(k, field, role, mark, ids.get(mark) if mark and linked else None, version, k is kpi)

    rows = [value(kpi, "baseline", BASELINE, None)]
    if other is not None and target_differs(kpi, other):
        pair = sorted((kpi, other), key=lambda k: versions[k["version_id"]]["seq"])
        rows += [value(k, "target", TARGET, versions[k["version_id"]]["label"]) for k in pair]
    else:
        rows.append(value(kpi, "target", TARGET, None))
    return rows


def targets_over_versions(kpi: dict, rows: list[dict], versions: dict[int, dict]) -> list[Value]:
    """The target of each version of an indicator (`rows`, oldest first), each under its version's label."""
    return [
        _value(k, "target", TARGET, None, None, versions[k["version_id"]]["label"], k is kpi or k["id"] == kpi["id"])
        for k in rows
    ]


def unit_notes(rows: list[Value], units: dict[str, dict]) -> list[dict]:
    """For units counted in thousands (「千人」): what the unit means and each value in its base unit.

    The meaning and the multiplier come from the units table, so
    「1,638千人」 is explained as 「1,638,000人」 without multiplying the data.
    """
    out: dict[str, dict] = {}
    for r in rows:
        u = units.get(r.unit or "")
        if r.value is None or not u or u["multiplier"] == 1:
            continue
        entry = out.setdefault(u["unit"], {"unit": u["unit"], "title": u["title"], "examples": []})
        example = (r.text, r.base)
        if example not in entry["examples"]:
            entry["examples"].append(example)
    return list(out.values())


def _width(text: str, size: float) -> float:
    """About how wide a line of text is drawn, on the wide side: wide (Japanese) characters 1 em, others 0.65 em
    (a bold digit of Noto Sans JP is about 0.63 em)."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.65 * size for c in text)


def _shown(v: Value) -> str:
    """A value's words in the chart: the document's text with its ※ mark, or the words for 「－」."""
    return v.text + (v.mark or "") if v.value is not None else v.missing


def describe(rows: list[Value]) -> str:
    """The chart in one sentence, for its <desc> (read by screen readers)."""
    parts = []
    for v in rows:
        who = (f"{v.version}では" if v.version else "") + f"{v.when}の{v.role}"
        parts.append(f"{who}は{_shown(v)}" if v.value is not None else f"{who}はありません（資料では「{v.text}」）")
    return "、".join(parts) + "。"


def kpi_chart(title: str, rows: list[Value], chart_id: str) -> Markup:
    """Horizontal bars on one scale per kind of value, each under its label and with its value at its end.

    A kind is a unit and whether the value is per year: a rate per year
    (「12回/年」) is never drawn on the scale of a total.  A value the document
    gives as 「－」 gets no bar, only words saying there is none.  Percentages
    are drawn against 100％.  Every string from the data is escaped.
    """
    value_w = max((_width(_shown(v), LABEL_SIZE) for v in rows if v.value is not None), default=0)
    label_w = max(
        [_width(f"{v.role}　{v.when}", LABEL_SIZE) for v in rows]
        + [_width(v.version, SMALL_SIZE) for v in rows if v.version]
        + [BAR_X + VALUE_GAP + _width(v.missing, SMALL_SIZE) for v in rows if v.value is None]
    )
    width = round(max(WIDTH, label_w + PAD))
    bar_max = max(40, width - BAR_X - VALUE_GAP - value_w - PAD)
    scale: dict[tuple[str | None, bool], float] = {}
    for v in rows:
        if v.value is not None:
            floor = 100 if v.unit == "%" else 0
            scale[v.unit, v.per_year] = max(scale.get((v.unit, v.per_year), 0), v.value, floor)

    body: list[str] = []
    y = 0
    bars_top = bars_bottom = None
    for v in rows:
        y += LINE
        body.append(
            f'<text x="0" y="{y}" font-size="{LABEL_SIZE}"><tspan class="kpi-chart-label">{escape(v.role)}</tspan>'
            f'<tspan class="kpi-chart-when" dx="{LABEL_SIZE // 2}">{escape(v.when)}</tspan></text>'
        )
        if v.version:
            y += LINE - 2
            body.append(
                f'<text x="0" y="{y}" font-size="{SMALL_SIZE}" class="kpi-chart-version">{escape(v.version)}</text>'
            )
        top = y + 8
        bars_top = top if bars_top is None else bars_top
        bars_bottom = top + BAR_H
        text_y = top + BAR_H / 2 + LABEL_SIZE * 0.36
        if v.value is None:
            body.append(
                f'<text x="{BAR_X + VALUE_GAP}" y="{text_y:g}" font-size="{SMALL_SIZE}" class="kpi-chart-none">{escape(v.missing)}</text>'
            )
        else:
            most = scale[v.unit, v.per_year]
            w = round(bar_max * v.value / most) if most else 0
            if v.value and w < 2:
                w = 2
            kind = "kpi-chart-baseline" if v.role == BASELINE else "kpi-chart-target"
            if not v.current:
                kind += " kpi-chart-other"
            if w:
                body.append(
                    f'<rect x="{BAR_X}" y="{top}" width="{w}" height="{BAR_H}" class="kpi-chart-bar {kind}"></rect>'
                )
            body.append(
                f'<text x="{BAR_X + w + VALUE_GAP}" y="{text_y:g}" font-size="{LABEL_SIZE}" class="kpi-chart-value">'
                f"{escape(_shown(v))}</text>"
            )
        y = top + BAR_H + ROW_GAP
    height = y - ROW_GAP + PAD
    axis = f'<line x1="1" y1="{bars_top - 4}" x2="1" y2="{bars_bottom + 4}" class="kpi-chart-axis"></line>'
    return Markup(
        f'<svg class="kpi-chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(describe(rows))}</desc>'
        f"{axis}{''.join(body)}</svg>"
    )
