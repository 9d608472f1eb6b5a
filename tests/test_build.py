"""The build as a user runs it: the CLI, a valid and reproducible package, failed builds that change nothing."""

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from frictionless import Package, validate

from portal import paths
from portal.cli import main
from portal.pipeline.schema import tables

from .layout import line_of

COMMITTED = paths.PACKAGE_DIR


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): digest(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    """A project tree with a good build in it."""
    package = tmp_path / "datapackage"
    (package / "sources").mkdir(parents=True)
    shutil.copyfile(paths.SOURCE, package / "sources" / paths.SOURCE_NAME)
    db = tmp_path / "db" / "strategy.db"
    result = CliRunner().invoke(
        main, ["build", "--source", str(paths.SOURCE), "--db", str(db), "--package", str(package)]
    )
    assert result.exit_code == 0, result.output
    return tmp_path, db, package


def test_every_command_has_help():
    runner = CliRunner()
    out = runner.invoke(main, ["--help"]).output
    assert "build" in out
    out = runner.invoke(main, ["build", "--help"]).output
    for option in ("--source", "--db", "--package"):
        assert option in out
    assert "sunagawa-strategy2-revision-comparison-table.txt" in "".join(out.split())


def test_the_package_is_valid(built):
    report = validate(built.package / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_the_committed_package_is_valid_and_reproduced_byte_for_byte(built):
    report = validate(COMMITTED / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    fresh = tree_digest(built.package)
    committed = {k: v for k, v in tree_digest(COMMITTED).items() if not k.startswith(".")}
    assert fresh == committed


def test_the_source_copy_is_byte_identical():
    assert digest(paths.SOURCE) == "b2d9017dc766710c606e0c424c5ff4e7d6dd77164786092af3243cd4c3d84b7d"


def test_package_describes_every_table_with_hashes(built):
    package = Package(built.package / "datapackage.json")
    names = [r.name for r in package.resources]
    assert names == [t.name for t in tables()]
    for resource in package.resources:
        path = built.package / resource.path
        assert resource.hash == "sha256:" + digest(path)
        assert resource.bytes == path.stat().st_size
        for field in resource.schema.fields:
            assert field.title and field.description, (resource.name, field.name)
    descriptor = package.to_descriptor()
    assert descriptor["sources"][0]["publisher"] == "砂川市"
    assert descriptor["attribution"].startswith(
        "出典：砂川市「第２期砂川市まち・ひと・しごと創生総合戦略 計画変更 新旧対照表」を加工して作成"
    )
    assert "利用条件が記載されていません" in descriptor["licenseNote"]


def test_a_foreign_key_error_is_caught_by_validation(built, tmp_path):
    copy = tmp_path / "pkg"
    shutil.copytree(built.package, copy)
    csv = copy / "data" / "kpis.csv"
    csv.write_text(
        csv.read_text(encoding="utf-8").replace(",地域ブランド構築事業,", ",存在しない事業,", 1), encoding="utf-8"
    )
    report = validate(copy / "datapackage.json", skip_errors=["hash-count", "byte-count"])
    assert report.valid  # a project name is not a key: still valid
    csv.write_text(
        csv.read_text(encoding="utf-8").replace("012262,2,北海道砂川市,1,1,1,", "012262,2,北海道砂川市,1,1,999,", 1),
        encoding="utf-8",
    )
    report = validate(copy / "datapackage.json", skip_errors=["hash-count", "byte-count"])
    assert not report.valid
    assert "foreign-key" in {e[0] for e in report.flatten(["type"])}


def test_database_types_keys_and_indexes_follow_the_schema(built):
    conn = sqlite3.connect(built.db)
    cols = {r[1]: (r[2], r[3], r[5]) for r in conn.execute("pragma table_info(kpis)")}
    assert cols["id"] == ("INTEGER", 1, 1)
    assert cols["baseline_value"][0] == "NUMERIC"
    assert cols["municipality_code"][0] == "TEXT"
    fks = {(r[2], r[3], r[4]) for r in conn.execute("pragma foreign_key_list(kpis)")}
    assert ("projects", "project_id", "id") in fks and ("versions", "version_id", "id") in fks
    indexes = {r[1] for r in conn.execute("pragma index_list(kpis)")}
    assert any("project_id" in i for i in indexes)
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    assert conn.execute("select distinct municipality_code from kpis").fetchall() == [("012262",)]


def break_source(text: str, kind: str) -> tuple[str, str]:
    """A copy of the real document with one fault, and the text of the line the error must name."""
    lines = text.split("\n")
    if kind == "truncated":
        return "\n".join(lines[:1300]), "②子ども・子育て支援の充実"
    if kind == "unknown era":
        return text.replace("（令和２年） （令和７年）", "（天保２年） （令和７年）", 1), "（天保２年） （令和７年）"
    if kind == "unknown unit":
        return text.replace("102組    150組", "102頭    150頭", 1), "102頭    150頭"
    if kind == "bad value line":
        return text.replace("22品   50品", "22品 から 50品", 1), "22品 から 50品"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["truncated", "unknown era", "unknown unit", "bad value line"])
def test_bad_input_stops_the_build_naming_the_line_and_changes_nothing(project, kind):
    root, db, package = project
    before = (digest(db), tree_digest(package))
    broken, needle = break_source(paths.SOURCE.read_text(encoding="utf-8"), kind)
    bad = root / "broken.txt"
    bad.write_text(broken, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--source", str(bad), "--db", str(db), "--package", str(package)])
    assert result.exit_code == 1
    expected_line = line_of(broken, needle.strip()) if kind != "truncated" else line_of(broken, needle, 1)
    assert f"{bad}:{expected_line}: " in result.output
    assert "変更していません" in result.output
    assert (digest(db), tree_digest(package)) == before
    assert not list(package.glob(".build-*"))
    assert [p.name for p in (db.parent / ".builds").iterdir()] == [os.readlink(db.parent / "current").split("/")[-1]]


def test_a_reason_that_cannot_be_placed_stops_the_build(project):
    root, db, package = project
    text = paths.SOURCE.read_text(encoding="utf-8")
    # an extra reason on page 4, which has one change
    lines = text.split("\n")
    lines.insert(1004, "追加の理由")
    bad = root / "broken.txt"
    bad.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--source", str(bad), "--db", str(db), "--package", str(package)])
    assert result.exit_code == 1
    assert f"{bad}:1005: " in result.output
    assert "この理由を当てる変更がありません" in result.output


def test_missing_source_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--source",
            str(tmp_path / "none.txt"),
            "--db",
            str(tmp_path / "x.db"),
            "--package",
            str(tmp_path / "pkg"),
        ],
    )
    assert result.exit_code == 1
    assert "none.txt" in result.output and "読めません" in result.output
