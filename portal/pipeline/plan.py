"""Stage 2 — plan model: one column of the 新旧対照表 → the strategy as data.

The lines of one column (変更前 or 変更後), page after page, are read by their
shape only: Roman-numbered parts (Ⅰ．), numbered chapters (１．), 基本目標 N,
《…》 subsections, ○ direction bullets, the 数値目標 table, measures （１）
and ①, 「・」 text, the 具体的な事業／KPI table, （主な関連事業） lists,
※ notes and 「－ 省 略 －」 markers.  Nothing here knows a project name or a
figure of the document; those are checked by the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SourceError
from .source import Line
from .text import compact, join_wrapped, nfkc, squeeze, to_int
from .values import Amount, Period, ValueFormatError, era_year, parse_amount, parse_period

SECTION_SEP = " ＞ "

ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474))  # ①…⑳
DIGITS = "0-9０-９"
#: brackets, full-width or half-width: 「（１）」 and 「(1)」 read alike
OPEN, CLOSE = "（(", "）)"

RE_PART = re.compile(rf"^([{ROMAN}])．\s*(.+)$")
RE_CHAPTER = re.compile(rf"^([{DIGITS}]+)．\s*(.+)$")
RE_CHAPTER_RANGE = re.compile(rf"^([{DIGITS}]+)．\s*(.+?)\s*～\s*([{DIGITS}]+)．\s*(.+)$")
RE_GOAL = re.compile(rf"^基本目標\s*([{DIGITS}]+)\s+(.+)$")
RE_SUBSECTION = re.compile(r"^《(.+)》$")
RE_DIRECTION = re.compile(r"^○\s*(.+)$")
RE_MEASURE = re.compile(rf"^[{OPEN}]([{DIGITS}]+)[{CLOSE}]\s*(.+)$")
RE_MEASURE_RANGE = re.compile(rf"^[{OPEN}]([{DIGITS}]+)[{CLOSE}]\s*(.+?)\s*～\s*[{OPEN}]([{DIGITS}]+)[{CLOSE}]\s*(.+)$")
RE_SUBMEASURE = re.compile(rf"^([{CIRCLED}])\s*(.+)$")
RE_SUBMEASURE_RANGE = re.compile(rf"^([{CIRCLED}])\s*(.+?)\s*～\s*([{CIRCLED}])\s*(.+)$")
RE_BULLET = re.compile(r"^・\s*(.*)$")
RE_NOTE = re.compile(rf"^(※[{DIGITS}]*)(?![{DIGITS}])\s*(\S.*)$")
RE_MARK_ONLY = re.compile(rf"^※[{DIGITS}]*$")

OMITTED_KEY = "－省略－"
NUMGOAL_HEADER_KEY = "数値目標基準値目標値"
KPI_HEADER_KEY = "具体的な事業重要業績評価指標(KPI)"  # compared in NFKC form
RELATED_HEADER_KEY = "(主な関連事業)"  # compared in NFKC form

_NOT_VALUE = rf"\s{OPEN}{CLOSE}※{DIGITS}"
#: a value cell written as a number: 「7,740人」, 「57.7％」, or 「－」 for none
_VALUE = rf"(?:－|[{DIGITS}][{DIGITS},，.．]*\s*[^{_NOT_VALUE}]+)"
#: any value cell: a number, 「－」, or words without digits (「増加」); words are checked against the vocabulary
_CELL = rf"(?:{_VALUE}|[^{_NOT_VALUE}]+)"
RE_VALUE_LINE = re.compile(rf"^({_VALUE})\s+({_VALUE})$")
#: two cells of any kind: a value line only where a year line follows it
RE_CELL_LINE = re.compile(rf"^({_CELL})\s+({_CELL})$")
RE_YEAR_LINE = re.compile(rf"^[{OPEN}]([^{OPEN}{CLOSE}]+)[{CLOSE}]\s*[{OPEN}]([^{OPEN}{CLOSE}]+)[{CLOSE}]$")
RE_NUMGOAL_CELL = re.compile(rf"({_CELL})\s*[{OPEN}]([^{OPEN}{CLOSE}]*年度?)[{CLOSE}]\s*(※[{DIGITS}]*)?")
RE_EVENT = re.compile(rf"(明治|大正|昭和|平成|令和)\s*(元|[{DIGITS}]+)\s*年\s*([{DIGITS}]+)\s*月")
RE_TRAILING_MARK = re.compile(rf"(※[{DIGITS}]*)$")

#: kinds of line that end a running block of text (a bullet, a table)
STRUCTURAL = {
    "omitted",
    "part",
    "chapter",
    "goal",
    "subsection",
    "direction",
    "numgoal_header",
    "kpi_header",
    "related_header",
    "measure",
    "submeasure",
    "bullet",
    "note",
}
#: lines of a 具体的な事業 table end at one of these
TABLE_END = STRUCTURAL - {"bullet", "note", "direction"}
MAX_KPI_NAME_LINES = 3


def classify(text: str) -> str:
    """The structural kind of a line, from its shape alone."""
    key = compact(text)
    s = text.strip()
    if key == OMITTED_KEY:
        return "omitted"
    if key == NUMGOAL_HEADER_KEY:
        return "numgoal_header"
    if nfkc(key) == KPI_HEADER_KEY:
        return "kpi_header"
    if nfkc(key) == RELATED_HEADER_KEY:
        return "related_header"
    if RE_PART.match(s):
        return "part"
    if RE_GOAL.match(s):
        return "goal"
    if RE_SUBSECTION.match(s):
        return "subsection"
    if RE_CHAPTER.match(s):
        return "chapter"
    if RE_MEASURE.match(s):
        return "measure"
    if RE_SUBMEASURE.match(s):
        return "submeasure"
    if RE_DIRECTION.match(s):
        return "direction"
    if RE_BULLET.match(s):
        return "bullet"
    if RE_NOTE.match(s):
        return "note"
    return "other"


def circled_number(ch: str) -> int:
    """① → 1 … ⑳ → 20."""
    return ord(ch) - 0x2460 + 1


@dataclass
class Element:
    """What every part of the plan carries: where it stands in the source and in the plan."""

    lines: list[Line]
    section: str

    @property
    def first_line(self) -> int:
        return self.lines[0].no

    @property
    def last_line(self) -> int:
        return self.lines[-1].no

    @property
    def page_no(self) -> int:
        return self.lines[0].page_no

    @property
    def plan_page(self) -> int | None:
        return self.lines[0].plan_page


@dataclass
class Chapter(Element):
    """A heading above the goals: a Roman-numbered part (Ⅰ．…) or a numbered chapter (１．…).

    A chapter heading may name a range (「２．…～10．…」), which stands for
    chapters the 資料 omits; `number`…`number_to` is the range.  The label
    and the title, put together, give the heading as written.
    """

    level: str = "chapter"  #: "part" or "chapter"
    number: int = 0
    number_to: int = 0
    label: str = ""  #: the number as written: 「Ⅰ．」, 「１．」
    title: str = ""  #: the rest of the heading as written
    parent: Chapter | None = None
    omitted: bool = False

    @property
    def heading(self) -> str:
        return f"{self.label}{self.title}"

    @property
    def key(self) -> tuple:
        """Where the heading stands in the plan, whatever its words: for pairing the versions."""
        return (self.parent.key if self.parent else (), self.level, self.number, self.number_to)


@dataclass
class Goal(Element):
    goal_no: int = 0
    label: str = ""  #: 「基本目標１」 as written
    title: str = ""
    chapter: Chapter | None = None  #: the part or chapter the goal stands under


@dataclass
class Measure(Element):
    """A measure （１） (level 1) or a sub-measure ① (level 2)."""

    goal_no: int = 0
    level: int = 1
    number: int = 0
    label: str = ""
    title: str = ""
    parent: Measure | None = None
    omitted: bool = False

    @property
    def path(self) -> tuple[int, ...]:
        return (self.parent.number, self.number) if self.parent else (self.number,)


@dataclass
class Text(Element):
    """A paragraph (策定の経過), a ○ direction, or a 「・」 text of a measure."""

    kind: str = "paragraph"
    seq: int = 0
    text: str = ""
    goal_no: int | None = None
    chapter: Chapter | None = None  #: the chapter of a paragraph (texts inside a goal have none)
    measure: Measure | None = None


@dataclass
class Event(Element):
    """A dated event named in a paragraph of 策定の経過 (「平成26年11月、国は…」)."""

    text_ref: Text | None = None
    seq: int = 0
    year: int = 0
    month: int = 0
    label: str = ""
    sentence: str = ""


@dataclass
class Kpi(Element):
    """A 数値目標 (kind "numerical_goal") or a 重要業績評価指標 (kind "kpi")."""

    kind: str = "kpi"
    goal_no: int = 0
    project: Project | None = None
    seq: int = 0
    name: str | None = None
    baseline: Amount | None = None
    baseline_period: Period | None = None
    target: Amount | None = None
    target_period: Period | None = None
    status: str = "set"
    status_text: str | None = None
    note: str | None = None
    #: the ※ marks written beside the name, the baseline and the target (「※１」), pointing to `note`
    name_mark: str | None = None
    baseline_mark: str | None = None
    target_mark: str | None = None


@dataclass
class Project(Element):
    goal_no: int = 0
    measure: Measure | None = None
    seq: int = 0
    name: str = ""
    description: str = ""
    kpis: list[Kpi] = field(default_factory=list)


@dataclass
class Related(Element):
    goal_no: int = 0
    measure: Measure | None = None
    seq: int = 0
    name: str = ""


@dataclass
class Omission(Element):
    """A part of the plan shown only as 「－ 省 略 －」 (unchanged, left out of the 資料)."""

    scope: str = ""
    level: str = ""
    goal_no: int | None = None
    measure: Measure | None = None
    chapter: Chapter | None = None  #: the omitted part or chapter (or range of chapters)
    number_from: int | None = None
    number_to: int | None = None
    heading_line: int = 0


@dataclass
class Plan:
    """The strategy as one column of the 資料 shows it."""

    chapters: list[Chapter] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    omissions: list[Omission] = field(default_factory=list)


def parse_plan(lines: list[Line], path: Path) -> Plan:
    """Read one column's lines into the plan model; raise SourceError at the first line that does not fit."""
    return _PlanReader(lines, path).read()


