"""The whole pipeline: the source documents → the plan model → changes → SQLite, the data package and downloads.

A build runs the stages of STAGES in order, each in its own module; the last
one publishes what the others wrote to staging folders (publish.py), so a
build that fails at any stage leaves the last good one served and the
package as it was.  The build history (db/.builds/.history.json,
history.py) keeps when each change was first published, for the feed's dates.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import paths
from ..paths import BUILDS, DOWNLOADS, SITE
from . import history
from .chain import read_chain
from .downloads import write_downloads
from .export import export_package
from .load import write_database
from .manifest import Manifest, manifest_for
from .publish import WRITE, Publication, clean, downloads_dir, io_errors, locked
from .records import build_records


@dataclass
class BuildResult:
    db: Path
    package: Path
    downloads: Path
    build_dir: Path
    counts: dict[str, int]
    #: what `render` reported of the pages it rendered (None: the build has no prebuilt pages)
    site: dict | None = None


def parse(sources: Path | list[Path], manifest: Manifest | None = None) -> dict[str, list[dict]]:
    """Read the sources (one 新旧対照表, or a chain, oldest first) and return the rows of every table.

    Raises SourceError on bad input.  What is known of the documents and
    their versions comes from the manifest (datapackage/sources/manifest.yaml
    unless another is given).
    """
    sources = [Path(sources)] if isinstance(sources, str | Path) else [Path(s) for s in sources]
    manifest = manifest or manifest_for(sources, paths.MANIFEST)
    return build_records(manifest, read_chain(sources))


@dataclass
class Run:
    """One build on its way through the stages: what each stage leaves for the next."""

    sources: list[Path] | None  #: None: the documents the sources manifest lists
    publication: Publication
    built_at: datetime
    #: when each change was first published, by the builds before this one (history.py)
    known: dict
    manifest: Manifest | None = None
    rows: dict[str, list[dict]] = field(default_factory=dict)
    #: renders the site's pages from the staged database into a folder (given by portal/cli.py), and what it made
    render: Callable[[Path, Path], dict] | None = None
    site: dict | None = None

    @property
    def staged_db(self) -> Path:
        return self.publication.staging / self.publication.db.name


@dataclass(frozen=True)
class Stage:
    name: str
    #: what the stage makes, and the modules that do it
    does: str
    run: Callable[[Run], None]


def _read(run: Run) -> None:
    run.manifest = manifest_for(run.sources, paths.MANIFEST)
    run.rows = parse(run.manifest.sources, run.manifest)


def _database(run: Run) -> None:
    with io_errors(run.publication.db.parent, WRITE):
        run.publication.staging.mkdir()
        write_database(run.rows, run.staged_db)


def _package(run: Run) -> None:
    p = run.publication
    with io_errors(p.package, WRITE):
        _stage_package(p.package, p.package_new, run.manifest)
        export_package(run.staged_db, p.package_new, run.manifest)


def _downloads(run: Run) -> None:
    p = run.publication
    with io_errors(p.db.parent, WRITE):
        write_downloads(
            run.staged_db,
            p.package_new,
            p.staging / DOWNLOADS,
            built_at=run.built_at,
            first_published=history.first_published(run.rows, run.known, _stamp(run)),
        )


def _pages(run: Run) -> None:
    p = run.publication
    if run.render is not None:
        run.site = run.render(run.staged_db, p.staging / SITE)
    p.seal()


def _publish(run: Run) -> None:
    run.publication.publish()


#: the pipeline, in order
STAGES: tuple[Stage, ...] = (
    Stage(
        "read",
        "the documents → pages and columns (source.py) → the plan of each version (plan.py, outline.py, grammars.py,"
        " values.py) → the changes and their reasons (changes.py, chain.py) → the rows of every table (records.py)",
        _read,
    ),
    Stage("database", "the rows → a new SQLite file with its search index (load.py)", _database),
    Stage("package", "the documents, the tables as CSV and datapackage.json → the data package (export.py)", _package),
    Stage(
        "downloads",
        "the files for people, the zip and the downloads' file index (downloads.py, people.py, workbook.py)",
        _downloads,
    ),
    Stage(
        "pages", "every page the site links to, with a gzip copy, rendered by the caller's `render` (site.py)", _pages
    ),
    Stage("publish", "the package, then the database and downloads, each in one step (publish.py)", _publish),
)


def build(
    source: Path | list[Path] | None,
    db: Path,
    package: Path,
    on_wait: Callable[[], None] | None = None,
    render: Callable[[Path, Path], dict] | None = None,
) -> BuildResult:
    """Build the database, the downloads and the data package from the sources; publish them only on success.

    The served files live in db/.builds/<id>/ and are published by replacing
    one link, db/current, in a single step; the package is written complete
    beside datapackage/ and swapped in with one rename.  A build that fails at
    any stage leaves the previous build served and the package as it was; a
    build that is killed leaves either the old or the new package, never a
    mix, and the next build clears what it left.

    `source` None builds the documents the sources manifest lists; a path
    (or a list of paths, oldest first) builds those files instead (a one-off
    build, see manifest_for).

    Raises SourceError for a bad or unreadable source and BuildError for a
    file that cannot be written (full disk, read-only or missing folder),
    both naming the place.  While another build runs, this one calls
    `on_wait` once and waits for it to finish.

    `render(database, folder)`, when given, renders the site's pages from the
    staged database (its downloads beside it) into the build's site/ folder,
    so they are published with it; what it returns is the result's `site`.
    The caller passes it (portal/cli.py): the pipeline knows nothing of the
    server that renders pages.
    """
    db, package = Path(db), Path(package)
    builds = db.parent / BUILDS
    with io_errors(db.parent, WRITE):
        builds.mkdir(parents=True, exist_ok=True)
    with locked(builds, on_wait):
        clean(db, package)
        return _build_locked(source, db, package, builds, render)


def _build_locked(
    source: Path | list[Path] | None, db: Path, package: Path, builds: Path, render: Callable[[Path, Path], dict] | None
) -> BuildResult:
    now = time.time_ns()
    build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-" + secrets.token_hex(2)
    run = Run(
        sources=None if source is None else [Path(source)] if isinstance(source, str | Path) else list(source),
        publication=Publication(db, package, build_id),
        built_at=datetime.fromtimestamp(now // 10**9, UTC),
        known=history.read(builds),
        render=render,
    )
    try:
        for stage in STAGES:
            stage.run(run)
    except BaseException:
        run.publication.abandon()
        raise
    run.publication.finish()
    # the build is published; a history that cannot be written only costs the next build these dates
    with contextlib.suppress(OSError):
        history.record(builds, run.rows, run.known, _stamp(run))
    return BuildResult(
        db=db,
        package=package,
        downloads=downloads_dir(db),
        build_dir=run.publication.final,
        counts={k: len(v) for k, v in run.rows.items()},
        site=run.site,
    )


def _stamp(run: Run) -> str:
    return run.built_at.isoformat(timespec="seconds")


def _stage_package(package: Path, staged: Path, manifest: Manifest) -> None:
    """The new package starts as a copy of the current one, so that files the build does not write survive;
    the documents and the sources manifest that describes them are put in it where they differ."""
    if package.is_dir():
        shutil.copytree(package, staged, symlinks=True, ignore=shutil.ignore_patterns(".build-*"))
    staged.mkdir(exist_ok=True)
    for info in manifest.documents:
        staged_source = staged / info.package_path
        if not staged_source.is_file() or not _same_bytes(info.path, staged_source):
            staged_source.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(info.path, staged_source)
    # the manifest travels with the documents it describes
    staged_manifest = staged_source.parent / paths.MANIFEST.name
    if paths.MANIFEST.is_file() and (not staged_manifest.is_file() or not _same_bytes(paths.MANIFEST, staged_manifest)):
        shutil.copyfile(paths.MANIFEST, staged_manifest)


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
