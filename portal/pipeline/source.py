"""The read stage (build.STAGES), first step — layout: the flattened 新旧対照表 text → pages, columns and reason blocks.

Each PDF page had three columns, 変更前 | 変更後 | 変更理由, and the text
extraction wrote them one after another.  This module recovers them from the
layout alone:

* a page starts at the table header line 「変 更 前 変 更 後 変更理由」;
* the 変更後 column restarts, after a gap of blank lines, with the same row as
  the 変更前 column (page markers 「計画書Nページ」 aside): the same first line,
  or, where that row was reworded, a line of the same shape (the same kind of
  heading with the same number, see markers.shape) after the widest such gap;
* the 変更理由 column is the tail of the page after a long gap, made only of
  short lines (the column was narrow); blocks in it are separated by blank runs;
* running headers (「資料N」, the title, a lone page number) are dropped, and a
  printed page number is checked against the page count.

Every line keeps its line number in the source file and the plan page
(計画書Nページ) it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError, os_reason
from .markers import shape
from .text import compact, display_width, join_wrapped, to_int

HEADER_KEY = "変更前変更後変更理由"
RE_PLAN_PAGE = re.compile(r"^計画書([0-9０-９]+)ページ$")
RE_RUNNING_LABEL = re.compile(r"^資料[0-9０-９]+$")
RE_LONE_NUMBER = re.compile(r"^[0-9０-９]+$")
_LINE_END = re.compile(r"\r\n|\r|\n")
#: Unicode category Cc (U+0000–U+001F, U+007F–U+009F) except tab, LF and CR (which end lines)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: blank lines that separate the 変更前 and 変更後 columns (inside a column a
#: line is followed by one blank line)
COLUMN_GAP = 2
#: blank lines before the 変更理由 column starts
REASON_GAP = 5
#: widest line of the narrow 変更理由 column, in half-width cells
REASON_WIDTH = 26
#: blank lines that separate two reasons in the 変更理由 column
REASON_SPLIT = 2
#: non-blank lines a running header may have besides its 「資料N」 label
RUNNING_HEADER_EXTRA = 2


@dataclass(frozen=True)
class Line:
    """One non-blank line of a column."""

    no: int  #: line number in the source file (1-based)
    text: str  #: the line as written, trailing white space removed
    gap: int  #: blank lines directly above it in the source
    page_no: int = 0  #: page of the 資料 (1-based)
    plan_page: int | None = None  #: 計画書Nページ the line belongs to

    @property
    def key(self) -> str:
        return compact(self.text)


class Spanning:
    """Something read from source lines (`self.lines`): its first and last line numbers."""

    lines: list[Line]

    @property
    def first_line(self) -> int:
        return self.lines[0].no

    @property
    def last_line(self) -> int:
        return self.lines[-1].no


@dataclass
class Reason(Spanning):
    """A block of the 変更理由 column."""

    page_no: int
    seq: int
    lines: list[Line]

    @property
    def points(self) -> list[str]:
        """The reason's points: a block may list several, each starting with 「・」."""
        groups: list[list[str]] = []
        for line in self.lines:
            if line.text.strip().startswith("・") or not groups:
                groups.append([])
            groups[-1].append(line.text)
        return [join_wrapped(g) for g in groups]

    @property
    def text(self) -> str:
        return "\n".join(self.points)


@dataclass
class Page:
    """One page of the 資料: its 変更前 and 変更後 columns and its reasons."""

    no: int
    header_line: int
    last_line: int
    before: list[Line]
    after: list[Line]
    reasons: list[Reason]
    printed_no: int | None = None

    @property
    def plan_pages(self) -> list[int]:
        pages = {ln.plan_page for ln in self.before + self.after if ln.plan_page is not None}
        return sorted(pages)

    @property
    def column_offset(self) -> int:
        """Lines between a row of the 変更前 column and the same row of the 変更後 column."""
        return self.after[0].no - self.before[0].no


@dataclass
class Document:
    path: Path
    pages: list[Page]

    def column(self, side: str) -> list[Line]:
        """All lines of one column ("before" or "after"), page after page."""
        return [ln for page in self.pages for ln in getattr(page, side)]


#: the most bytes a source document may have: the 新旧対照表 is 30 kB; /dev/zero or a wrong file is not read whole
MAX_SOURCE_BYTES = 4 * 1024 * 1024


