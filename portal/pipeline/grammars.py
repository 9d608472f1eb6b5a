"""Table grammars: the 数値目標 table, the 具体的な事業／KPI table and the （主な関連事業） list.

A 数値目標 row is 「指標名 基準値（年） 目標値（年）」 with ※ marks and the
notes below; a 具体的な事業 row is the project's name, its 「・」
description, then per indicator 1–3 name lines, a value line
(「21事業者   75事業者」, 「－  2,121件」, 「12回  増加」) and a year line
(「（令和元年） （令和７年）」), or words saying no KPI is set.  The grammars
are a mixin of the outline reader (outline.OutlineReader), whose position and
helpers they use.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from .markers import (
    MAX_KPI_NAME_LINES,
    RE_BULLET,
    RE_CELL_LINE,
    RE_MARK_ONLY,
    RE_NOTE,
    RE_NUMGOAL_CELL,
    RE_TRAILING_MARK,
    RE_VALUE_LINE,
    RE_YEAR_LINE,
    TABLE_END,
    sentence_closed,
)
from .model import Goal, Kpi, Measure, Project, Related
from .source import Line
from .text import join_wrapped, nfkc, squeeze
from .values import Amount, parse_amount, parse_period


def value_row(rows: list[Line], m: int) -> bool:
    """Row m of a 具体的な事業 table holds the baseline and target: two numbers, or two cells above a year line."""
    text = rows[m].text.strip()
    if RE_VALUE_LINE.match(text):
        return True
    return bool(RE_CELL_LINE.match(text)) and m + 1 < len(rows) and bool(RE_YEAR_LINE.match(rows[m + 1].text.strip()))


def next_seq(items: list, same: Callable[[object], bool]) -> int:
    """The number of the next item in its container: one more than the items already there."""
    return sum(1 for x in items if same(x)) + 1


class TableGrammars:
    """The table grammars of the outline reader (a mixin: it uses the reader's lines, plan and helpers)."""

    # -- 数値目標 ----------------------------------------------------------
    def on_numgoal_header(self, i: int) -> int:
        header = self.lines[i]
        goal = self.need_goal(header)
        subsection = self.subsection_heading  # the table stands in the 《…》 part above it, if any
        self.subsection = self.subsection_heading = None
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
            kpi.subsection = subsection
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
        starts = list(accumulate((len(squeeze(r.text)) + 1 for r in rows[:-1]), initial=0))

        def row_at(pos: int) -> Line:
            """The row of the table a place in the joined text stands on (an error names that line)."""
            return rows[bisect_right(starts, pos) - 1]

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
            (baseline,) = self.cells(row_at(cells[k].start()), parse_amount, cells[k].group(1))
            (target,) = self.cells(row_at(cells[k + 1].start()), parse_amount, cells[k + 1].group(1))
            (b_period,) = self.cells(row_at(cells[k].start(2)), parse_period, cells[k].group(2))
            (t_period,) = self.cells(row_at(cells[k + 1].start(2)), parse_period, cells[k + 1].group(2))
            self.one_year(row_at(cells[k].start()), baseline)
            self.one_year(row_at(cells[k + 1].start()), target)
            kpi = Kpi(
                lines=rows,
                section=section,
                kind="numerical_goal",
                goal_no=goal.goal_no,
                seq=next_seq(self.plan.kpis, lambda x: x.kind == "numerical_goal" and x.goal_no == goal.goal_no)
                + len(kpis),
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
            seq=next_seq(self.plan.projects, lambda p: p.measure is sub),
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
        values = RE_CELL_LINE.match(value_line.text.strip())
        baseline, target = self.cells(value_line, parse_amount, values.group(1), values.group(2))
        year_line = at + 1 < len(rows) and RE_YEAR_LINE.match(rows[at + 1].text.strip())
        if year_line:
            self.one_year(value_line, baseline, target)
            b_period, t_period = self.cells(rows[at + 1], parse_period, year_line.group(1), year_line.group(2))
            used = [value_line, rows[at + 1]]
        elif baseline.period and target.period:  # 「590人（2014年）  600人（2020年）」: each value with its year
            b_period, t_period, used = baseline.period, target.period, [value_line]
        else:
            where = rows[at + 1] if at + 1 < len(rows) else value_line
            raise self.error(where, "値の行の次に「（令和元年） （令和７年）」のような年の行があるはずです")
        kpi = Kpi(
            lines=names + used,
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
        return at + len(used)

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

    def one_year(self, line: Line, *amounts: Amount) -> None:
        """A value with a year in its brackets stands where the table gives no year of its own."""
        for amount in amounts:
            if amount.period is not None:
                raise self.error(line, f"値「{amount.text}」の年が二度書かれています（値の後の括弧と、表の年の欄）")

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
                    seq=next_seq(self.plan.related, lambda r: r.measure is sub),
                    name=join_wrapped(pieces),
                )
            )
        return end
