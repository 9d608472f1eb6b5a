"""tables.yaml is checked when it is loaded, and every error names the key it is about.

Every surface reads its names, groups, count rules and display settings from
tables.yaml, so a slip there must stop the build and the server at once,
saying where, rather than show a wrong label or an empty list.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from portal.pipeline import schema
from portal.pipeline.tables_check import TablesError, check


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(schema.SCHEMA_FILE.read_text(encoding="utf-8"))


def resource(doc: dict, name: str) -> dict:
    return next(r for r in doc["resources"] if r["name"] == name)


def errors(doc: dict) -> str:
    with pytest.raises(TablesError) as caught:
        check(doc)
    return str(caught.value)


def test_the_real_file_passes(raw):
    check(raw)


def test_a_misspelt_column_in_a_display_setting_is_named_by_its_key(raw):
    doc = copy.deepcopy(raw)
    resource(doc, "kpis")["display"]["facets"].append("kindd")
    resource(doc, "changes")["display"]["reading"][0] = "goal"
    message = errors(doc)
    assert "resources[kpis].display.facets[5]: 「kindd」は表 kpis の列ではありません" in message
    assert "resources[changes].display.reading[0]: 「goal」は表 changes の列ではありません" in message


def test_a_change_type_in_no_group_or_two_is_refused(raw):
    doc = copy.deepcopy(raw)
    groups = doc["groups"]["changes.change_type"]["groups"]
    groups[0]["codes"].append("kpi_added")
    groups[-1]["codes"].remove("text_removed")
    message = errors(doc)
    assert "groups.changes.change_type: 二つのグループにあるコード：kpi_added" in message
    assert "groups.changes.change_type: どのグループにもないコード：text_removed" in message


def test_a_code_that_the_field_does_not_have_is_refused(raw):
    doc = copy.deepcopy(raw)
    doc["groups"]["kpi_comparison.status"]["groups"][0]["codes"].append("target_up")
    doc["counts"]["indicators"]["where"]["kpis"]["status"] = "yes"
    resource(doc, "kpis")["display"]["defaults"]["status"] = "maybe"
    message = errors(doc)
    assert (
        "groups.kpi_comparison.status.groups[values].codes: 「target_up」は kpi_comparison.status のコードではありません"
        in message
    )
    assert "counts.indicators.where.kpis.status: 「yes」は kpis.status のコードではありません" in message
    assert "resources[kpis].display.defaults.status: 「maybe」は status のコードではありません" in message


def test_the_shape_is_checked_with_the_key_of_each_error(raw):
    doc = copy.deepcopy(raw)
    doc["names"]["site"] = ""
    status = next(f for f in resource(doc, "kpi_comparison")["fields"] if f["name"] == "status")
    status["categories"][0]["tone"] = "loud"
    del doc["queries"]["kpi_flat"]["title"]
    message = errors(doc)
    assert "names.site: '' should be non-empty" in message
    assert "resources[kpi_comparison].fields[status].categories[target_raised].tone: 'loud' is not one of" in message
    assert "queries.kpi_flat: 'title' is a required property" in message


def test_yaml_words_that_read_as_other_values_are_caught(raw):
    """YAML 1.1 reads `on:` as true and `null:` as None; a key written so never silently vanishes."""
    doc = yaml.safe_load(
        schema.SCHEMA_FILE.read_text(encoding="utf-8").replace("match: {id: project_id}", "on: {id: project_id}")
    )
    assert "resources[kpis].display.search.related[0]: 'match' is a required property" in errors(doc)


def test_a_code_without_the_sentence_its_neighbours_have_is_refused(raw):
    doc = copy.deepcopy(raw)
    change_type = next(f for f in resource(doc, "changes")["fields"] if f["name"] == "change_type")
    del change_type["categories"][3]["sentence"]
    assert (
        "resources[changes].fields[change_type].categories: 「sentence」のないコードがあります：project_added"
        in errors(doc)
    )


def test_the_table_schema_part_is_read_by_frictionless(raw):
    doc = copy.deepcopy(raw)
    resource(doc, "units")["fields"][3]["constraints"] = {"required": True, "pattern": 7}
    assert "resources[units]:" in errors(doc)


def test_a_query_placeholder_must_name_what_tables_yaml_defines(raw):
    doc = copy.deepcopy(raw)
    doc["queries"]["kpi_flat"]["sql"] += (
        " {codes:changes.change_type:nope} {count:nobody:kpis:k} {labels:kpis.name:k.name}"
    )
    message = errors(doc)
    assert "queries.kpi_flat.sql: {codes:changes.change_type:nope} のグループは groups にありません" in message
    assert "queries.kpi_flat.sql: {count:nobody:kpis:k} は" in message
    assert "queries.kpi_flat.sql: {labels:kpis.name:k.name} は" in message


def test_loading_a_broken_file_stops_with_the_file_and_key(raw, tmp_path, monkeypatch):
    doc = copy.deepcopy(raw)
    resource(doc, "goals")["display"]["label_column"] = "heading"
    broken = tmp_path / "tables.yaml"
    broken.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(schema, "SCHEMA_FILE", broken)
    schema.load_schema.cache_clear()
    try:
        with pytest.raises(
            TablesError, match=r"tables.yaml に誤りがあります:\n  resources\[goals\]\.display\.label_column"
        ):
            schema.load_schema()
        broken.write_text("resources: [\n", encoding="utf-8")
        with pytest.raises(TablesError, match=r"tables.yaml:2: YAML として読めません"):
            schema.load_schema()
    finally:
        schema.load_schema.cache_clear()


def test_the_published_table_schema_keeps_only_value_and_label_of_each_code():
    """The portal's own keys (sentence, tone, …) stay out of datapackage.json."""
    fields = schema.table("changes").table_schema()["fields"]
    change_type = next(f for f in fields if f["name"] == "change_type")
    assert all(set(c) == {"value", "label"} for c in change_type["categories"])
    assert "display" not in schema.table("kpis").table_schema()
