"""The build as a user runs it: the CLI, a valid and reproducible package, failed builds that change nothing."""

import fcntl
import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
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
    for res in package.resources:
        path = built.package / res.path
        assert res.hash == "sha256:" + digest(path)
        assert res.bytes == path.stat().st_size
        for field in res.schema.fields:
            assert field.title and field.description, (res.name, field.name)
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
        csv.read_text(encoding="utf-8").replace(
            "012262,2,北海道砂川市,1,1,1,1,", "012262,2,北海道砂川市,1,1,1,999,", 1
        ),
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
    if kind == "NUL in a reason":
        return text.replace("新規事業の追加", "新規事業の\x00追加", 1), "新規事業の\x00追加"
    raise ValueError(kind)


def finished_builds(db: Path) -> list[str]:
    """The build folders in db/.builds/ (not the lock file, nor the build history)."""
    return sorted(p.name for p in (db.parent / ".builds").iterdir() if p.name not in (".lock", ".history.json"))


@pytest.mark.parametrize("kind", ["truncated", "unknown era", "unknown unit", "bad value line", "NUL in a reason"])
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
    assert not list(package.glob(".build-*")) and not list(root.glob(".datapackage.*"))
    assert finished_builds(db) == [os.readlink(db.parent / "current").split("/")[-1]]


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
            str(tmp_path / "strategy.db"),
            "--package",
            str(tmp_path / "pkg"),
        ],
    )
    assert result.exit_code == 1
    assert "none.txt" in result.output and "読めません" in result.output


def table_rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {t.name: conn.execute(f'select * from "{t.name}" order by rowid').fetchall() for t in tables()}
    finally:
        conn.close()


def test_a_source_saved_with_a_byte_order_mark_gives_the_same_rows(built, tmp_path):
    """Editors on Windows save UTF-8 with a BOM; the data must not change because of it."""
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + paths.SOURCE.read_bytes())
    db = tmp_path / "db" / "strategy.db"
    result = CliRunner().invoke(
        main, ["build", "--source", str(bom), "--db", str(db), "--package", str(tmp_path / "datapackage")]
    )
    assert result.exit_code == 0, result.output
    rows = table_rows(db)
    assert rows == table_rows(built.db)
    assert all(rows.values())


# -- files that cannot be written: real failures of the operating system, no mocks ----------


def portal_build(*args: str, fsize_limit: int | None = None) -> subprocess.CompletedProcess:
    """`python -m portal.cli build …` in a child process, optionally with files limited to `fsize_limit` bytes.

    RLIMIT_FSIZE is how a full disk is made without a small file system:
    a write past the limit fails with EFBIG ("File too large") once SIGXFSZ,
    which would kill the process, is ignored.
    """

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))

    return subprocess.run(
        [sys.executable, "-m", "portal.cli", "build", *args],
        capture_output=True,
        text=True,
        preexec_fn=limit if fsize_limit is not None else None,
        timeout=120,
    )


def assert_clean_failure(result: subprocess.CompletedProcess, where: Path, reason: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"エラー: {where}: 書き込めません（{reason}"), result.stderr
    assert "変更していません" in result.stderr


def leftovers(root: Path) -> list[Path]:
    """Staging folders, old packages and half-made links that a build may leave in a project tree."""
    return [
        *root.glob(".datapackage.*"),
        *root.glob("datapackage/.build-*"),
        *root.glob("db/.builds/.staging-*"),
        *root.glob("db/.*.link-*"),
    ]


def test_a_database_folder_below_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    db = tmp_path / "file" / "db" / "strategy.db"
    result = portal_build("--source", str(paths.SOURCE), "--db", str(db), "--package", str(tmp_path / "datapackage"))
    assert_clean_failure(result, db.parent, "Not a directory")
    assert not (tmp_path / "datapackage").exists()


def test_a_package_folder_below_a_file_is_a_clear_error_and_changes_nothing(project):
    root, db, package = project
    before = (digest(db), tree_digest(package))
    (root / "file").write_text("not a folder", encoding="utf-8")
    result = portal_build("--source", str(paths.SOURCE), "--db", str(db), "--package", str(root / "file" / "pkg"))
    assert_clean_failure(result, root / "file" / "pkg", "Not a directory")
    assert (digest(db), tree_digest(package)) == before
    assert finished_builds(db) == [os.readlink(db.parent / "current").split("/")[-1]]
    assert leftovers(root) == []


@pytest.mark.parametrize("limit_kib", [0, 256])
def test_a_full_disk_is_a_clear_error_and_changes_nothing(project, limit_kib):
    """0 KiB: not one byte can be written; 256 KiB: the database (about 600 KiB) fails half-way."""
    root, db, package = project
    before = (digest(db), tree_digest(package), sorted(p.name for p in (db.parent / "downloads").iterdir()))
    result = portal_build(
        "--source", str(paths.SOURCE), "--db", str(db), "--package", str(package), fsize_limit=limit_kib * 1024
    )
    assert_clean_failure(result, db.parent, "")
    assert "（SQLite: disk I/O error）" in result.stderr
    assert (digest(db), tree_digest(package), sorted(p.name for p in (db.parent / "downloads").iterdir())) == before
    assert leftovers(root) == []
    assert len(finished_builds(db)) == 1


