"""The outline reader: one column's lines → the plan model, heading by heading.

Each line's kind (markers.classify) picks its handler from an explicit table
(HANDLERS); the handler reads the line and what belongs to it and returns
where the next one starts.  Headings (parts, chapters, goals, 《…》, measures)
set where the reader stands; running text (paragraphs of a chapter, ○
directions, 「・」 texts of a measure) is gathered up to the next structural
line; the tables (数値目標, 具体的な事業, 主な関連事業) are read by their
grammars (grammars.TableGrammars).  「－ 省 略 －」 marks the heading above
it as omitted from the 資料.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .errors import SourceError
from .grammars import TableGrammars, next_seq
from .markers import (
    RE_CHAPTER,
    RE_CHAPTER_RANGE,
    RE_EVENT,
    RE_GOAL,
    RE_MEASURE,
    RE_MEASURE_RANGE,
    RE_PART,
    RE_SUBMEASURE,
    RE_SUBMEASURE_RANGE,
    ROMAN,
    STRUCTURAL,
    circled_number,
    classify,
)
from .model import SECTION_SEP, Chapter, Event, Goal, Measure, Omission, Plan, Subsection, Text
from .source import Line
from .text import compact, join_wrapped, squeeze, to_int
from .values import ValueFormatError, era_year

T = TypeVar("T")


class OutlineReader(TableGrammars):
    def __init__(self, lines: list[Line], path: Path):
        self.lines = lines
        self.kinds = [classify(ln.text) for ln in lines]
        self.path = path
        self.plan = Plan()
        self.part: Chapter | None = None
        self.chapter: Chapter | None = None
        self.goal: Goal | None = None
        self.subsection: str | None = None
        self.subsection_heading: Subsection | None = None  #: the 《…》 heading record of `subsection`
        self.measure: Measure | None = None
        self.sub: Measure | None = None
        # the heading a 「－ 省 略 －」 marker would apply to: (level, label, line, info)
        self.heading: tuple[str, str, Line, dict] | None = None

    # -- helpers ---------------------------------------------------------
    def error(self, line: Line, message: str) -> SourceError:
        return SourceError(self.path, line.no, message)

    def section(self, *extra: str) -> str:
        parts: list[str] = []
        if self.goal is not None:
            parts.append(self.goal.label)
            if self.subsection:
                parts.append(self.subsection)
            if self.measure:
                parts.append(f"{self.measure.label}{self.measure.title}")
            if self.sub:
                parts.append(f"{self.sub.label}{self.sub.title}")
        else:
            parts += [p.heading for p in (self.part, self.chapter) if p]
        parts += [e for e in extra if e]
        return SECTION_SEP.join(parts)

    def need_goal(self, line: Line) -> Goal:
        if self.goal is None:
            raise self.error(line, "基本目標の見出しより前に、基本目標の中身が現れました")
        return self.goal

    def need_sub(self, line: Line, what: str) -> Measure:
        if self.sub is None:
            raise self.error(line, f"{what}が、施策（①…）の見出しの外に現れました")
        return self.sub

    def cells(self, line: Line, read: Callable[[str], T], *texts: str) -> list[T]:
        """Read value or year cells of `line` with `read` (parse_amount, parse_period); an error names the line."""
        try:
            return [read(t) for t in texts]
        except ValueFormatError as exc:
            raise self.error(line, str(exc)) from exc

    def run(self, i: int, stop: set[str]) -> int:
        """Index of the first line at or after i whose kind is in `stop`."""
        while i < len(self.lines) and self.kinds[i] not in stop:
            i += 1
        return i

    # -- main loop -------------------------------------------------------
    def read(self) -> Plan:
        i = 0
        while i < len(self.lines):
            line, kind = self.lines[i], self.kinds[i]
            if kind == "omitted":
                self.omit(line)
                i += 1
                continue
            self.expect_no_range()
            self.heading = None
            i = HANDLERS[kind](self, i)
        self.expect_no_range()
        return self.plan

    def expect_no_range(self) -> None:
        """A heading that names a range (「①…～④…」) stands only for omitted parts."""
        if self.heading is not None and self.heading[0] == "range":
            raise self.error(self.heading[2], "範囲を示す見出しの後には「－ 省 略 －」があるはずです")

    # -- headings --------------------------------------------------------
    def add_chapter(self, chapter: Chapter) -> Chapter:
        """Record a part or chapter heading; the same number twice under one parent is an error."""
        for c in self.plan.chapters:
            if c.parent is chapter.parent and c.level == chapter.level and c.number == chapter.number:
                raise self.error(chapter.lines[0], f"見出し「{chapter.heading}」の番号が二度現れました")
        if chapter.number_to < chapter.number:
            raise self.error(chapter.lines[0], f"見出し「{chapter.heading}」の範囲の番号が逆の順です")
        self.plan.chapters.append(chapter)
        return chapter

    def on_part(self, i: int) -> int:
        line = self.lines[i]
        text = squeeze(line.text)
        m = RE_PART.match(text)
        number = ROMAN.index(m.group(1)) + 1
        self.chapter = self.goal = self.subsection = self.subsection_heading = self.measure = self.sub = None
        self.part = self.add_chapter(
            Chapter(
                lines=[line],
                section="",
                level="part",
                number=number,
                number_to=number,
                label=text[: m.start(2)].rstrip(),
                title=m.group(2),
            )
        )
        self.heading = ("part", text, line, {"section": "", "chapter": self.part})
        return i + 1

    def on_chapter(self, i: int) -> int:
        line = self.lines[i]
        text = squeeze(line.text)
        if self.goal is not None:
            raise self.error(line, f"基本目標の中に章の見出し「{text}」が現れました")
        self.chapter = None
        parent = self.section()
        rng = RE_CHAPTER_RANGE.match(text)
        m = rng or RE_CHAPTER.match(text)
        number = to_int(m.group(1))
        number_to = to_int(rng.group(3)) if rng else number
        self.chapter = self.add_chapter(
            Chapter(
                lines=[line],
                section=parent,
                level="chapter",
                number=number,
                number_to=number_to,
                label=text[: m.start(2)].rstrip(),
                title=text[m.start(2) :],
                parent=self.part,
            )
        )
        info = {"level": "chapter", "section": parent, "from": number, "to": number_to, "chapter": self.chapter}
        self.heading = ("range" if rng else "chapter", text, line, info)
        return i + 1

    def on_goal(self, i: int) -> int:
        line = self.lines[i]
        m = RE_GOAL.match(line.text.strip())
        goal_no = to_int(m.group(1))
        if any(g.goal_no == goal_no for g in self.plan.goals):
            raise self.error(line, f"基本目標{goal_no}が二度現れました")
        self.subsection = self.subsection_heading = self.measure = self.sub = None
        self.goal = Goal(
            lines=[line],
            section="",
            goal_no=goal_no,
            label=f"基本目標{m.group(1)}",
            title=squeeze(m.group(2)),
            chapter=self.chapter or self.part,
        )
        self.plan.goals.append(self.goal)
        self.heading = ("goal", self.goal.label, line, {"section": ""})
        return i + 1

    def on_subsection(self, i: int) -> int:
        line = self.lines[i]
        goal = self.need_goal(line)
        self.subsection = self.subsection_heading = self.measure = self.sub = None
        parent = self.section()
        self.subsection = squeeze(line.text)
        self.subsection_heading = Subsection(lines=[line], section=parent, goal_no=goal.goal_no, title=self.subsection)
        self.plan.subsections.append(self.subsection_heading)
        info = {"section": parent, "subsection": self.subsection_heading}
        self.heading = ("subsection", self.subsection, line, info)
        return i + 1

    def on_measure(self, i: int) -> int:
        line = self.lines[i]
        self.need_goal(line)
        self.subsection = self.subsection_heading = self.measure = self.sub = None
        self.measure = self.measure_heading(line, 1, None)
        return i + 1

    def on_submeasure(self, i: int) -> int:
        line = self.lines[i]
        self.need_goal(line)
        if self.measure is None:
            raise self.error(line, f"施策「{squeeze(line.text)}」が、（１）などの見出しの外に現れました")
        self.sub = None
        self.sub = self.measure_heading(line, 2, self.measure)
        return i + 1

    def measure_heading(self, line: Line, level: int, parent: Measure | None) -> Measure | None:
        """A measure （１） (level 1) or ① (level 2) heading; None for a range (「①…～④…」) of omitted ones."""
        text = squeeze(line.text)
        section = self.section()
        one, many, number = (
            (RE_MEASURE, RE_MEASURE_RANGE, to_int)
            if level == 1
            else (RE_SUBMEASURE, RE_SUBMEASURE_RANGE, circled_number)
        )
        rng = many.match(text)
        if rng:
            info = {
                "level": "measure" if level == 1 else "submeasure",
                "section": section,
                "parent": parent,
                "from": number(rng.group(1)),
                "to": number(rng.group(3)),
            }
            self.heading = ("range", text, line, info)
            return None
        m = one.match(text)
        measure = Measure(
            lines=[line],
            section=section,
            goal_no=self.goal.goal_no,
            level=level,
            number=number(m.group(1)),
            label=text[: m.start(2)].rstrip(),
            title=squeeze(m.group(2)),
            parent=parent,
        )
        self.plan.measures.append(measure)
        self.heading = ("measure", text, line, {"measure": measure, "section": section})
        return measure

    def omit(self, marker: Line) -> None:
        """Record the heading just above a 「－ 省 略 －」 marker as omitted from the 資料."""
        if self.heading is None:
            raise self.error(marker, "「－ 省 略 －」の直前に見出しがありません")
        level, label, heading_line, info = self.heading
        self.heading = None
        chapter: Chapter | None = info.get("chapter")
        if chapter is not None:
            chapter.omitted = True
        if info.get("subsection") is not None:
            info["subsection"].omitted = True
        measure: Measure | None = info.get("measure")
        if measure is not None:
            measure.omitted = True
            level = "submeasure" if measure.level == 2 else "measure"
            parent, number_from, number_to = measure.parent, measure.number, measure.number
        else:
            level = info.get("level", level)
            parent, number_from, number_to = info.get("parent"), info.get("from"), info.get("to")
        self.plan.omissions.append(
            Omission(
                lines=[heading_line, marker],
                section=info["section"],
                scope=label,
                level=level,
                goal_no=self.goal.goal_no if self.goal else None,
                measure=parent,
                chapter=chapter,
                number_from=number_from,
                number_to=number_to,
                heading_line=heading_line.no,
            )
        )

    # -- running text ----------------------------------------------------
    def on_other(self, i: int) -> int:
        line = self.lines[i]
        if self.goal is not None or self.chapter is None:
            raise self.error(line, f"この位置では読めない行です: 「{line.text.strip()}」")
        return self.paragraph(i)

    def paragraph(self, i: int) -> int:
        """A paragraph under a chapter: lines up to the one that ends a sentence with 。."""
        start = i
        pieces: list[str] = []
        while i < len(self.lines):
            if pieces and self.kinds[i] in {"omitted", "part", "chapter", "goal"}:
                break
            pieces.append(self.lines[i].text)
            i += 1
            if join_wrapped(pieces).endswith("。"):
                break
        text = join_wrapped(pieces)
        if not text.endswith("。"):
            raise self.error(self.lines[start], "段落が「。」で終わらないまま次の見出しに達しました")
        seq = next_seq(self.plan.texts, lambda t: t.kind == "paragraph" and t.chapter is self.chapter)
        para = Text(
            lines=self.lines[start:i],
            section=self.section(),
            kind="paragraph",
            seq=seq,
            text=text,
            chapter=self.chapter,
        )
        self.plan.texts.append(para)
        self.events(para)
        return i

    def events(self, para: Text) -> None:
        """Dated events (era year and month) in a paragraph, each with its sentence."""
        sentences = re.findall(r"[^。]*。?", para.text)
        for sentence in (s for s in sentences if s):
            for m in RE_EVENT.finditer(sentence):
                try:
                    year = era_year(m.group(1), m.group(2))
                except ValueFormatError as exc:
                    raise self.error(para.lines[0], str(exc)) from exc
                self.plan.events.append(
                    Event(
                        lines=para.lines,
                        section=para.section,
                        text_ref=para,
                        seq=len(self.plan.events) + 1,
                        year=year,
                        month=to_int(m.group(3)),
                        label=compact(m.group(0)),
                        sentence=sentence.strip(),
                    )
                )

    def bullet_lines(self, i: int) -> tuple[list[Line], int]:
        """A bullet's first line and its wrapped continuation lines."""
        end = self.run(i + 1, STRUCTURAL)
        return self.lines[i:end], end

    def on_direction(self, i: int) -> int:
        goal = self.need_goal(self.lines[i])
        if self.subsection is None:
            raise self.error(self.lines[i], "「○」の方向性が《…》の見出しの外に現れました")
        lines, end = self.bullet_lines(i)
        text = join_wrapped([ln.text for ln in lines])
        seq = next_seq(self.plan.texts, lambda t: t.kind == "direction" and t.goal_no == goal.goal_no)
        self.plan.texts.append(
            Text(
                lines=lines,
                section=self.section(),
                kind="direction",
                seq=seq,
                text=text[1:].strip(),
                goal_no=goal.goal_no,
                subsection=self.subsection_heading,
            )
        )
        return end

    def on_bullet(self, i: int) -> int:
        goal = self.need_goal(self.lines[i])
        sub = self.need_sub(self.lines[i], "「・」で始まる文")
        lines, end = self.bullet_lines(i)
        text = join_wrapped([ln.text for ln in lines])
        seq = next_seq(self.plan.texts, lambda t: t.kind == "measure_text" and t.measure is sub)
        self.plan.texts.append(
            Text(
                lines=lines,
                section=self.section(),
                kind="measure_text",
                seq=seq,
                text=text[1:].strip(),
                goal_no=goal.goal_no,
                measure=sub,
            )
        )
        return end

    def on_note(self, i: int) -> int:
        raise self.error(self.lines[i], "※の注記が、数値目標の表の外に現れました")


#: the handler of each kind of line (markers.classify); 「－ 省 略 －」 is handled by the main loop
HANDLERS: dict[str, Callable[[OutlineReader, int], int]] = {
    "part": OutlineReader.on_part,
    "chapter": OutlineReader.on_chapter,
    "goal": OutlineReader.on_goal,
    "subsection": OutlineReader.on_subsection,
    "measure": OutlineReader.on_measure,
    "submeasure": OutlineReader.on_submeasure,
    "direction": OutlineReader.on_direction,
    "bullet": OutlineReader.on_bullet,
    "note": OutlineReader.on_note,
    "other": OutlineReader.on_other,
    "numgoal_header": OutlineReader.on_numgoal_header,
    "kpi_header": OutlineReader.on_kpi_header,
    "related_header": OutlineReader.on_related_header,
}
