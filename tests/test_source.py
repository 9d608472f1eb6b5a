"""Layout: pages, the three columns, running headers, page references, wrapped lines."""

import pytest

from portal.pipeline.errors import SourceError
from portal.pipeline.source import read_source
from portal.pipeline.text import join_wrapped

from .layout import HEADER, document, line_of, page, write


def two_pages():
    p1 = page(
        ["計画書２ページ ", "１．はじめに ", "本市は計画を定めまし", "た。 "],
        ["１．はじめに ", "本市は計画を改めまし", "た。 "],
        [["文言整理 "]],
    )
    p2 = page(
        ["計画書４ページ ", "２．つぎに ", "市は事業を進める。 ", "計画書５ページ ", "３．さいごに ", "市は見直す。 "],
        ["２．つぎに ", "市は事業を広く進める。 ", "３．さいごに ", "市は見直す。 "],
        [["事業の拡大に", "伴う修正。 "], ["・一つ目の理由 ", "・二つ目の理", "由 "]],
        running_header=["資料４ ", "", "", "計画変更 新旧対照表 ", "", "2 ", "", "", ""],
    )
    return document(p1, p2)


def test_pages_columns_and_reasons(tmp_path):
    text = two_pages()
    doc = read_source(write(tmp_path, text))
    assert [p.no for p in doc.pages] == [1, 2]
    p1, p2 = doc.pages
    assert p1.header_line == 1
    assert p2.header_line == line_of(text, "変更理由", 2)
    assert [ln.text.strip() for ln in p1.before] == ["１．はじめに", "本市は計画を定めまし", "た。"]
    assert [ln.text.strip() for ln in p1.after] == ["１．はじめに", "本市は計画を改めまし", "た。"]
    assert [r.text for r in p1.reasons] == ["文言整理"]
    assert [r.text for r in p2.reasons] == ["事業の拡大に伴う修正。", "・一つ目の理由\n・二つ目の理由"]
    assert p2.reasons[1].points == ["・一つ目の理由", "・二つ目の理由"]
    assert p2.reasons[0].first_line == line_of(text, "事業の拡大に")


def test_every_line_keeps_its_source_line_number(tmp_path):
    text = two_pages()
    doc = read_source(write(tmp_path, text))
    lines = text.splitlines()
    for page_ in doc.pages:
        for ln in page_.before + page_.after + [x for r in page_.reasons for x in r.lines]:
            assert lines[ln.no - 1].rstrip() == ln.text


def test_running_header_is_dropped_and_its_page_number_checked(tmp_path):
    doc = read_source(write(tmp_path, two_pages()))
    assert doc.pages[1].printed_no == 2
    all_text = [ln.text for p in doc.pages for ln in p.before + p.after]
    assert not any("資料" in t or "新旧対照表" in t for t in all_text)


def test_wrong_printed_page_number_is_an_error(tmp_path):
    text = two_pages().replace("\n2 \n", "\n3 \n")
    with pytest.raises(SourceError, match="ページ番号「3」") as err:
        read_source(write(tmp_path, text))
    assert err.value.line == line_of(text, "変更理由", 2) - 4


def test_plan_page_marker_in_one_column_applies_to_both(tmp_path):
    doc = read_source(write(tmp_path, two_pages()))
    p1, p2 = doc.pages
    assert {ln.plan_page for ln in p1.before + p1.after} == {2}
    pages = {ln.text.strip(): ln.plan_page for ln in p2.after}
    assert pages["２．つぎに"] == 4
    assert pages["３．さいごに"] == 5
    assert pages["市は見直す。"] == 5
    assert p2.plan_pages == [4, 5]
    # marker lines themselves are not content
    assert not any("計画書" in ln.text for p in doc.pages for ln in p.before + p.after)


def test_after_column_missing_is_an_error(tmp_path):
    text = document(page(["１．はじめに ", "本文。 "], None, [["理由 "]]))
    with pytest.raises(SourceError, match="変更後の列が見つかりません") as err:
        read_source(write(tmp_path, text))
    assert err.value.line == line_of(text, "はじめに")
    assert str(err.value).startswith(f"{tmp_path / 'doc.txt'}:{err.value.line}: ")


