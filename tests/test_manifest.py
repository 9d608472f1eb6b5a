"""The sources manifest: which documents the build reads, and what is known of them (nothing guessed)."""

import pytest

from portal import paths
from portal.pipeline.build import parse
from portal.pipeline.errors import SourceError
from portal.pipeline.manifest import manifest_for, read_manifest

from .layout import GOAL_HEAD, PROJECT_A, RELATED, document, page, write

MANIFEST = """\
municipality: {code: "012262", name: 北海道砂川市}
strategy: 第２期砂川市まち・ひと・しごと創生総合戦略
first_version:
  label: 当初版
  date:
documents:
  - file: doc.txt
    title: 試しの新旧対照表
    published: "2024-03-29"
    version:
      label: 改訂版
      description: 改訂した後の内容。
      date: "2024-04-01"
"""


def test_the_projects_manifest_lists_its_document_and_leaves_unknown_facts_empty():
    manifest = read_manifest(paths.MANIFEST)
    assert (manifest.municipality_code, manifest.municipality_name) == ("012262", "北海道砂川市")
    assert [d.path for d in manifest.documents] == [paths.SOURCE]
    assert manifest.documents[0].published is None
    assert [(v.column_label, v.date) for v in manifest.versions] == [("変更前", None), ("変更後", None)]


def test_versions_take_their_names_and_dates_from_the_manifest(tmp_path):
    body = GOAL_HEAD + PROJECT_A + RELATED
    source = write(tmp_path, document(page(body, body, [])))  # nothing changed, so no reason either
    (tmp_path / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    rows = parse(source, read_manifest(tmp_path / "manifest.yaml"))
    got = [(v["id"], v["label"], v["date"], v["source_title"], v["source_published"]) for v in rows["versions"]]
    assert got == [
        (1, "当初版", None, "試しの新旧対照表", "2024-03-29"),
        (2, "改訂版", "2024-04-01", "試しの新旧対照表", "2024-03-29"),
    ]
    assert {r["municipality_code"] for r in rows["kpis"]} == {"012262"}


def test_a_manifest_of_several_documents_gives_one_more_version_and_refuses_a_file_twice(tmp_path):
    second = MANIFEST.split("documents:\n")[1]
    path = tmp_path / "manifest.yaml"
    path.write_text(MANIFEST + second.replace("doc.txt", "doc2.txt").replace("改訂版", "再改訂版"), encoding="utf-8")
    manifest = read_manifest(path)
    assert [d.path.name for d in manifest.documents] == ["doc.txt", "doc2.txt"]
    assert [v.label for v in manifest.versions] == ["当初版", "改訂版", "再改訂版"]
    path.write_text(MANIFEST + second, encoding="utf-8")
    with pytest.raises(SourceError, match="同じ資料「doc.txt」が二度挙がっています") as err:
        read_manifest(path)
    assert str(err.value).startswith(str(path))


def test_a_manifest_without_its_parts_is_a_clear_error(tmp_path):
    path = tmp_path / "manifest.yaml"
    path.write_text("documents: []\n", encoding="utf-8")
    with pytest.raises(SourceError, match="項目が足りない"):
        read_manifest(path)
    path.write_text("documents: [\n", encoding="utf-8")
    with pytest.raises(SourceError, match="YAML として読めません"):
        read_manifest(path)


def test_a_one_off_build_without_a_manifest_names_versions_by_their_column(tmp_path):
    body = GOAL_HEAD + PROJECT_A + RELATED
    source = write(tmp_path, document(page(body, body, [])))
    manifest = manifest_for([source], tmp_path / "no-manifest.yaml")
    rows = parse(source, manifest)
    assert [(v["label"], v["column_label"], v["date"]) for v in rows["versions"]] == [
        ("変更前", "変更前", None),
        ("変更後", "変更後", None),
    ]
    # the project's own build never goes without its manifest
    with pytest.raises(SourceError, match="読めません"):
        manifest_for(None, tmp_path / "no-manifest.yaml")
