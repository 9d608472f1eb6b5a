"""The read stage (build.STAGES) — plan model: one column of the 新旧対照表 → the strategy as data.

The lines of one column (変更前 or 変更後), page after page, are read by their
shape only.  The work is split along its seams:

* markers.py — the markers and vocabulary: what kind of line a line is;
* model.py — the plan model (dataclasses);
* outline.py — the outline reader: headings, running text, omissions;
* grammars.py — the table grammars: 数値目標, 具体的な事業／KPI, 主な関連事業.

Nothing there knows a project name or a figure of the document; those are
checked by the tests.
"""

from __future__ import annotations

from pathlib import Path

from .markers import classify, sentence_closed
from .model import (
    SECTION_SEP,
    Chapter,
    Element,
    Event,
    Goal,
    Kpi,
    Measure,
    Omission,
    Plan,
    Project,
    Related,
    Subsection,
    Text,
)
from .outline import OutlineReader
from .source import Line

__all__ = [
    "SECTION_SEP",
    "Chapter",
    "Element",
    "Event",
    "Goal",
    "Kpi",
    "Measure",
    "Omission",
    "Plan",
    "Project",
    "Related",
    "Subsection",
    "Text",
    "classify",
    "parse_plan",
    "sentence_closed",
]


def parse_plan(lines: list[Line], path: Path) -> Plan:
    """Read one column's lines into the plan model; raise SourceError at the first line that does not fit."""
    return OutlineReader(lines, path).read()