def read_source(path: Path | str) -> Document:
    """Read and lay out the source document; raise SourceError naming the line on bad input or layout."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise SourceError(path, None, f"読めません（{os_reason(exc, path)}）") from exc
    if len(raw) > MAX_SOURCE_BYTES:
        raise SourceError(
            path,
            None,
            f"大きすぎます（元資料のテキストは {MAX_SOURCE_BYTES // 2**20} MB までです。ファイルを確かめてください）",
        )
    return parse_layout(source_lines(raw, path), path)


def source_lines(raw: bytes, path: Path) -> list[str]:
    """The document's lines, checked: UTF-8 (a byte order mark at the start is allowed), no control characters.

    An editor on Windows may save the file with a BOM; it is not part of the
    first line, so line numbers stay as they were.  A control character
    (NUL, form feed, ESC …) is not text the PDF could show: it would end up in
    the CSV and the pages, so it stops the build at its line.  Lines end at
    LF, CR LF or CR only, the way editors and ``grep -n`` count them
    (str.splitlines also splits at U+2028 and others, which would shift the
    line numbers that errors report).
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise SourceError(path, line, "UTF-8 として読めない文字があります") from exc
    lines = _LINE_END.split(text)
    if lines[-1] == "":
        lines.pop()  # the newline at the end of the last line
    for no, line in enumerate(lines, 1):
        bad = _CONTROL.search(line)
        if bad:
            raise SourceError(
                path,
                no,
                f"制御文字 U+{ord(bad.group()):04X} があります（{bad.start() + 1} 文字目）。"
                "元資料のテキストに制御文字は使えません",
            )
    return lines


def parse_layout(lines: list[str], path: Path) -> Document:
    """Split the document's lines into pages, columns and reasons."""
    headers = [i for i, text in enumerate(lines) if compact(text) == HEADER_KEY]
    if not headers:
        raise SourceError(path, 1, "表の見出し行「変 更 前 変 更 後 変更理由」が見つかりません")
    for i in range(headers[0]):
        if lines[i].strip():
            raise SourceError(path, i + 1, "最初の見出し行「変 更 前 変 更 後 変更理由」より前に本文があります")

    pages: list[Page] = []
    pending_printed: tuple[int, int] | None = None
    for n, start in enumerate(headers, 1):
        end = headers[n] if n < len(headers) else len(lines)
        body, printed_next = _strip_running_header(lines, start + 1, end, path)
        page = _split_columns(body, n, start + 1, end, path)
        if pending_printed is not None:
            number, at = pending_printed
            if number != n:
                raise SourceError(path, at, f"ページ番号「{number}」がありますが、次の表は {n} ページ目です")
            page.printed_no = number
        pending_printed = printed_next
        pages.append(page)
    if pending_printed is not None:
        raise SourceError(path, pending_printed[1], f"ページ番号「{pending_printed[0]}」の後に表の見出し行がありません")

    _assign_plan_pages(pages, path)
    return Document(path=path, pages=pages)


def _strip_running_header(
    lines: list[str], start: int, end: int, path: Path
) -> tuple[list[tuple[int, str]], tuple[int, int] | None]:
    """Drop the running header/footer at the end of a page.

    Returns the remaining (line number, text) pairs and the printed page number
    found in the running header with its line, which numbers the page that
    follows it.
    """
    body = [(i + 1, lines[i].rstrip()) for i in range(start, end)]
    printed: tuple[int, int] | None = None
    label_at = next((k for k, (_, t) in enumerate(body) if RE_RUNNING_LABEL.match(compact(t))), None)
    if label_at is not None:
        extra = [(no, t) for no, t in body[label_at + 1 :] if t.strip()]
        if len(extra) > RUNNING_HEADER_EXTRA:
            no, t = extra[RUNNING_HEADER_EXTRA]
            raise SourceError(
                path, no, f"ページ上部の表示（資料番号・表題・ページ番号）の後に本文「{t.strip()}」があります"
            )
        for no, t in extra:
            if RE_LONE_NUMBER.match(compact(t)):
                printed = (to_int(compact(t)), no)
        body = body[:label_at]
    else:
        # a lone page number as the last line of a page is its footer
        tail = [k for k, (_, t) in enumerate(body) if t.strip()]
        if tail and RE_LONE_NUMBER.match(compact(body[tail[-1]][1])):
            body = body[: tail[-1]]
    return body, printed


def _nonblank(body: list[tuple[int, str]], page_no: int) -> list[Line]:
    out: list[Line] = []
    gap = 0
    for no, text in body:
        if text.strip():
            out.append(Line(no=no, text=text, gap=gap, page_no=page_no))
            gap = 0
        else:
            gap += 1
    return out