def test_an_unreadable_source_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    source = tmp_path / "file" / "source.txt"
    result = portal_build(
        "--source", str(source), "--db", str(tmp_path / "db" / "strategy.db"), "--package", str(tmp_path / "pkg")
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"エラー: {source}: 読めません（Not a directory）"), result.stderr


# -- publishing the package -------------------------------------------------------------------


def test_files_of_others_in_the_package_survive_and_leftovers_are_cleared(project):
    """Leftovers of killed builds (of this version and of earlier ones) go at the next build; other files stay."""
    root, db, package = project
    (package / "README.md").write_text("この資料について", encoding="utf-8")
    junk = [
        root / ".datapackage.staging-20260101T000000.000000000-dead",
        root / ".datapackage.old-20260101T000000.000000000-dead",
        package / ".build-abc123",
        db.parent / ".builds" / ".staging-20260101T000000.000000000-dead",
        db.parent / ".builds" / "29991231T000000.000000000-beef",  # finished, never published
    ]
    for folder in junk:
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "kpis.csv").write_text("half,written", encoding="utf-8")
    (db.parent / ".current.link-0a0b0c0d").symlink_to(".builds/nowhere")
    served = os.readlink(db.parent / "current")
    result = CliRunner().invoke(
        main, ["build", "--source", str(paths.SOURCE), "--db", str(db), "--package", str(package)]
    )
    assert result.exit_code == 0, result.output
    assert [p for p in junk if p.exists()] == [] and leftovers(root) == []
    assert (package / "README.md").read_text(encoding="utf-8") == "この資料について"
    assert finished_builds(db) == sorted([served.split("/")[-1], os.readlink(db.parent / "current").split("/")[-1]])
    assert validate(package / "datapackage.json").valid


def test_without_an_atomic_exchange_the_package_is_still_replaced_whole(project, monkeypatch):
    """Where renameat2(RENAME_EXCHANGE) is missing the package is swapped with two renames."""
    from portal.pipeline import build as build_module

    root, db, package = project
    monkeypatch.setattr(build_module, "_renameat2", None)
    changed = root / "changed.txt"
    changed.write_text(paths.SOURCE.read_text(encoding="utf-8").replace("22品   50品", "22品   60品"), encoding="utf-8")
    build_module.build(changed, db, package)
    assert "60品" in (package / "data" / "kpis.csv").read_text(encoding="utf-8")
    assert validate(package / "datapackage.json").valid
    assert leftovers(root) == []


def test_a_package_swap_cut_off_half_way_is_rolled_back_by_the_next_build(project):
    """Killed between the two renames of the fallback: no datapackage/, the old one aside, the new one staged.

    The next build puts the old package back before it reads anything, because the
    source it is asked to build from usually lives inside the package (sources/).
    """
    root, db, package = project
    (package / "README.md").write_text("この資料について", encoding="utf-8")
    before = tree_digest(package)
    package.rename(root / ".datapackage.old-20260101T000000.000000000-dead")
    shutil.copytree(root / ".datapackage.old-20260101T000000.000000000-dead", root / ".datapackage.staging-x")
    (root / ".datapackage.staging-x" / "data" / "kpis.csv").write_text("half", encoding="utf-8")
    source = package / "sources" / paths.SOURCE_NAME
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--db", str(db), "--package", str(package)])
    assert result.exit_code == 0, result.output
    assert tree_digest(package) == before
    assert leftovers(root) == []


def _waits_on_lock(pid: int, inode: int) -> bool:
    """Whether process `pid` is blocked waiting for a flock on the file with this inode."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and str(pid) in fields and any(f.endswith(f":{inode}") for f in fields):
            return True
    return False


def test_two_builds_do_not_interleave(project):
    """A build waits for the lock that another build holds, and writes nothing meanwhile."""
    root, db, package = project
    served = os.readlink(db.parent / "current")
    with (db.parent / ".builds" / ".lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "build"]
            + ["--source", str(paths.SOURCE), "--db", str(db), "--package", str(package)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # wait for the build to queue on the lock (the kernel lists a blocked flock in /proc/locks with "->")
            inode = os.fstat(held.fileno()).st_ino
            deadline = time.monotonic() + 60
            while not _waits_on_lock(proc.pid, inode) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert proc.poll() is None
            assert leftovers(root) == [] and os.readlink(db.parent / "current") == served
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err.startswith("ほかのビルドが終わるのを待っています"), err
    assert os.readlink(db.parent / "current") != served


@pytest.mark.parametrize("command", ["build", "serve"])
def test_a_database_not_named_strategy_db_is_refused_at_once(tmp_path, command):
    result = CliRunner().invoke(main, [command, "--db", str(tmp_path / "chain.db")])
    assert result.exit_code == 2
    assert "ファイル名は strategy.db にしてください" in result.output
    assert not (tmp_path / "chain.db").exists()