def test_truncated_document_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="見出し行の後に本文がありません"):
        read_source(write(tmp_path, HEADER + "\n\n"))
    with pytest.raises(SourceError, match="見出し行"):
        read_source(write(tmp_path, ""))


def test_not_utf8_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes(HEADER.encode() + b"\n\nabc\n\xff\xfe\n")
    with pytest.raises(SourceError, match="UTF-8") as err:
        read_source(path)
    assert err.value.line == 4


def test_text_before_first_header_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="より前に本文"):
        read_source(write(tmp_path, "まえがき\n" + two_pages()))


@pytest.mark.parametrize(
    "pieces, joined",
    [
        (["人口減少に歯", "止めをかける"], "人口減少に歯止めをかける"),
        (["  ・市内の ", "事業者"], "・市内の事業者"),
        (["ICT", "システム"], "ICTシステム"),
        (["the ICT", "system"], "the ICT system"),
        (["平成 26 年", "11 月"], "平成 26 年11 月"),
    ],
)
def test_wrapped_lines_are_joined_without_spaces_between_japanese(pieces, joined):
    assert join_wrapped(pieces) == joined


def test_real_document_layout(real_source):
    doc = read_source(real_source)
    assert len(doc.pages) == 8
    assert [p.header_line for p in doc.pages] == [1, 228, 457, 757, 1006, 1203, 1494, 1745]
    assert [p.plan_pages for p in doc.pages] == [[2], [5, 7], [7], [9], [12], [14], [15], [17]]
    assert [p.printed_no for p in doc.pages] == [None, None, None, 4, None, None, None, None]
    assert [len(p.reasons) for p in doc.pages] == [2, 2, 1, 1, 1, 1, 2, 1]
    # each 変更後 column starts with the same heading as its 変更前 column
    for p in doc.pages:
        assert p.before[0].key == p.after[0].key
    assert doc.pages[0].after[0].no == 89
    assert doc.pages[6].reasons[1].text == "新規事業の追加"
    # the running header on page 4 is not content
    texts = [ln.text for p in doc.pages for ln in p.before + p.after + [x for r in p.reasons for x in r.lines]]
    assert not any(t.strip() in ("資料４", "4") for t in texts)


def layout_of(doc) -> list:
    """Everything the layout found, with line numbers: pages, columns and reasons."""
    return [
        (p.no, p.header_line, p.printed_no, p.before, p.after, [(r.seq, r.lines) for r in p.reasons]) for p in doc.pages
    ]


def test_a_byte_order_mark_is_accepted_and_changes_no_line_number(tmp_path):
    text = two_pages()
    plain = read_source(write(tmp_path, text))
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert layout_of(read_source(path)) == layout_of(plain)


def test_an_error_after_a_byte_order_mark_names_the_same_line(tmp_path):
    text = two_pages().replace("\n2 \n", "\n3 \n")
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(SourceError, match="ページ番号「3」") as err:
        read_source(path)
    assert err.value.line == line_of(text, "変更理由", 2) - 4
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + b"\n\nabc\n\xff\xfe\n")
    with pytest.raises(SourceError, match="UTF-8") as err:
        read_source(path)
    assert err.value.line == 4


def test_a_byte_order_mark_inside_the_text_is_not_skipped(tmp_path):
    """Only a BOM at the very start is an encoding mark; elsewhere it is a character of the text."""
    path = tmp_path / "doc.txt"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + two_pages().encode("utf-8"))
    with pytest.raises(SourceError, match="見出し行"):
        read_source(path)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f"])
def test_a_control_character_is_an_error_naming_line_and_character(tmp_path, char):
    text = two_pages().replace("市は事業を広く進める。", "市は事業を" + char + "広く進める。")
    path = write(tmp_path, text)
    with pytest.raises(SourceError, match="制御文字") as err:
        read_source(path)
    # counted by hand: str.splitlines (and so line_of) would also end lines at \x0b, \x0c and \x85
    assert err.value.line == text[: text.index(char)].count("\n") + 1
    assert f"U+{ord(char):04X}" in str(err.value)
    assert "（6 文字目）" in str(err.value)
    assert str(err.value).startswith(f"{path}:{err.value.line}: ")


