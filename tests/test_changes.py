"""Changes between the versions and the reasons they belong to, on small documents."""

import pytest

from portal.pipeline.changes import compare, element_text, place_reasons
from portal.pipeline.errors import SourceError
from portal.pipeline.plan import parse_plan
from portal.pipeline.source import read_source

from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, PROJECT_NEW, RELATED, document, line_of, page, write

NEW_DIRECTION = ["○まちの魅力を高めるため、デジタル技術を活用し、", "公園の整備を進める。 "]


def changes_of(tmp_path, before, after, reasons, reason_rows=None):
    text = document(page(before, after, reasons, reason_rows=reason_rows))
    path = write(tmp_path, text)
    doc = read_source(path)
    old = parse_plan(doc.column("before"), "before", path)
    new = parse_plan(doc.column("after"), "after", path)
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
    assert [c.change_type for c in changes] == ["text_modified", "project_added"]
    direction, added = changes
    assert element_text(direction.before) == "まちの魅力を高めるため、公園の整備を進める。"
    assert element_text(direction.after) == "まちの魅力を高めるため、デジタル技術を活用し、公園の整備を進める。"
    assert direction.reason.text == "デジタル技術の活用を明記。"
    assert added.after.name == "にじいろ給付事業"
    assert added.reason.text == "新規事業の追加"
    assert added.section.endswith("①保育の充実 ＞ 具体的な事業")
    assert (direction.page_no, direction.plan_page) == (1, 3)


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
    old, new = (parse_plan(doc.column(s), s, path) for s in ("before", "after"))
    assert compare(old, new).changes == []


def test_removed_project_and_its_kpis(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    after = GOAL_HEAD + PROJECT_A + RELATED
    _, changes = changes_of(tmp_path, before, after, [["事業の終了 "]])
    assert [(c.change_type, c.table) for c in changes] == [("project_removed", "projects"), ("kpi_removed", "kpis")]
    assert changes[0].after is None and changes[0].before.name == "みどりの窓口事業"
    assert changes[1].parent is changes[0]


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
