"""Write small documents in the layout of the 新旧対照表 text, for tests.

Each column's line is followed by a blank line, as in the extracted PDF; the
変更後 column follows the 変更前 column after a gap, and the narrow 変更理由
column follows after a longer one.
"""

from __future__ import annotations

from pathlib import Path

HEADER = " 変  更  前 変  更  後 変更理由 "


def column(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        out += [line, ""]
    return out


def page(
    before: list[str],
    after: list[str] | None,
    reasons: list[list[str]],
    *,
    running_header: list[str] | None = None,
    reason_rows: list[int] | None = None,
) -> list[str]:
    """One page; with `reason_rows`, reason k stands beside row reason_rows[k] of the 変更後 column."""
    out = list(running_header or []) + [HEADER, ""] + column(before) + [""] * 20
    after_top = len(out)
    if after is not None:
        out += column(after)
    if reason_rows is None:
        out += [""] * 40
        for k, reason in enumerate(reasons):
            if k:
                out += [""] * 8
            out += column(reason)
        return out
    top = len(out) + 40
    for reason, row in zip(reasons, reason_rows, strict=False):
        at = top + 2 * row
        assert at >= len(out) + (1 if len(out) > top else 0), "reasons overlap"
        out += [""] * (at - len(out)) + column(reason)
    assert after_top < top
    return out


def document(*pages: list[str]) -> str:
    lines: list[str] = []
    for p in pages:
        lines += p
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str, name: str = "doc.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the nth line containing `needle`."""
    seen = 0
    for no, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return no
    raise AssertionError(f"{needle!r} not found {nth} times")


# A small plan in the document's layout: one goal, its directions and
# numerical goal, a measure with an omitted range, and a KPI table.
GOAL_HEAD = [
    "計画書３ページ ",
    "Ⅱ．基本的方向と具体的な事業 ",
    "基本目標１ 元気なまちをつくる ",
    "《基本的方向》 ",
    "○まちの魅力を高めるため、公園の整備を進め",
    "る。 ",
    "数値目標 基準値 目標値 ",
    "来訪者数※ 1,200千人（平成 30年） 1,500千人（令和６年） ",
    "  ※観光統計による ",
    "（１）にぎわいづくり ",
    "①公園の整備～②広場の活用 ",
    "－ 省 略 － ",
    "（２）子育て支援 ",
    "①保育の充実 ",
    "   ・保育サービスを充実し、子育てを支え",
    "る。 ",
    "具体的な事業 重要業績評価指標（KPI） ",
]

PROJECT_A = [
    "おひさま保育事業 ",
    "・保育所で一時的に児童を預かり、保護者の負担",
    "を軽くする。 ",
    "一時預かりを利用した",
    "延べ児童数 ",
    "１２０人   １５０人 ",
    "（令和元年）   （各年度） ",
    "保育士の研修受講率 ",
    "80.5％    100％ ",
    "（令和元年） （令和７年） ",
]

PROJECT_B = [
    "みどりの窓口事業 ",
    "・窓口で相談を受け付ける。 ",
    "相談件数 ",
    "－    2,000件 ",
    "（令和２年） （令和７年） ",
]

PROJECT_NEW = [
    "にじいろ給付事業 ",
    "・子育て世帯に給付を行い、負担の軽減を図る。（R6：",
    "新設） ",
    "KPIの設定が困難なため ",
    "設定しない ",
]

RELATED = [
    "（主な関連事業） ",
    "    ・ひかり相談事業 ・ほし広場運営・管理事業 ",
]
