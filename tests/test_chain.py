"""A chain of revisions: N documents → N+1 versions, parts two documents show agree, lineage across versions."""

from __future__ import annotations

import pytest

from portal.pipeline.build import parse
from portal.pipeline.errors import SourceError
from portal.pipeline.manifest import read_manifest

from .chain import MANIFEST, documents
from .layout import line_of


@pytest.fixture
def rows(tmp_path):
    documents(tmp_path)
    (tmp_path / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    manifest = read_manifest(tmp_path / "manifest.yaml")
    return parse(manifest.sources, manifest)


def test_three_documents_give_four_versions_named_from_the_manifest(rows):
    got = [(v["id"], v["label"], v["date"], v["column_label"], v["document_id"]) for v in rows["versions"]]
    assert got == [
        (1, "当初版", "2020-03-31", "変更前", 1),
        (2, "一回目の改訂", "2021-03-31", "変更後", 1),
        (3, "二回目の改訂", "2022-03-31", "変更後", 2),
        (4, "三回目の改訂", None, "変更後", 3),
    ]
    assert [(d["id"], d["from_version_id"], d["to_version_id"]) for d in rows["documents"]] == [
        (1, 1, 2),
        (2, 2, 3),
        (3, 3, 4),
    ]
    # pages are counted per document
    assert [(p["document_id"], p["page_no"]) for p in rows["source_pages"]] == [(1, 1), (2, 1), (3, 1)]


def test_changes_are_per_revision_with_their_document_and_reason(rows):
    got = sorted(
        (c["from_version_id"], c["to_version_id"], c["document_id"], c["change_type"], c["reason"])
        for c in rows["changes"]
        if c["parent_id"] is None
    )
    assert got == [
        (1, 2, 1, "kpi_modified", "・指標の見直し"),
        (1, 2, 1, "project_replaced", "・指標の見直し"),
        (2, 3, 2, "kpi_modified", "・事業の見直し"),
        (2, 3, 2, "project_removed", "・事業の見直し"),
        (3, 4, 3, "kpi_modified", "・数値目標の見直し"),
    ]
    kpis = {k["id"]: k for k in rows["kpis"]}
    for c in rows["changes"]:
        if c["element_table"] == "kpis" and c["before_id"] and c["after_id"]:
            before, after = kpis[c["before_id"]], kpis[c["after_id"]]
            assert (before["version_id"], after["version_id"]) == (c["from_version_id"], c["to_version_id"])
            assert after["previous_id"] == before["id"]


def test_a_target_changed_twice_is_one_indicator_with_its_history(rows):
    history = [k for k in rows["kpis"] if k["name"] == "一時預かりを利用した延べ児童数"]
    assert [(k["version_id"], k["target_text"], k["document_id"]) for k in history] == [
        (1, "１５０人", 1),
        (2, "１６０人", 1),
        (3, "１７０人", 2),
        (4, "１７０人", 3),
    ]
    assert len({k["indicator_id"] for k in history}) == 1
    (indicator,) = [i for i in rows["indicators"] if i["id"] == history[0]["indicator_id"]]
    assert (indicator["first_version_id"], indicator["last_version_id"]) == (1, 4)
    assert (indicator["added_change_id"], indicator["removed_change_id"]) == (None, None)
    # each step names the change that made it, and the change its reason
    changes = {c["id"]: c for c in rows["changes"]}
    steps = [changes[k["change_id"]]["reason"] if k["change_id"] else None for k in history]
    assert steps == [None, "・指標の見直し", "・事業の見直し", None]
    compared = [
        (r["from_version_id"], r["to_version_id"], r["status"])
        for r in rows["kpi_comparison"]
        if r["name"] == "一時預かりを利用した延べ児童数"
    ]
    assert compared == [(1, 2, "target_raised"), (2, 3, "target_raised"), (3, 4, "unchanged")]


def test_a_project_renamed_then_removed_keeps_one_lineage(rows):
    line = [p for p in rows["project_lineage"] if "窓口事業" in p["name"]]
    assert len(line) == 1
    (line,) = line
    assert line["names"] == "みどりの窓口事業 → あおぞら窓口事業"
    assert (line["first_version_id"], line["last_version_id"]) == (1, 2)
    changes = {c["id"]: c for c in rows["changes"]}
    assert changes[line["removed_change_id"]]["change_type"] == "project_removed"
    assert changes[line["removed_change_id"]]["from_version_id"] == 2
    projects = [p for p in rows["projects"] if p["lineage_id"] == line["id"]]
    assert [(p["version_id"], p["name"], p["document_id"]) for p in projects] == [
        (1, "みどりの窓口事業", 1),
        (2, "あおぞら窓口事業", 1),  # document 2's 変更前 shows it too: one row, read from document 1
    ]
    assert changes[projects[1]["change_id"]]["change_type"] == "project_replaced"
    # its indicator ends with it
    (kpi_line,) = [i for i in rows["indicators"] if i["name"] == "相談件数"]
    assert (kpi_line["last_version_id"], changes[kpi_line["removed_change_id"]]["change_type"]) == (2, "kpi_removed")


def test_a_part_omitted_in_the_first_document_is_known_from_the_second(rows):
    omitted = {(o["version_id"], o["scope"], o["document_id"]) for o in rows["omissions"]}
    # document 1 shows neither ① nor ②; version 2 is also document 2's 変更前, which shows them
    assert (1, "①公園の整備～②広場の活用", 1) in omitted
    assert not any(v != 1 and "公園" in s for v, s, _ in omitted)
    shown = [(m["version_id"], m["title"], m["document_id"]) for m in rows["measures"] if m["title"] == "公園の整備"]
    assert shown == [(2, "公園の整備", 2), (3, "公園の整備", 2), (4, "公園の整備", 3)]
    texts = [(t["version_id"], t["text"]) for t in rows["texts"] if "広場" in t["text"]]
    assert [v for v, _ in texts] == [2, 3, 4]
    # the sub-measures of version 2 stand under version 2's （１）, read from document 1
    measures = {m["id"]: m for m in rows["measures"]}
    park = next(m for m in rows["measures"] if m["title"] == "公園の整備" and m["version_id"] == 2)
    assert (measures[park["parent_id"]]["version_id"], measures[park["parent_id"]]["document_id"]) == (2, 1)


def test_every_row_points_to_rows_of_its_own_version(rows):
    for table, ref, target in [
        ("kpis", "project_id", "projects"),
        ("projects", "measure_id", "measures"),
        ("texts", "measure_id", "measures"),
        ("measures", "parent_id", "measures"),
        ("kpis", "previous_id", "kpis"),
    ]:
        by_id = {r["id"]: r for r in rows[target]}
        for r in rows[table]:
            if r[ref] is not None:
                delta = 1 if ref == "previous_id" else 0
                assert by_id[r[ref]]["version_id"] == r["version_id"] - delta, (table, ref, r)


def test_a_contradiction_between_two_documents_names_both_files_and_lines(tmp_path):
    paths = documents(tmp_path, contradiction=True)
    with pytest.raises(SourceError) as err:
        parse(paths)
    text3 = paths[2].read_text(encoding="utf-8")
    text2 = paths[1].read_text(encoding="utf-8")
    # the indicator's first line in document 3's 変更前, and in document 2's 変更後 (its second occurrence)
    assert err.value.path == paths[2]
    assert err.value.line == line_of(text3, "保育士の研修受講率")
    assert f"{paths[1]}:{line_of(text2, '保育士の研修受講率', 2)}" in str(err.value)
    assert "食い違います" in str(err.value)


def test_whitespace_from_the_pdf_is_no_contradiction(tmp_path):
    paths = documents(tmp_path)
    text = paths[2].read_text(encoding="utf-8")
    at = line_of(text, "・保育所で一時的に児童を預かり")
    lines = text.split("\n")
    lines[at - 1] = lines[at - 1].replace("児童を預かり", "児童を 預かり")
    paths[2].write_text("\n".join(lines), encoding="utf-8")
    assert [v["id"] for v in parse(paths)["versions"]] == [1, 2, 3, 4]


def test_building_the_chain_twice_gives_the_same_rows(tmp_path):
    paths = documents(tmp_path)
    assert parse(paths) == parse(paths)
