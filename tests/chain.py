"""A chain of three small 新旧対照表 documents in the document's layout, for tests.

Document 1: the KPI target of おひさま保育事業 150 → 160 人; みどりの窓口事業 renamed
あおぞら窓口事業; the sub-measures ①～② of （１） omitted in both columns.
Document 2: its 変更前 shows ①② (omitted in document 1); the same target
160 → 170 人; あおぞら窓口事業 removed.
Document 3: the numerical goal's target 1,500 → 1,600 千人.
"""

from __future__ import annotations

from pathlib import Path

from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, RELATED, document, page, write

SHOWN = ["①公園の整備 ", "   ・公園の整備を進める。 ", "②広場の活用 ", "   ・広場を活用する。 "]
OMITTED = ["①公園の整備～②広場の活用 ", "－ 省 略 － "]


def head(shown: bool = False, goal_target: str = "1,500千人") -> list[str]:
    lines = [line.replace("1,500千人", goal_target) for line in GOAL_HEAD]
    if shown:
        at = lines.index(OMITTED[0])
        lines[at : at + 2] = SHOWN
    return lines


def project_a(target: str) -> list[str]:
    return [line.replace("１５０人", target) for line in PROJECT_A]


def project_b(name: str) -> list[str]:
    return [line.replace("みどりの窓口事業", name) for line in PROJECT_B]


def documents(tmp_path: Path, contradiction: bool = False) -> list[Path]:
    """Write the three documents; with `contradiction`, document 3's 変更前 disagrees with document 2's 変更後."""
    one_before = head() + project_a("１５０人") + project_b("みどりの窓口事業") + RELATED
    one_after = head() + project_a("１６０人") + project_b("あおぞら窓口事業") + RELATED
    two_before = head(shown=True) + project_a("１６０人") + project_b("あおぞら窓口事業") + RELATED
    two_after = head(shown=True) + project_a("１７０人") + RELATED
    three_before = head(shown=True) + project_a("１７０人") + RELATED
    if contradiction:
        three_before = [line.replace("100％", "90％") for line in three_before]
    three_after = head(shown=True, goal_target="1,600千人") + project_a("１７０人") + RELATED
    return [
        write(tmp_path, document(page(one_before, one_after, [["・指標の見直し "]])), "rev1.txt"),
        write(tmp_path, document(page(two_before, two_after, [["・事業の見直し "]])), "rev2.txt"),
        write(tmp_path, document(page(three_before, three_after, [["・数値目標の見直し "]])), "rev3.txt"),
    ]


MANIFEST = """\
municipality: {code: "012262", name: 北海道砂川市}
strategy: 試しの総合戦略
first_version:
  label: 当初版
  date: "2020-03-31"
documents:
  - file: rev1.txt
    title: 一回目の新旧対照表
    published:
    version: {label: 一回目の改訂, date: "2021-03-31"}
  - file: rev2.txt
    title: 二回目の新旧対照表
    published:
    version: {label: 二回目の改訂, date: "2022-03-31"}
  - file: rev3.txt
    title: 三回目の新旧対照表
    published:
    version: {label: 三回目の改訂, date:}
"""