def value_row(rows: list[Line], m: int) -> bool:
    """Row m of a 具体的な事業 table holds the baseline and target: two numbers, or two cells above a year line."""
    text = rows[m].text.strip()
    if RE_VALUE_LINE.match(text):
        return True
    return bool(RE_CELL_LINE.match(text)) and m + 1 < len(rows) and bool(RE_YEAR_LINE.match(rows[m + 1].text.strip()))


def _balanced(text: str) -> bool:
    opened = sum(text.count(c) for c in OPEN)
    closed = sum(text.count(c) for c in CLOSE)
    return opened == closed and text.count("「") == text.count("」")


def sentence_closed(text: str) -> bool:
    """A 「・」 description is complete: it ends with 。, or with a closed bracket after its 。."""
    text = text.rstrip()
    if not text or not _balanced(text):
        return False
    return text.endswith("。") or (text.endswith(tuple(CLOSE)) and "。" in text)


class _PlanReader:
    def __init__(self, lines: list[Line], path: Path):
        self.lines = lines
        self.kinds = [classify(ln.text) for ln in lines]
        self.path = path
        self.plan = Plan()
        self.part: Chapter | None = None
        self.chapter: Chapter | None = None
        self.goal: Goal | None = None
        self.subsection: str | None = None
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
            i = getattr(self, f"on_{kind}")(i)
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
        self.chapter = self.goal = self.subsection = self.measure = self.sub = None
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
        self.subsection = self.measure = self.sub = None
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
        self.need_goal(line)
        self.subsection = self.measure = self.sub = None
        parent = self.section()
        self.subsection = squeeze(line.text)
        self.heading = ("subsection", self.subsection, line, {"section": parent})
        return i + 1

    def on_measure(self, i: int) -> int:
        line = self.lines[i]
        goal = self.need_goal(line)
        text = squeeze(line.text)
        self.subsection = self.measure = self.sub = None
        parent = self.section()
        rng = RE_MEASURE_RANGE.match(text)
        if rng:
            self.heading = (
                "range",
                text,
                line,
                {"level": "measure", "section": parent, "from": to_int(rng.group(1)), "to": to_int(rng.group(3))},
            )
            return i + 1
        m = RE_MEASURE.match(text)
        self.measure = Measure(
            lines=[line],
            section=parent,
            goal_no=goal.goal_no,
            level=1,
            number=to_int(m.group(1)),
            label=text[: m.start(2)].rstrip(),
            title=squeeze(m.group(2)),
        )
        self.plan.measures.append(self.measure)
        self.heading = ("measure", text, line, {"measure": self.measure, "section": parent})
        return i + 1

    def on_submeasure(self, i: int) -> int:
        line = self.lines[i]
        goal = self.need_goal(line)
        text = squeeze(line.text)
        if self.measure is None:
            raise self.error(line, f"施策「{text}」が、（１）などの見出しの外に現れました")
        self.sub = None
        parent = self.section()
        rng = RE_SUBMEASURE_RANGE.match(text)
        if rng:
            self.heading = (
                "range",
                text,
                line,
                {
                    "level": "submeasure",
                    "section": parent,
                    "parent": self.measure,
                    "from": circled_number(rng.group(1)),
                    "to": circled_number(rng.group(3)),
                },
            )
            return i + 1
        m = RE_SUBMEASURE.match(text)
        self.sub = Measure(
            lines=[line],
            section=parent,
            goal_no=goal.goal_no,
            level=2,
            number=circled_number(m.group(1)),
            label=m.group(1),
            title=squeeze(m.group(2)),
            parent=self.measure,
        )
        self.plan.measures.append(self.sub)
        self.heading = ("measure", text, line, {"measure": self.sub, "section": parent})
        return i + 1

    def omit(self, marker: Line) -> None:
        """Record the heading just above a 「－ 省 略 －」 marker as omitted from the 資料."""
        if self.heading is None:
            raise self.error(marker, "「－ 省 略 －」の直前に見出しがありません")
        level, label, heading_line, info = self.heading
        self.heading = None
        chapter: Chapter | None = info.get("chapter")
        if chapter is not None:
            chapter.omitted = True
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
        seq = sum(1 for t in self.plan.texts if t.kind == "paragraph" and t.chapter is self.chapter) + 1
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
        seq = sum(1 for t in self.plan.texts if t.kind == "direction" and t.goal_no == goal.goal_no) + 1
        self.plan.texts.append(
            Text(
                lines=lines,
                section=self.section(),
                kind="direction",
                seq=seq,
                text=text[1:].strip(),
                goal_no=goal.goal_no,
            )
        )
        return end

    def on_bullet(self, i: int) -> int:
        goal = self.need_goal(self.lines[i])
        sub = self.need_sub(self.lines[i], "「・」で始まる文")
        lines, end = self.bullet_lines(i)
        text = join_wrapped([ln.text for ln in lines])
        seq = sum(1 for t in self.plan.texts if t.kind == "measure_text" and t.measure is sub) + 1
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

    # -- 数値目標 ----------------------------------------------------------
    def on_numgoal_header(self, i: int) -> int:
        header = self.lines[i]
        goal = self.need_goal(header)
        self.subsection = None
        section = self.section("数値目標")
        i += 1
        row_start = i
        while i < len(self.lines) and (self.kinds[i] == "other" or RE_MARK_ONLY.match(self.lines[i].text.strip())):
            i += 1
        rows = self.lines[row_start:i]
        if not rows:
            raise self.error(header, "数値目標の表に行がありません")
        notes: dict[str, tuple[str, Line]] = {}
        order: list[str] = []
        while i < len(self.lines) and self.kinds[i] == "note":
            m = RE_NOTE.match(self.lines[i].text.strip())
            mark, pieces, note_line = nfkc(m.group(1)), [m.group(2)], self.lines[i]
            i += 1
            while i < len(self.lines) and self.kinds[i] == "other":
                pieces.append(self.lines[i].text)
                i += 1
            if mark in notes:
                raise self.error(note_line, f"注記「{m.group(1)}」が二度あります")
            notes[mark] = (
                f"{m.group(1)} {join_wrapped(pieces)}"
                if len(m.group(1)) > 1
                else f"{m.group(1)}{join_wrapped(pieces)}",
                note_line,
            )
            order.append(mark)
        used: set[str] = set()
        for kpi, marks in self.numgoal_rows(rows, goal, section):
            for mk in marks:
                if mk not in notes:
                    raise self.error(kpi.lines[0], f"注記の印「{mk}」に対応する注記がありません")
            used.update(marks)
            kpi.note = "\n".join(notes[mk][0] for mk in order if mk in marks) or None
            kpi.lines = rows + [notes[mk][1] for mk in order if mk in marks]
            self.plan.kpis.append(kpi)
        for mk in order:
            if mk not in used:
                raise self.error(notes[mk][1], f"注記「{mk}」を指す印が表にありません")
        return i

    def numgoal_rows(self, rows: list[Line], goal: Goal, section: str) -> list[tuple[Kpi, list[str]]]:
        """Indicators of a 数値目標 table: name, then baseline and target cells 「7,740人（平成27年）」.

        Each keeps the ※ marks written on its name and cells as written, and comes
        with them in NFKC form, the keys of the notes below the table.
        """
        text = " ".join(squeeze(r.text) for r in rows)
        cells = list(RE_NUMGOAL_CELL.finditer(text))
        kpis: list[tuple[Kpi, list[str]]] = []
        pos = 0
        for k in range(0, len(cells), 2):
            name = text[pos : cells[k].start()].strip()
            if not name or k + 1 >= len(cells) or text[cells[k].end() : cells[k + 1].start()].strip():
                raise self.error(
                    rows[0], f"数値目標の行は「指標名 基準値（年） 目標値（年）」の形のはずです: 「{text}」"
                )
            trailing = RE_TRAILING_MARK.search(name)
            name_mark = trailing.group(1) if trailing else None
            baseline_mark, target_mark = cells[k].group(3), cells[k + 1].group(3)
            marks = [nfkc(m) for m in (name_mark, baseline_mark, target_mark) if m]
            if trailing:
                name = name[: trailing.start()].strip()
            try:
                baseline, target = parse_amount(cells[k].group(1)), parse_amount(cells[k + 1].group(1))
                b_period, t_period = parse_period(cells[k].group(2)), parse_period(cells[k + 1].group(2))
            except ValueFormatError as exc:
                raise self.error(rows[0], str(exc)) from exc
            kpi = Kpi(
                lines=rows,
                section=section,
                kind="numerical_goal",
                goal_no=goal.goal_no,
                seq=sum(1 for x in self.plan.kpis if x.kind == "numerical_goal" and x.goal_no == goal.goal_no)
                + len(kpis)
                + 1,
                name=name,
                baseline=baseline,
                baseline_period=b_period,
                target=target,
                target_period=t_period,
                name_mark=name_mark,
                baseline_mark=baseline_mark,
                target_mark=target_mark,
            )
            kpis.append((kpi, marks))
            pos = cells[k + 1].end()
        if not cells or text[pos:].strip():
            raise self.error(rows[-1], f"数値目標の行の読めない部分があります: 「{text[pos:].strip() or text}」")
        return kpis

    # -- 具体的な事業 and KPIs ---------------------------------------------
    def on_kpi_header(self, i: int) -> int:
        header = self.lines[i]
        goal = self.need_goal(header)
        sub = self.need_sub(header, "具体的な事業の表")
        end = self.run(i + 1, TABLE_END)
        rows = self.lines[i + 1 : end]
        if not rows:
            raise self.error(header, "具体的な事業の表に行がありません")
        section = self.section("具体的な事業")
        j = 0
        while j < len(rows):
            j = self.project(rows, j, goal, sub, section)
        return end

    def project(self, rows: list[Line], j: int, goal: Goal, sub: Measure, section: str) -> int:
        name_line = rows[j]
        if RE_BULLET.match(name_line.text.strip()) or value_row(rows, j):
            raise self.error(name_line, f"事業名があるはずの位置です: 「{name_line.text.strip()}」")
        if j + 1 >= len(rows) or not RE_BULLET.match(rows[j + 1].text.strip()):
            got = rows[j + 1].text.strip() if j + 1 < len(rows) else "表の終わり"
            raise self.error(
                rows[j + 1] if j + 1 < len(rows) else name_line,
                f"事業名「{name_line.text.strip()}」の次に「・」で始まる説明があるはずです（実際: 「{got}」）",
            )
        k = j + 1
        pieces: list[str] = []
        while k < len(rows):
            s = rows[k].text.strip()
            if pieces and (value_row(rows, k) or RE_YEAR_LINE.match(s) or RE_BULLET.match(s)):
                break
            pieces.append(rows[k].text)
            k += 1
            if sentence_closed(join_wrapped(pieces)):
                break
        description = join_wrapped(pieces)
        if not sentence_closed(description):
            raise self.error(rows[j + 1], "事業の説明が「。」で終わっていません")
        project = Project(
            lines=rows[j:k],
            section=section,
            goal_no=goal.goal_no,
            measure=sub,
            seq=sum(1 for p in self.plan.projects if p.measure is sub) + 1,
            name=squeeze(name_line.text),
            description=description[1:].strip(),
        )
        self.plan.projects.append(project)
        while True:
            stop = next(
                (
                    m
                    for m in range(k, len(rows))
                    if value_row(rows, m)
                    or RE_BULLET.match(rows[m].text.strip())
                    or RE_YEAR_LINE.match(rows[m].text.strip())
                ),
                None,
            )
            if stop is not None and RE_YEAR_LINE.match(rows[stop].text.strip()):
                bad = rows[stop - 1] if stop > k else rows[stop]
                raise self.error(
                    bad,
                    f"基準値と目標値の行として読めません: 「{bad.text.strip()}」（例: 「21事業者   75事業者」「－    2,121件」）",
                )
            if stop is not None and value_row(rows, stop):
                names = rows[k:stop]
                if not names or len(names) > MAX_KPI_NAME_LINES:
                    raise self.error(rows[stop], "値の行の前に指標名（1〜3行）があるはずです")
                k = self.kpi(rows, names, stop, project, section)
                continue
            # no more value lines for this project: the rest up to the next project's name
            if stop is not None and stop == k:
                raise self.error(rows[stop], "「・」で始まる説明の前に事業名があるはずです")
            rest_end = (stop - 1) if stop is not None else len(rows)
            rest = rows[k:rest_end]
            if rest:
                if project.kpis:
                    raise self.error(rest[0], f"指標の値の後に読めない行があります: 「{rest[0].text.strip()}」")
                self.not_set(rest, project, section)
            elif not project.kpis:
                raise self.error(rows[k - 1], f"事業「{project.name}」の重要業績評価指標（KPI）の欄がありません")
            project.lines = rows[j:rest_end]
            return rest_end

    def kpi(self, rows: list[Line], names: list[Line], at: int, project: Project, section: str) -> int:
        value_line = rows[at]
        if at + 1 >= len(rows) or not RE_YEAR_LINE.match(rows[at + 1].text.strip()):
            where = rows[at + 1] if at + 1 < len(rows) else value_line
            raise self.error(where, "値の行の次に「（令和元年） （令和７年）」のような年の行があるはずです")
        values = RE_CELL_LINE.match(value_line.text.strip())
        years = RE_YEAR_LINE.match(rows[at + 1].text.strip())
        try:
            baseline, target = parse_amount(values.group(1)), parse_amount(values.group(2))
        except ValueFormatError as exc:
            raise self.error(value_line, str(exc)) from exc
        try:
            b_period, t_period = parse_period(years.group(1)), parse_period(years.group(2))
        except ValueFormatError as exc:
            raise self.error(rows[at + 1], str(exc)) from exc
        kpi = Kpi(
            lines=names + [value_line, rows[at + 1]],
            section=section,
            kind="kpi",
            goal_no=project.goal_no,
            project=project,
            seq=len(project.kpis) + 1,
            name=join_wrapped([n.text for n in names]),
            baseline=baseline,
            baseline_period=b_period,
            target=target,
            target_period=t_period,
        )
        project.kpis.append(kpi)
        self.plan.kpis.append(kpi)
        return at + 2

    def not_set(self, rest: list[Line], project: Project, section: str) -> None:
        """A KPI cell with words but no values: the KPI is not set, and the cell says why."""
        kpi = Kpi(
            lines=rest,
            section=section,
            kind="kpi",
            goal_no=project.goal_no,
            project=project,
            seq=1,
            status="not_set",
            status_text=join_wrapped([r.text for r in rest]),
        )
        project.kpis.append(kpi)
        self.plan.kpis.append(kpi)

    # -- 主な関連事業 ------------------------------------------------------
    def on_related_header(self, i: int) -> int:
        header = self.lines[i]
        goal = self.need_goal(header)
        sub = self.need_sub(header, "主な関連事業")
        end = self.run(i + 1, TABLE_END)
        items: list[tuple[list[str], Line]] = []
        for line in self.lines[i + 1 : end]:
            pieces = re.split(r"(?:^|\s)・", line.text.strip())
            if pieces[0].strip():
                if not items:
                    raise self.error(line, "主な関連事業は「・」で始まるはずです")
                items[-1][0].append(pieces[0])
            items += [([p], line) for p in pieces[1:] if p.strip()]
        if not items:
            raise self.error(header, "主な関連事業が空です")
        section = self.section("主な関連事業")
        for pieces, line in items:
            self.plan.related.append(
                Related(
                    lines=[line],
                    section=section,
                    goal_no=goal.goal_no,
                    measure=sub,
                    seq=sum(1 for r in self.plan.related if r.measure is sub) + 1,
                    name=join_wrapped(pieces),
                )
            )
        return end
