"""kpi_comparison: one row per indicator across the revision, its status computed from the values."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from portal.pipeline.build import parse
from portal.pipeline.comparison import status
from portal.pipeline.schema import labels

from .layout import GOAL_HEAD, PROJECT_A, PROJECT_B, PROJECT_NEW, RELATED, document, page, write


def rows_of(tmp_path: Path, before: list[str], after: list[str]) -> list[dict]:
    reasons = [["指標の見直し "]] if before != after else []
    path = write(tmp_path, document(page(before, after, reasons)))
    return parse(path)["kpi_comparison"]


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["name"]: r for r in rows}


@pytest.mark.parametrize(
    ("after_target", "expected", "difference"),
    [("１８０人", "target_raised", 30), ("１２０人", "target_lowered", -30), ("１５０人", "unchanged", 0)],
)
def test_the_status_follows_the_target_value(tmp_path, after_target, expected, difference):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    after = GOAL_HEAD + [line.replace("１５０人", after_target) for line in PROJECT_A] + PROJECT_B + RELATED
    row = by_name(rows_of(tmp_path, before, after))["一時預かりを利用した延べ児童数"]
    assert row["status"] == expected
    assert row["target_difference"] == difference
    assert (row["before_target_text"], row["after_target_text"]) == ("１５０人", after_target)
    assert (row["before_target_value"], row["after_target_value"]) == (150, int(after_target.translate(WIDE)[:-1]))
    if expected == "unchanged":
        assert (row["change_id"], row["reason"]) == (None, None)
    else:
        assert row["reason"] == "指標の見直し"
        assert row["target_changed"] == 1


WIDE = str.maketrans("０１２３４５６７８９", "0123456789")


def test_decimal_targets_and_year_and_unit_changes(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    a = [line.replace("100％", "95.5％") for line in PROJECT_A]
    b = [line.replace("（令和２年） （令和７年）", "（令和２年） （令和８年）") for line in PROJECT_B]
    goal = [line.replace("1,500千人", "1,500人") for line in GOAL_HEAD]
    rows = by_name(rows_of(tmp_path, before, goal + a + b + RELATED))
    lowered = rows["保育士の研修受講率"]
    assert (lowered["status"], lowered["target_difference"]) == ("target_lowered", -4.5)
    year = rows["相談件数"]
    assert year["status"] == "baseline_or_year_changed"
    assert (year["before_target_year"], year["after_target_year"]) == (2025, 2026)
    assert (year["year_changed"], year["target_changed"], year["baseline_changed"]) == (True, False, False)
    # 千人 → 人 cannot be compared as numbers
    unit = rows["来訪者数"]
    assert (unit["status"], unit["target_difference"]) == ("target_changed", None)


def test_added_removed_and_not_set_rows(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    rows = rows_of(tmp_path, before, GOAL_HEAD + PROJECT_A + RELATED)
    assert [r["status"] for r in rows] == ["unchanged", "unchanged", "unchanged", "removed"]
    removed = rows[3]
    assert (removed["name"], removed["before_project_name"], removed["after_kpi_id"]) == (
        "相談件数",
        "みどりの窓口事業",
        None,
    )
    assert removed["reason"] == "指標の見直し"
    rows = rows_of(tmp_path, before, GOAL_HEAD + PROJECT_A + PROJECT_B + PROJECT_NEW + RELATED)
    assert [r["status"] for r in rows] == ["unchanged"] * 4 + ["added_not_set"]
    assert (rows[4]["after_project_name"], rows[4]["name"], rows[4]["before_kpi_id"]) == (
        "にじいろ給付事業",
        None,
        None,
    )
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    # a project replaced by one without indicators: its indicator becomes 「設定しない」
    rows = rows_of(tmp_path, before, GOAL_HEAD + PROJECT_A + PROJECT_NEW + RELATED)
    assert rows[3]["status"] == "changed_to_not_set"
    assert (rows[3]["before_project_name"], rows[3]["after_project_name"]) == ("みどりの窓口事業", "にじいろ給付事業")


def test_a_renamed_indicator(tmp_path):
    before = GOAL_HEAD + PROJECT_A + PROJECT_B + RELATED
    b = [line.replace("相談件数", "相談の件数") for line in PROJECT_B]
    row = by_name(rows_of(tmp_path, before, GOAL_HEAD + PROJECT_A + b + RELATED))["相談の件数"]
    assert (row["status"], row["before_name"], row["name_changed"], row["target_changed"]) == (
        "renamed",
        "相談件数",
        True,
        False,
    )


def side(**kw) -> dict:
    base = {
        "status": "set",
        "name": "n",
        "project_name": "p",
        **{
            f"{w}_{k}": None
            for w in ("baseline", "target")
            for k in (
                "text",
                "value",
                "unit",
                "year",
                "year_type",
                "year_start",
                "year_end",
                "per_year",
                "qualifier",
                "value_note",
            )
        },
        "baseline_each_year": False,
        "target_each_year": False,
    }
    return {**base, **kw}


def test_status_of_pairs_without_a_document():
    assert status(None, side()) == "added"
    assert status(side(), None) == "removed"
    assert status(None, side(status="not_set")) == "added_not_set"
    assert status(side(status="not_set"), None) == "removed_not_set"
    assert status(side(), side(status="not_set")) == "changed_to_not_set"
    assert status(side(status="not_set"), side()) == "set_from_not_set"
    # values written in words have no number: a change of the words cannot be called up or down
    assert status(side(target_text="増加"), side(target_text="維持")) == "target_changed"
    assert status(side(target_value=0.1, target_unit="%"), side(target_value=0.3, target_unit="%")) == "target_raised"
    # a qualified target and an exact one, a rate per year and a total: not compared by number
    exact = side(target_value=2000, target_unit="人")
    assert status(exact, side(target_value=2500, target_unit="人", target_qualifier="at_least")) == "qualifier_changed"
    assert status(side(target_value=5, target_unit="%", target_qualifier="at_most"), exact) == "target_changed"
    per_year = side(target_value=12, target_unit="回", target_per_year=True)
    assert status(side(target_value=10, target_unit="回"), per_year) == "target_changed"
    assert status(side(target_value=10, target_unit="回", target_per_year=True), per_year) == "target_raised"
    at_least = side(target_value=2000, target_unit="人", target_qualifier="at_least")
    assert status(at_least, {**at_least, "target_value": 1800}) == "target_lowered"
    # the same period, or another one
    ranged = side(target_value=5, target_unit="件", target_year_start=2021, target_year_end=2024)
    assert status(ranged, {**ranged, "target_year_end": 2025}) == "baseline_or_year_changed"
    assert status(ranged, dict(ranged)) == "unchanged"
    with pytest.raises(ValueError):
        status(None, None)
    # every status is a code of the schema
    assert {"added", "removed", "unchanged", "target_raised"} <= set(labels("kpi_comparison", "status"))


def test_the_real_document(built):
    """Read independently from the 新旧対照表: no target, baseline or year changed in this revision."""
    conn = sqlite3.connect(built.db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("select * from kpi_comparison order by id").fetchall()
    counts = dict(conn.execute("select status, count(*) from kpi_comparison group by status").fetchall())
    assert counts == {"unchanged": 14, "added": 2, "changed_to_not_set": 1, "added_not_set": 1}
    assert len(rows) == 18
    # every indicator of either version is in exactly one row
    for version, column in ((1, "before_kpi_id"), (2, "after_kpi_id")):
        ids = [r[0] for r in conn.execute(f"select {column} from kpi_comparison where {column} is not null")]
        assert sorted(ids) == [
            r[0] for r in conn.execute("select id from kpis where version_id = ? order by id", [version])
        ]
    dropped = next(r for r in rows if r["status"] == "changed_to_not_set")
    assert dropped["name"] == "対象者１人当たりの助成額"
    assert (dropped["before_project_name"], dropped["after_project_name"]) == (
        "乳幼児等医療費助成事業",
        "子ども医療費無料化事業",
    )
    assert (dropped["before_target_text"], dropped["before_target_label"]) == ("8,400円", "各年度")
    assert dropped["after_target_text"] is None
    assert dropped["reason"].startswith("・医療費無料化に伴う文章修正")
    added = [r for r in rows if r["status"] == "added"]
    assert [r["name"] for r in added] == ["利用者登録率（保育所）", "利用者登録率（小中学校）"]
    assert {(r["after_target_value"], r["after_target_unit"], r["after_target_year"]) for r in added} == {
        (100, "%", 2025)
    }
    assert {r["after_baseline_year"] for r in added} == {2022}
    (not_set,) = [r for r in rows if r["status"] == "added_not_set"]
    assert (not_set["after_project_name"], not_set["reason"]) == ("学校給食費無償化事業", "新規事業の追加")
    # the renamed project's indicators are unchanged, with the project's reason
    renamed = [r for r in rows if r["project_renamed"] and r["status"] == "unchanged"]
    assert [r["name"] for r in renamed] == ["チームを構成する事業者数", "地域ブランドの商品数"]
    assert dropped["project_renamed"]
    assert {r["reason"] for r in renamed} == {"地域ブランドに係る取り組みの進捗状況を踏まえ、文章を修正。"}
    unchanged = [r for r in rows if r["status"] == "unchanged" and not r["project_renamed"]]
    assert all(r["change_id"] is None and r["target_difference"] == 0 for r in unchanged)
