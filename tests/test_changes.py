"""Changes between the versions and the reasons they belong to, on small documents."""

import itertools
import random

import pytest

from portal.pipeline.changes import best_splits, compare, element_text, place_reasons
from portal.pipeline.errors import SourceError
from portal.pipeline.plan import parse_plan
from portal.pipeline.source import read_source

from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, PROJECT_NEW, RELATED, document, line_of, page, write

NEW_DIRECTION = ["○まちの魅力を高めるため、デジタル技術を活用し、", "公園の整備を進める。 "]


def changes_of(tmp_path, before, after, reasons, reason_rows=None):
    text = document(page(before, after, reasons, reason_rows=reason_rows))
    path = write(tmp_path, text)
    doc = read_source(path)
    old = parse_plan(doc.column("before"), path)
    new = parse_plan(doc.column("after"), path)
    return text, place_reasons(compare(old, new).changes, doc, path)


def after_with(direction, *projects, related=RELATED):
    head = GOAL_HEAD[:4] + direction + GOAL_HEAD[6:]
    return head + [line for p in projects for line in p] + related


def test_modified_text_added_project_and_their_reasons(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    after = after_with(NEW_DIRECTION, PROJECT_A, PROJECT_B, PROJECT_NEW)
    new_row = after.index(PROJECT_NEW[0])
    text, changes = changes_of(
        tmp_path, before, after, [["デジタル技術の活", "用を明記。 "], ["新規事業の追加 "]], reason_rows=[4, new_row]
    )
    assert [c.change_type for c in changes] == ["text_modified", "project_added", "kpi_not_set"]
    direction, added, not_set = changes
    assert element_text(direction.before) == "まちの魅力を高めるため、公園の整備を進める。"
    assert element_text(direction.after) == "まちの魅力を高めるため、デジタル技術を活用し、公園の整備を進める。"
    assert direction.reason.text == "デジタル技術の活用を明記。"
    assert added.after.name == "にじいろ給付事業"
    assert added.reason.text == "新規事業の追加"
    assert added.section.endswith("①保育の充実 ＞ 具体的な事業")
    assert (direction.page_no, direction.plan_page) == (1, 3)
    # the added project's 「設定しない」 row is a change of that project, with its reason
    assert not_set.parent is added and added.children == [not_set]
    assert (not_set.table, not_set.before, not_set.after) == ("kpis", None, added.after.kpis[0])
    assert not_set.after.status == "not_set"
    assert not_set.reason is added.reason
    assert element_text(not_set.after) == "KPIの設定が困難なため設定しない"


def test_one_reason_covers_several_changes_and_kpis_follow_their_project(tmp_path):
    renamed = ["おひさま保育推進事業 "] + PROJECT_A[1:5] + ["１００人   １５０人 "] + PROJECT_A[6:]
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    after = after_with(NEW_DIRECTION, renamed, PROJECT_B, PROJECT_NEW)
    _, changes = changes_of(tmp_path, before, after, [["事業の見直しに伴う修正 "]])
    kinds = [(c.change_type, c.parent.change_type if c.parent else None) for c in changes]
    assert kinds == [
        ("text_modified", None),
        ("project_replaced", None),
        ("kpi_modified", "project_replaced"),
        ("project_added", None),
        ("kpi_not_set", "project_added"),
    ]
    assert {c.reason.text for c in changes} == {"事業の見直しに伴う修正"}
    kpi = changes[2]
    assert (kpi.before.baseline.value, kpi.after.baseline.value) == (120, 100)


def test_whitespace_and_line_wrap_differences_are_not_changes(tmp_path):
    before = GOAL_HEAD + PROJECT_A
    rewrapped = ["○まちの魅力を高めるため、 公園の整", "備を進める。 "]
    after = after_with(rewrapped, PROJECT_A, related=[])
    after = [line.replace("保育所で一時的に", "保育所で 一時的に") for line in after]
    text = document(page(before, after, []))
    path = write(tmp_path, text)
    doc = read_source(path)
    old, new = (parse_plan(doc.column(s), path) for s in ("before", "after"))
    assert compare(old, new).changes == []


def test_removed_project_and_its_kpis(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    after = GOAL_HEAD + PROJECT_A + RELATED
    _, changes = changes_of(tmp_path, before, after, [["事業の終了 "]])
    assert [(c.change_type, c.table) for c in changes] == [("project_removed", "projects"), ("kpi_removed", "kpis")]
    assert changes[0].after is None and changes[0].before.name == "みどりの窓口事業"
    assert changes[1].parent is changes[0]


def test_removed_project_whose_kpi_was_not_set(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_NEW + RELATED
    after = GOAL_HEAD + PROJECT_A + RELATED
    _, changes = changes_of(tmp_path, before, after, [["事業の終了 "]])
    assert [(c.change_type, c.table) for c in changes] == [
        ("project_removed", "projects"),
        ("kpi_not_set_removed", "kpis"),
    ]
    removed, not_set = changes
    assert not_set.parent is removed and not_set.reason is removed.reason
    assert (not_set.before.status, not_set.after) == ("not_set", None)


def test_kpi_no_longer_set_in_a_replaced_project_is_told_apart_from_a_removed_kpi(tmp_path):
    """A KPI cell that becomes 「設定しない」: each indicator given up (not deleted), pointing at the not-set row."""
    not_set = PROJECT_NEW[3:]
    renamed = ["おひさま保育推進事業 "] + PROJECT_A[1:3] + not_set
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    after = (
        GOAL_HEAD + renamed + PROJECT_B[:2] + ["相談件数 ", "－    2,000件 ", "（令和２年） （令和７年） "] + RELATED
    )
    _, changes = changes_of(tmp_path, before, after, [["事業の見直し "]])
    assert [(c.change_type, c.parent.change_type if c.parent else None) for c in changes] == [
        ("project_replaced", None),
        ("kpi_changed_to_not_set", "project_replaced"),
        ("kpi_changed_to_not_set", "project_replaced"),
    ]
    replaced = changes[0]
    (cell,) = replaced.after.kpis
    assert cell.status == "not_set"
    assert [(c.before.name, c.after) for c in changes[1:]] == [
        ("一時預かりを利用した延べ児童数", cell),
        ("保育士の研修受講率", cell),
    ]
    # and the other way round: an indicator set where the cell said 「設定しない」
    _, back = changes_of(tmp_path, after, before, [["事業の見直し "]])
    assert [(c.change_type, c.before.status if c.table == "kpis" else None) for c in back] == [
        ("project_replaced", None),
        ("kpi_set_from_not_set", "not_set"),
        ("kpi_set_from_not_set", "not_set"),
    ]


def test_removed_kpi_without_not_set_row_has_no_after_side(tmp_path):
    before = GOAL_HEAD + PROJECT_A + RELATED
    after = GOAL_HEAD + PROJECT_A[:7] + RELATED
    _, changes = changes_of(tmp_path, before, after, [["指標の見直し "]])
    assert [(c.change_type, c.before.name, c.after, c.parent) for c in changes] == [
        ("kpi_removed", "保育士の研修受講率", None, None)
    ]


def test_marks_beside_values_are_part_of_the_numerical_goal(tmp_path):
    before = GOAL_HEAD + PROJECT_A
    marked = [line.replace("（令和６年） ", "（令和６年）※ ") for line in GOAL_HEAD]
    marked = [line.replace("来訪者数※ ", "来訪者数 ") for line in marked]
    _, changes = changes_of(tmp_path, before, marked + PROJECT_A, [["注記の位置を修正 "]])
    (change,) = changes
    assert change.change_type == "kpi_modified"
    assert element_text(change.before) == "来訪者数※：基準値 1,200千人（平成30年） → 目標値 1,500千人（令和６年）"
    assert element_text(change.after) == "来訪者数：基準値 1,200千人（平成30年） → 目標値 1,500千人（令和６年）※"


def test_chapters_pair_across_versions_and_a_new_title_is_a_change(tmp_path):
    before = ["計画書２ページ ", "Ⅰ．基本的な考え方 ", "１．策定の経過 ", "国は法を定めた。 "]
    after = ["Ⅰ．基本的な考え方 ", "１．策定の経過と改訂 ", "国は法を定めた。 "]
    text = document(page(before, after, [["見出しの修正 "]]))
    path = write(tmp_path, text)
    doc = read_source(path)
    old, new = (parse_plan(doc.column(s), path) for s in ("before", "after"))
    comparison = compare(old, new)
    (change,) = place_reasons(comparison.changes, doc, path)
    assert (change.change_type, change.table) == ("text_modified", "chapters")
    assert (element_text(change.before), element_text(change.after)) == ("１．策定の経過", "１．策定の経過と改訂")
    # the paragraph stays paired under the retitled chapter: it is no change
    assert comparison.previous[id(new.texts[0])] is old.texts[0]
    assert [comparison.previous[id(c)] for c in new.chapters] == old.chapters


def test_a_reason_that_cannot_be_placed_is_an_error(tmp_path):
    before = GOAL_HEAD + PROJECT_A
    after = after_with(NEW_DIRECTION, PROJECT_A, related=[])
    with pytest.raises(SourceError, match="この理由を当てる変更がありません") as err:
        changes_of(tmp_path, before, after, [["理由その一 "], ["理由その二 "]])
    text = document(page(before, after, [["理由その一 "], ["理由その二 "]]))
    assert err.value.line == line_of(text, "理由その二")


def test_a_change_without_reason_is_an_error(tmp_path):
    before = GOAL_HEAD + PROJECT_A
    after = after_with(NEW_DIRECTION, PROJECT_A, related=[])
    with pytest.raises(SourceError, match="変更理由がありません"):
        changes_of(tmp_path, before, after, [])


def test_a_reason_without_change_is_an_error(tmp_path):
    before = GOAL_HEAD + PROJECT_A
    with pytest.raises(SourceError, match="変更箇所が見つかりません"):
        changes_of(tmp_path, before, before, [["理由だけ "]])


def test_reasons_follow_row_positions_not_count(tmp_path):
    """Three changes, two reasons: the first reason sits beside the first two rows."""
    paragraphs_before = [
        "計画書２ページ ",
        "Ⅰ．基本的な考え方 ",
        "１．策定の経過 ",
        "国は法を定めた。 ",
        "市は計画を作っていた。 ",
        "市は計画を進めることとした。 ",
    ]
    paragraphs_after = [
        "Ⅰ．基本的な考え方 ",
        "１．策定の経過 ",
        "国は法を定めた。 ",
        "市は計画を作った。 ",
        "市は計画を進めて",
        "きた。 ",
        "国は新しい戦略を定めた。 ",
    ]
    _, changes = changes_of(
        tmp_path,
        paragraphs_before,
        paragraphs_after,
        [["文言整理 "], ["国の戦略に係る経過を明記。 "]],
        reason_rows=[3, 6],
    )
    assert [(c.change_type, c.reason.text) for c in changes] == [
        ("text_modified", "文言整理"),
        ("text_modified", "文言整理"),
        ("text_added", "国の戦略に係る経過を明記。"),
    ]


def _splits_by_trying_all(rows, marks):
    """Every split scored with the median shift: the placement as first written, for small pages only."""
    scored = []
    for cuts in itertools.combinations(range(1, len(rows)), len(marks) - 1):
        bounds = (0, *cuts, len(rows))
        offsets = sorted(marks[g] - rows[i] for g in range(len(marks)) for i in range(bounds[g], bounds[g + 1]))
        shift = offsets[len(offsets) // 2]
        scored.append((sum(abs(o - shift) for o in offsets), bounds))
    least = min(cost for cost, _ in scored)
    return {bounds for cost, bounds in scored if cost == least}


def test_reason_placement_finds_the_same_best_splits_as_trying_every_split():
    rng = random.Random(13)
    for _ in range(300):
        n = rng.randint(2, 9)
        r = rng.randint(2, n)
        rows = sorted(rng.sample(range(1, 60), n))
        marks = sorted(rng.sample(range(100, 170), r))
        everything = _splits_by_trying_all(rows, marks)
        found = best_splits(rows, marks, limit=len(everything) + 1)
        assert set(found) == everything, (rows, marks)
        # the placement itself asks for two at most: one means decided, two means ambiguous
        assert len(best_splits(rows, marks)) == min(2, len(everything))


def test_thirty_changes_and_ten_reasons_on_one_page(tmp_path):
    # trying every split would score C(29, 9) = 10,015,005 of them
    items = [f"    ・つばさ事業{n} " for n in range(30)]
    before = GOAL_HEAD + PROJECT_A + RELATED
    after = GOAL_HEAD + PROJECT_A + RELATED + items
    first = after.index(items[0])
    reasons = [[f"理由{g} "] for g in range(10)]
    _, changes = changes_of(tmp_path, before, after, reasons, reason_rows=[first + 3 * g for g in range(10)])
    assert [c.change_type for c in changes] == ["related_project_added"] * 30
    assert [c.reason.text for c in changes] == [f"理由{k // 3}" for k in range(30)]


def test_a_page_whose_first_row_was_reworded(tmp_path):
    # the 変更後 column cannot be found by its first line repeating the 変更前 column's: it was reworded
    before = GOAL_HEAD + PROJECT_A + RELATED
    after = [GOAL_HEAD[0], "Ⅱ．基本的方向と主な取組 ", *GOAL_HEAD[2:], *PROJECT_A, *RELATED]
    text, changes = changes_of(tmp_path, before, after, [["見出しの変更 "]], reason_rows=[1])
    assert [(c.change_type, c.table) for c in changes] == [("text_modified", "chapters")]
    (change,) = changes
    assert (change.before.title, change.after.title) == ("基本的方向と具体的な事業", "基本的方向と主な取組")
    assert (change.before.first_line, change.after.first_line) == (
        line_of(text, "Ⅱ．基本的方向と具体的な事業"),
        line_of(text, "Ⅱ．基本的方向と主な取組"),
    )
    assert change.reason.text == "見出しの変更"
    # every other row pairs with its own: nothing else changed
    doc = read_source(write(tmp_path, text))
    (p,) = doc.pages
    assert (p.before[0].text.strip(), p.after[0].text.strip()) == (
        "Ⅱ．基本的方向と具体的な事業",
        "Ⅱ．基本的方向と主な取組",
    )
    assert [ln.key for ln in p.before[1:]] == [ln.key for ln in p.after[1:]]


def test_a_reworded_first_row_with_no_row_of_its_shape_is_an_error(tmp_path):
    before = GOAL_HEAD + PROJECT_A + RELATED
    after = [GOAL_HEAD[0], "基本目標１ 元気なまちをつくる ", *GOAL_HEAD[3:], *PROJECT_A, *RELATED]
    text = document(page(before, after, [["理由 "]]))
    with pytest.raises(SourceError, match="変更後の列が見つかりません") as err:
        read_source(write(tmp_path, text))
    assert err.value.line == line_of(text, "Ⅱ．基本的方向と具体的な事業")
