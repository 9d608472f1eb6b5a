"""The chain, part by part: what two documents both show must hold the same elements; omitted goals and 《…》
parts are taken from the document that shows them; an element one document omits is linked across it.

Every document here is written by the test in the 新旧対照表 layout (tests/layout.py).  A document whose two
columns are the same has no change and no reason.
"""

from __future__ import annotations

import pytest

from portal.pipeline.build import parse
from portal.pipeline.errors import SourceError

from .chain import head, project_a
from .layout import PROJECT_A, PROJECT_B, PROJECT_NEW, RELATED, document, line_of, page, write

BASIC = "《基本的方向》 "
SUB = "①保育の充実 "
OMIT = "－ 省 略 － "
PARKS = "①公園の整備～②広場の活用"  # omitted in every column here
GOAL2 = ["基本目標２ 住みよいまちをつくる ", BASIC, "○暮らしやすい住まいを整える。 "]
GOAL2_TABLE = ["数値目標 基準値 目標値 ", "転入者数 300人（令和元年） 350人（令和７年） "]


def plan(
    *,
    basic: bool = True,
    sub: bool = True,
    projects: list[list[str]] | None = None,
    related: list[str] = RELATED,
    extra_direction: bool = False,
    measure_text: bool = True,
    goal2: list[str] | None = None,
) -> list[str]:
    """One column: goal 1 (its 《基本的方向》 and sub-measure ① shown or omitted), then optionally goal 2."""
    lines = head()
    if extra_direction:
        at = lines.index("る。 ") + 1
        lines[at:at] = ["○子育てを支える。 "]
    if not measure_text:
        at = lines.index("   ・保育サービスを充実し、子育てを支え")
        del lines[at : at + 2]
    if not basic:
        lines[lines.index(BASIC) : lines.index("（１）にぎわいづくり ")] = [BASIC, OMIT]
    if sub:
        for p in [PROJECT_A, PROJECT_B] if projects is None else projects:
            lines += p
        lines += related
    else:
        lines[lines.index(SUB) :] = [SUB, OMIT]
    return lines + (goal2 or [])


def chain(tmp_path, *columns: list[str]):
    """Write one document per column (both its columns the same) and return their paths."""
    return [write(tmp_path, document(page(c, c, [])), f"doc{k}.txt") for k, c in enumerate(columns, 1)]


def texts(paths) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in paths]


# -- 1. an element only one side shows, in a part both sides show ---------------------------------------------


@pytest.mark.parametrize(
    "first, second, here, there",
    [
        # document 2's 変更前 lacks a project of the sub-measure: named at its heading, and where document 1 has it
        (plan(), plan(projects=[PROJECT_A]), ("①保育の充実", 1), ("みどりの窓口事業", 2)),
        # document 2's 変更前 has a project document 1's 変更後 lacks
        (plan(), plan(projects=[PROJECT_A, PROJECT_B, PROJECT_NEW]), ("にじいろ給付事業", 1), ("①保育の充実", 2)),
        # a project's KPI cell lacks an indicator
        (plan(), plan(projects=[PROJECT_A[:-3], PROJECT_B]), ("おひさま保育事業", 1), ("保育士の研修受講率", 2)),
        # the related projects lack one
        (plan(), plan(related=[RELATED[0], "    ・ひかり相談事業 "]), ("①保育の充実", 1), ("ほし広場運営", 2)),
        # the 《基本的方向》 lacks a ○ direction
        (plan(extra_direction=True), plan(), ("《基本的方向》", 1), ("○子育てを支える", 2)),
        # the sub-measure lacks its 「・」 text
        (plan(), plan(measure_text=False), ("①保育の充実", 1), ("・保育サービスを充実し", 2)),
    ],
)
def test_an_element_one_side_lacks_in_a_part_both_show_is_an_error_naming_both(tmp_path, first, second, here, there):
    paths = chain(tmp_path, first, second)
    one, two = texts(paths)
    with pytest.raises(SourceError) as err:
        parse(paths)
    assert err.value.path == paths[1]
    assert err.value.line == line_of(two, *here)  # in document 2's 変更前 column (the first of the page)
    assert f"{paths[0]}:{line_of(one, *there)}" in str(err.value)  # in document 1's 変更後 column
    assert "ありません" in str(err.value)


def test_a_part_the_next_document_omits_or_leaves_out_is_no_disagreement(tmp_path):
    # document 2 omits sub-measure ① (「－ 省 略 －」); document 3 leaves out everything from （２） on
    cut = plan()
    cut = cut[: cut.index("（２）子育て支援 ")]
    paths = chain(tmp_path, plan(), plan(sub=False), cut)
    rows = parse(paths)
    got = sorted((p["version_id"], p["name"], p["document_id"]) for p in rows["projects"])
    assert got == [
        (1, "おひさま保育事業", 1),
        (1, "みどりの窓口事業", 1),
        (2, "おひさま保育事業", 1),  # document 2's 変更前 omits them: known from document 1's 変更後
        (2, "みどりの窓口事業", 1),
    ]
    omitted = sorted((o["version_id"], o["scope"]) for o in rows["omissions"] if o["scope"] != PARKS)
    # version 3 is document 2's 変更後 (it omits ①) and document 3's 変更前 (it leaves ① out): not shown
    assert omitted == [(3, "①保育の充実")]


# -- 2. omitted goals and 《…》 parts come from the document that shows them -----------------------------------


def scopes(rows) -> list[tuple]:
    """The omissions, but for the sub-measures every document here omits."""
    return sorted(
        (o["version_id"], o["level"], o["goal_no"], o["scope"], o["document_id"])
        for o in rows["omissions"]
        if o["scope"] != PARKS
    )


