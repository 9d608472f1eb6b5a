"""The whole pipeline: source document → plan model → changes → SQLite and data package.

Everything is first written to temporary files beside the targets; only a
build that finished replaces the database and the package files, so a failed
build leaves the last good ones in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .changes import compare, place_reasons
from .downloads import write_downloads
from .export import export_package
from .load import write_database
from .plan import parse_plan
from .records import build_records
from .schema import package_meta
from .source import read_source


DOWNLOADS = "downloads"


@dataclass
class BuildResult:
    db: Path
    package: Path
    downloads: Path
    counts: dict[str, int]


def downloads_dir(db: Path) -> Path:
    """Where the download files of a database live: a link beside it to the current build's folder."""
    return Path(db).parent / DOWNLOADS


def parse(source: Path) -> dict[str, list[dict]]:
    """Read the source and return the rows of every table (raises SourceError on bad input)."""
    document = read_source(source)
    plans = {1: parse_plan(document.column("before"), "before", source), 2: parse_plan(document.column("after"), "after", source)}
    comparison = compare(plans[1], plans[2])
    changes = place_reasons(comparison.changes, document, source)
    return build_records(document, plans, comparison, changes)


def build(source: Path, db: Path, package: Path) -> BuildResult:
    """Build the database and the data package from `source`, replacing them only on success."""
    source, db, package = Path(source), Path(db), Path(package)
    rows = parse(source)
    db.parent.mkdir(parents=True, exist_ok=True)
    package.mkdir(parents=True, exist_ok=True)
    source_rel = package_meta()["source"]["path"]
    with tempfile.TemporaryDirectory(prefix=".build-", dir=db.parent) as db_tmp, \
            tempfile.TemporaryDirectory(prefix=".build-", dir=package) as pkg_tmp:
        staged_db = Path(db_tmp) / db.name
        write_database(rows, staged_db)
        staged_pkg = Path(pkg_tmp)
        staged_source = staged_pkg / source_rel
        staged_source.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, staged_source)
        files = export_package(staged_db, staged_pkg)
        staged_downloads = Path(tempfile.mkdtemp(prefix=".downloads-", dir=db.parent))
        staged_downloads.chmod(0o755)
        try:
            write_downloads(staged_db, staged_pkg, staged_downloads)
        except BaseException:
            shutil.rmtree(staged_downloads, ignore_errors=True)
            raise
        # the package first (descriptor last), then the database the server reads
        final_source = package / source_rel
        if not final_source.exists() or not _same_bytes(final_source, staged_source):
            final_source.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged_source, final_source)
        for f in files:
            target = package / f.relative_to(staged_pkg)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
        _switch_link(downloads_dir(db), staged_downloads)
        os.replace(staged_db, db)
    return BuildResult(db=db, package=package, downloads=downloads_dir(db), counts={k: len(v) for k, v in rows.items()})


def _switch_link(link: Path, target: Path) -> None:
    """Point `link` at `target` in one step, then remove the folders of earlier builds."""
    tmp = link.parent / f".{link.name}-link-{target.name}"
    os.symlink(target.name, tmp)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp, link)
    for old in link.parent.glob(".downloads-*"):
        if old.is_dir() and old.name != target.name:
            shutil.rmtree(old, ignore_errors=True)


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