def _split_columns(body: list[tuple[int, str]], page_no: int, first: int, end: int, path: Path) -> Page:
    rows = _nonblank(body, page_no)
    header_line = first  # 1-based number of the header line is `first`
    if not rows:
        raise SourceError(path, header_line, "見出し行の後に本文がありません（資料が途中で切れています）")

    head = next((k for k, ln in enumerate(rows) if not RE_PLAN_PAGE.match(ln.key)), None)
    if head is None:
        raise SourceError(path, rows[0].no, "ページに本文がありません")

    def starts_column(k: int) -> bool:
        if rows[k].gap >= COLUMN_GAP:
            return True
        # the 変更後 column may open with its own page marker just above the heading
        return k - 1 > head and RE_PLAN_PAGE.match(rows[k - 1].key) is not None and rows[k - 1].gap >= COLUMN_GAP

    def column_top(k: int) -> int:
        """The first line of a column that starts with row k: its own page marker, if it has one."""
        if k - 1 > head and RE_PLAN_PAGE.match(rows[k - 1].key) and rows[k - 1].gap >= COLUMN_GAP:
            return k - 1
        return k

    restart = next((k for k in range(head + 1, len(rows)) if rows[k].key == rows[head].key and starts_column(k)), None)
    if restart is None:
        restart = _reworded_restart(rows, head, starts_column, column_top, path)
    after_start = column_top(restart)

    reason_start = len(rows)
    for k in range(after_start + 1, len(rows)):
        if rows[k].gap >= REASON_GAP and all(display_width(r.text) <= REASON_WIDTH for r in rows[k:]):
            reason_start = k
            break

    before = rows[:after_start]
    after = rows[after_start:reason_start]
    reasons: list[Reason] = []
    for ln in rows[reason_start:]:
        if not reasons or ln.gap >= REASON_SPLIT:
            reasons.append(Reason(page_no=page_no, seq=len(reasons) + 1, lines=[]))
        reasons[-1].lines.append(ln)
    return Page(
        no=page_no,
        header_line=header_line,
        last_line=end,
        before=before,
        after=after,
        reasons=reasons,
    )


def _reworded_restart(rows: list[Line], head: int, starts_column, column_top, path: Path) -> int:
    """Where the 変更後 column starts when its first row was reworded: found by structure, not by words.

    The candidates are lines after a column gap with the shape of the 変更前
    column's first line (「基本目標１ …」 for 「基本目標１ …」), that are not in
    the narrow 変更理由 column.  The widest gap wins (a column ends with the
    blank space left below it); two equally wide ones cannot be told apart.
    """
    want = shape(rows[head].text)
    candidates = [
        k
        for k in range(head + 1, len(rows))
        if starts_column(k)
        and shape(rows[k].text) == want
        and not all(display_width(r.text) <= REASON_WIDTH for r in rows[k:])
    ]
    if not candidates:
        raise SourceError(
            path,
            rows[head].no,
            f"変更後の列が見つかりません：変更前の列の先頭「{rows[head].text.strip()}」と同じ行"
            "（同じ文、または同じ番号の同じ種類の見出し）が、変更後の列の先頭として現れるはずです",
        )
    widest = max(rows[column_top(k)].gap for k in candidates)
    best = [k for k in candidates if rows[column_top(k)].gap == widest]
    if len(best) > 1:
        raise SourceError(
            path,
            rows[best[0]].no,
            f"変更後の列の始まりを一つに決められません（{rows[best[0]].no} 行目と {rows[best[1]].no} 行目）",
        )
    return best[0]


def _assign_plan_pages(pages: list[Page], path: Path) -> None:
    """Give every line its 計画書 page and drop the 「計画書Nページ」 marker lines.

    A marker may stand in one column only.  The other column then takes the
    same page where it reaches the line that followed the marker, which is the
    same heading in both columns.  A marker at the top of one column gives its
    page to the other column's first row, which is the same row even where it
    was reworded (the layout found it by its shape).  A column carries its page
    over to the next 資料 page.
    """
    current = {"before": None, "after": None}
    for page in pages:
        anchors: dict[str, list[tuple[str, int]]] = {"before": [], "after": []}
        #: the page of a marker above a column's first row (None: the column starts with its row)
        top: dict[str, int | None] = {"before": None, "after": None}
        for side in ("before", "after"):
            col = getattr(page, side)
            for k, ln in enumerate(col):
                m = RE_PLAN_PAGE.match(ln.key)
                if m:
                    nxt = next((c for c in col[k + 1 :] if not RE_PLAN_PAGE.match(c.key)), None)
                    if nxt is not None:
                        anchors[side].append((nxt.key, to_int(m.group(1))))
                    if all(RE_PLAN_PAGE.match(c.key) for c in col[:k]):
                        top[side] = to_int(m.group(1))
        for side, other in (("before", "after"), ("after", "before")):
            pending = list(anchors[other])
            if top[other] is not None and top[side] is None and pending:
                # the other column's top marker stands for this column's first row, whatever its words
                pending = pending[1:]
            own_keys = {key for key, _ in anchors[side]}
            kept: list[Line] = []
            for ln in getattr(page, side):
                m = RE_PLAN_PAGE.match(ln.key)
                if m:
                    current[side] = to_int(m.group(1))
                    continue
                if not kept and top[side] is None and top[other] is not None:
                    current[side] = top[other]
                for idx, (key, plan_page) in enumerate(pending):
                    if key == ln.key and key not in own_keys:
                        current[side] = plan_page
                        del pending[idx]
                        break
                if current[side] is None:
                    raise SourceError(
                        path, ln.no, "計画書のページ（「計画書Nページ」）が、この行より前に示されていません"
                    )
                kept.append(Line(no=ln.no, text=ln.text, gap=ln.gap, page_no=ln.page_no, plan_page=current[side]))
            setattr(page, side, kept)
        if not page.before or not page.after:
            raise SourceError(path, page.header_line, "変更前・変更後の列のどちらかが空です")
