"""The plan model: one column of the 新旧対照表 as data (parts, goals, measures, texts, projects, KPIs …).

Every element keeps the source lines it was read from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .source import Line, Spanning
from .values import Amount, Period

SECTION_SEP = " ＞ "


@dataclass
class Element(Spanning):
    """What every part of the plan carries: where it stands in the source and in the plan."""

    lines: list[Line]
    section: str

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
class Subsection(Element):
    """A 《…》 heading of a goal (《基本的方向》): its ○ directions and 数値目標 stand under it.

    Kept to tell whether a column shows the part (heading and content) or
    omits it (「－ 省 略 －」 below the heading); not a row of its own.
    """

    goal_no: int = 0
    title: str = ""  #: the heading as written, 「《基本的方向》」
    omitted: bool = False


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
    subsection: Subsection | None = None  #: the 《…》 heading a ○ direction stands under


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
    #: the 《…》 heading a 数値目標 table stands under (None: directly under the goal's heading)
    subsection: Subsection | None = None
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
    subsections: list[Subsection] = field(default_factory=list)