def test_tabs_and_windows_line_ends_are_text(tmp_path):
    text = two_pages()
    plain = read_source(write(tmp_path, text))
    crlf = read_source(write(tmp_path, text.replace("\n", "\r\n"), "crlf.txt"))
    assert layout_of(crlf) == layout_of(plain)
    tabbed = read_source(write(tmp_path, text.replace("市は見直す。 ", "市は\t見直す。 "), "tab.txt"))
    assert any("\t" in ln.text for ln in tabbed.pages[1].after)


def test_line_numbers_count_line_feeds_only(tmp_path):
    """U+2028 (LINE SEPARATOR) does not end a line in an editor, so it must not shift the numbers errors give."""
    text = (
        two_pages().replace("本市は計画を定めまし", "本市は計画を\u2028定めまし").replace("た。 \n", "た。\x00 \n", 1)
    )
    with pytest.raises(SourceError, match="U\\+0000") as err:
        read_source(write(tmp_path, text))
    assert err.value.line == text[: text.index("\x00")].count("\n") + 1


GOAL_ROWS = ["《基本的方向》 ", "○まちの魅力を高める。 ", "（１）にぎわいづくり ", "①公園の整備 ", "・公園を整える。 "]


def test_a_reworded_first_row_takes_the_page_of_the_marker_above_the_other_column(tmp_path):
    """変更前 opens with 「計画書Nページ」 and a 基本目標 heading; 変更後 opens with that heading reworded, no marker."""
    text = document(
        page(
            ["計画書３ページ ", "基本目標１ 元気なまちをつくる ", *GOAL_ROWS],
            ["基本目標１ 活気あるまちをつくる ", *GOAL_ROWS],
            [["見出しの変更 "]],
        ),
        page(
            ["計画書７ページ ", "基本目標２ 安心なまちをつくる ", *GOAL_ROWS],
            ["基本目標２ 安全で安心なまちをつくる ", *GOAL_ROWS],
            [["見出しの変更 "]],
        ),
    )
    doc = read_source(write(tmp_path, text))
    first, second = doc.pages
    assert first.after[0].text.strip() == "基本目標１ 活気あるまちをつくる"
    assert first.after[0].no == line_of(text, "活気あるまち")
    assert {ln.plan_page for ln in first.before + first.after} == {3}
    # on a later page the column does not carry the last page over: it takes the marker's page
    assert second.after[0].text.strip() == "基本目標２ 安全で安心なまちをつくる"
    assert {ln.plan_page for ln in second.before + second.after} == {7}
    assert [ln.key for ln in second.before[1:]] == [ln.key for ln in second.after[1:]]


def test_the_marker_above_the_after_column_gives_its_page_to_the_reworded_before_row(tmp_path):
    text = document(
        page(
            ["基本目標１ 元気なまちをつくる ", *GOAL_ROWS],
            ["計画書５ページ ", "基本目標１ 活気あるまちをつくる ", *GOAL_ROWS],
            [["見出しの変更 "]],
        )
    )
    (p,) = read_source(write(tmp_path, text)).pages
    assert {ln.plan_page for ln in p.before + p.after} == {5}


def test_a_first_row_that_two_rows_could_continue_is_still_refused(tmp_path):
    """Two 変更後 candidates of the reworded first row's shape, after gaps of the same width: no guess."""
    before = ["計画書３ページ ", "基本目標１ 元気なまちをつくる ", *GOAL_ROWS]
    after = ["基本目標１ 活気あるまちをつくる ", *GOAL_ROWS]
    lines = page(before, after, [["見出しの変更 "]])
    at = lines.index("基本目標１ 活気あるまちをつくる ")
    gap = at - max(k for k in range(at) if lines[k].strip()) - 1
    # a second column of the same shape, after as wide a gap
    lines[at + 2 * len(after) : at + 2 * len(after)] = [""] * (gap - 1) + ["基本目標１ にぎわうまちをつくる ", ""]
    text = document(lines)
    with pytest.raises(SourceError, match="変更後の列の始まりを一つに決められません") as err:
        read_source(write(tmp_path, text))
    assert err.value.line == line_of(text, "活気あるまち")