def test_an_omitted_basic_direction_is_taken_from_the_next_document(tmp_path):
    rows = parse(chain(tmp_path, plan(basic=False), plan()))
    assert scopes(rows) == [(1, "subsection", 1, "《基本的方向》", 1)]  # version 1: no document shows it
    directions = [(t["version_id"], t["document_id"]) for t in rows["texts"] if t["kind"] == "direction"]
    assert directions == [(2, 2), (3, 2)]
    goals = [(k["version_id"], k["name"], k["document_id"]) for k in rows["kpis"] if k["kind"] == "numerical_goal"]
    assert goals == [(2, "来訪者数", 2), (3, "来訪者数", 2)]


def test_a_basic_direction_the_next_document_omits_is_kept_from_the_one_before(tmp_path):
    rows = parse(chain(tmp_path, plan(), plan(basic=False)))
    assert scopes(rows) == [(3, "subsection", 1, "《基本的方向》", 2)]  # only document 2's 変更後 is version 3
    directions = [(t["version_id"], t["document_id"]) for t in rows["texts"] if t["kind"] == "direction"]
    assert directions == [(1, 1), (2, 1)]


def test_an_omitted_goal_is_taken_from_the_document_that_shows_it_with_what_that_one_omits(tmp_path):
    omitted_goal = [GOAL2[0], OMIT]
    shown_goal = GOAL2 + GOAL2_TABLE
    part_shown = [GOAL2[0], BASIC, OMIT]
    rows = parse(chain(tmp_path, plan(goal2=omitted_goal), plan(goal2=shown_goal), plan(goal2=part_shown)))
    assert scopes(rows) == [
        (1, "goal", 2, "基本目標２", 1),
        # version 3: document 2's 変更後 shows goal 2, document 3's 変更前 omits its 《基本的方向》: shown by document 2
        (4, "subsection", 2, "《基本的方向》", 3),
    ]
    goal2 = [(t["version_id"], t["text"], t["document_id"]) for t in rows["texts"] if t["goal_no"] == 2]
    assert goal2 == [(2, "暮らしやすい住まいを整える。", 2), (3, "暮らしやすい住まいを整える。", 2)]
    assert [(g["version_id"], g["document_id"]) for g in rows["goals"] if g["goal_no"] == 2] == [
        (1, 1),
        (2, 1),
        (3, 2),
        (4, 3),
    ]


# -- 3. an element document k omits, shown by documents k-1 and k+1 ------------------------------------------


def test_an_element_omitted_by_a_whole_document_is_linked_across_it(tmp_path):
    rows = parse(chain(tmp_path, plan(), plan(sub=False), plan()))
    projects = [p for p in rows["projects"] if p["name"] == "おひさま保育事業"]
    assert [(p["version_id"], p["document_id"]) for p in projects] == [(1, 1), (2, 1), (3, 3), (4, 3)]
    # version 3's row is document 3's: it continues version 2's row (document 1's), one lineage
    assert projects[2]["previous_id"] == projects[1]["id"]
    assert len({p["lineage_id"] for p in projects}) == 1
    for table, name, column in [
        ("kpis", "保育士の研修受講率", "indicator_id"),
        ("texts", "保育サービスを充実し、子育てを支える。", None),
        ("related_projects", "ほし広場運営・管理事業", None),
    ]:
        found = [r for r in rows[table] if r.get("name", r.get("text")) == name]
        assert [r["version_id"] for r in found] == [1, 2, 3, 4], table
        assert [r["previous_id"] for r in found[1:]] == [r["id"] for r in found[:-1]], table
        if column:
            assert len({r[column] for r in found}) == 1
    # no document changed it: no change links the rows, and the indicator is unchanged across document 2
    assert {p["change_id"] for p in projects} == {None}
    compared = [
        r["status"]
        for r in rows["kpi_comparison"]
        if r["name"] == "保育士の研修受講率" and (r["from_version_id"], r["to_version_id"]) == (2, 3)
    ]
    assert compared == ["unchanged"]


def test_an_element_that_differs_across_the_omitting_document_starts_anew(tmp_path):
    changed = plan(projects=[project_a("１６０人"), PROJECT_B])
    rows = parse(chain(tmp_path, plan(), plan(sub=False), changed))
    kpis = [k for k in rows["kpis"] if k["name"] == "一時預かりを利用した延べ児童数"]
    assert [(k["version_id"], k["target_text"]) for k in kpis] == [
        (1, "１５０人"),
        (2, "１５０人"),
        (3, "１６０人"),
        (4, "１６０人"),
    ]
    # the figures differ across document 2, which says nothing of it: not linked, a new indicator from version 3
    assert kpis[2]["previous_id"] is None
    assert len({k["indicator_id"] for k in kpis[:2]}) == 1
    assert kpis[2]["indicator_id"] != kpis[1]["indicator_id"]
    # the project, the same in both, is linked; so is its other indicator
    projects = [p for p in rows["projects"] if p["name"] == "おひさま保育事業"]
    assert len({p["lineage_id"] for p in projects}) == 1
    other = [k for k in rows["kpis"] if k["name"] == "保育士の研修受講率"]
    assert len({k["indicator_id"] for k in other}) == 1


def test_the_same_words_under_another_heading_are_not_linked(tmp_path):
    # document 3 shows the project under sub-measure ② of （２）: another heading path
    moved = plan()
    moved[moved.index(SUB)] = "②保育の充実 "
    rows = parse(chain(tmp_path, plan(), plan(sub=False), moved))
    projects = [p for p in rows["projects"] if p["name"] == "おひさま保育事業"]
    assert [p["version_id"] for p in projects] == [1, 2, 3, 4]
    assert projects[2]["previous_id"] is None
    assert len({p["lineage_id"] for p in projects}) == 2
