"""The whole pipeline: source document → plan model → changes → SQLite and data package.

Everything is first written to a staging folder; only a build that finished
is published, so a failed build leaves the last good one in place.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
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
BUILDS = ".builds"
CURRENT = "current"
#: finished builds kept on disk: the current one and the one before (for requests still reading it)
KEEP_BUILDS = 2


@dataclass
class BuildResult:
    db: Path
    package: Path
    downloads: Path
    build_dir: Path
    counts: dict[str, int]


def downloads_dir(db: Path) -> Path:
    """Where the download files of a database are: a link beside it into the current build."""
    return Path(db).parent / DOWNLOADS


def parse(source: Path) -> dict[str, list[dict]]:
    """Read the source and return the rows of every table (raises SourceError on bad input)."""
    document = read_source(source)
    plans = {
        1: parse_plan(document.column("before"), "before", source),
        2: parse_plan(document.column("after"), "after", source),
    }
    comparison = compare(plans[1], plans[2])
    changes = place_reasons(comparison.changes, document, source)
    return build_records(document, plans, comparison, changes)


def build(source: Path, db: Path, package: Path) -> BuildResult:
    """Build the database, the downloads and the data package from `source`; publish them only on success.

    The served files live in db/.builds/<id>/ and are published by replacing
    one link, db/current, in a single step; db/strategy.db and db/downloads
    point through it.  A build that fails at any stage leaves the previous
    build served and the package as it was.
    """
    source, db, package = Path(source), Path(db), Path(package)
    rows = parse(source)
    builds = db.parent / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    package.mkdir(parents=True, exist_ok=True)
    source_rel = package_meta()["source"]["path"]
    now = time.time_ns()
    build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-" + secrets.token_hex(2)
    staging = builds / f".staging-{build_id}"
    staging.mkdir()
    try:
        with tempfile.TemporaryDirectory(prefix=".build-", dir=package) as pkg_tmp:
            staged_db = staging / db.name
            write_database(rows, staged_db)
            staged_pkg = Path(pkg_tmp)
            staged_source = staged_pkg / source_rel
            staged_source.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staged_source)
            files = export_package(staged_db, staged_pkg)
            write_downloads(staged_db, staged_pkg, staging / DOWNLOADS)
            staging.chmod(0o755)
            final = builds / build_id
            os.rename(staging, final)
            # the package in the project tree (descriptor last) ...
            final_source = package / source_rel
            if not final_source.exists() or not _same_bytes(final_source, staged_source):
                final_source.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_source, final_source)
            for f in files:
                target = package / f.relative_to(staged_pkg)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # ... then what the server reads, in one step
    _link(db.parent / CURRENT, Path(BUILDS) / build_id)
    _link(db, Path(CURRENT) / db.name)
    _link(downloads_dir(db), Path(CURRENT) / DOWNLOADS)
    _prune(builds, keep=build_id)
    return BuildResult(
        db=db,
        package=package,
        downloads=downloads_dir(db),
        build_dir=builds / build_id,
        counts={k: len(v) for k, v in rows.items()},
    )


def _link(link: Path, target: Path) -> None:
    """Make `link` a symbolic link to `target` (relative), replacing what was there in one step."""
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    tmp = link.parent / f".{link.name}.link-{secrets.token_hex(4)}"
    os.symlink(target, tmp)
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp, link)


def _prune(builds: Path, keep: str) -> None:
    """Remove finished builds older than the last KEEP_BUILDS, and staging folders of builds that died."""
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in builds.glob(".staging-*"):
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
