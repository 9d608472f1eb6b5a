"""The whole pipeline: source document → plan model → changes → SQLite and data package.

Everything is first written to staging folders; only a build that finished
is published, so a failed build leaves the last good one in place:

* the database and the downloads go to db/.builds/<id>/, published by
  replacing one link, db/current (db/strategy.db and db/downloads point
  through it);
* the data package goes to a hidden sibling of datapackage/
  (.datapackage.staging-<id>), which then takes datapackage/'s place in one
  step.

One build at a time: a lock file in db/.builds/ serialises them, and the build
holding it first removes what killed builds left behind.  The build history
(db/.builds/.history.json, history.py) keeps when each change was first
published, for the feed's dates.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import paths
from . import history
from .chain import read_chain
from .downloads import write_downloads
from .errors import BuildError, io_message, is_io_error
from .export import export_package
from .load import write_database
from .manifest import Manifest, manifest_for
from .records import build_records

DOWNLOADS = "downloads"
#: the folder of a build where `render` writes the prebuilt pages
SITE = "site"
BUILDS = ".builds"
CURRENT = "current"
LOCK = ".lock"
#: finished builds kept on disk: the current one and the one before (for requests still reading it)
KEEP_BUILDS = 2

WRITE = "書き込めません"


@dataclass
class BuildResult:
    db: Path
    package: Path
    downloads: Path
    build_dir: Path
    counts: dict[str, int]
    #: what `render` reported of the pages it rendered (None: the build has no prebuilt pages)
    site: dict | None = None


def downloads_dir(db: Path) -> Path:
    """Where the download files of a database are: a link beside it into the current build."""
    return Path(db).parent / DOWNLOADS


def parse(sources: Path | list[Path], manifest: Manifest | None = None) -> dict[str, list[dict]]:
    """Read the sources (one 新旧対照表, or a chain, oldest first) and return the rows of every table.

    Raises SourceError on bad input.  What is known of the documents and
    their versions comes from the manifest (datapackage/sources/manifest.yaml
    unless another is given).
    """
    sources = [Path(sources)] if isinstance(sources, str | Path) else [Path(s) for s in sources]
    manifest = manifest or manifest_for(sources, paths.MANIFEST)
    return build_records(manifest, read_chain(sources))


def package_staging(package: Path, build_id: str) -> Path:
    """The folder a build writes the new package into: hidden, beside the package, on the same file system."""
    return package.parent / f".{package.name}.staging-{build_id}"


def package_aside(package: Path, build_id: str) -> Path:
    """Where the previous package waits, after the swap, until it is removed."""
    return package.parent / f".{package.name}.old-{build_id}"


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
    with _io(db.parent, WRITE):
        builds.mkdir(parents=True, exist_ok=True)
    with _locked(builds, on_wait):
        with _io(package.parent, WRITE):
            _clean_package_side(package)
        with _io(db.parent, WRITE):
            _clean_database_side(db)
        return _build_locked(source, db, package, builds, render)


def _build_locked(
    source: Path | list[Path] | None, db: Path, package: Path, builds: Path, render: Callable[[Path, Path], dict] | None
) -> BuildResult:
    sources = None if source is None else [Path(source)] if isinstance(source, str | Path) else list(source)
    manifest = manifest_for(sources, paths.MANIFEST)
    rows = parse(manifest.sources, manifest)
    now = time.time_ns()
    built_at = datetime.fromtimestamp(now // 10**9, UTC)
    # when each change was first published: the history of earlier builds, else this build
    known = history.read(builds)
    stamp = built_at.isoformat(timespec="seconds")
    build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-" + secrets.token_hex(2)
    staging = builds / f".staging-{build_id}"
    final = builds / build_id
    pkg_new = package_staging(package, build_id)
    pkg_old = package_aside(package, build_id)
    current = db.parent / CURRENT
    previous = os.readlink(current) if current.is_symlink() else None
    old_package: Path | None = None
    swapped = False
    try:
        with _io(db.parent, WRITE):
            staging.mkdir()
            staged_db = staging / db.name
            write_database(rows, staged_db)
        with _io(package, WRITE):
            # the new package starts as a copy of the current one, so that files the build does not write survive
            if package.is_dir():
                shutil.copytree(package, pkg_new, symlinks=True, ignore=shutil.ignore_patterns(".build-*"))
            pkg_new.mkdir(exist_ok=True)
            for info in manifest.documents:
                staged_source = pkg_new / info.package_path
                if not staged_source.is_file() or not _same_bytes(info.path, staged_source):
                    staged_source.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(info.path, staged_source)
            # the manifest travels with the documents it describes
            staged_manifest = staged_source.parent / paths.MANIFEST.name
            if paths.MANIFEST.is_file() and (
                not staged_manifest.is_file() or not _same_bytes(paths.MANIFEST, staged_manifest)
            ):
                shutil.copyfile(paths.MANIFEST, staged_manifest)
            export_package(staged_db, pkg_new, manifest)
        with _io(db.parent, WRITE):
            write_downloads(
                staged_db,
                pkg_new,
                staging / DOWNLOADS,
                built_at=built_at,
                first_published=history.first_published(rows, known, stamp),
            )
            site = render(staged_db, staging / SITE) if render is not None else None
            staging.chmod(0o755)
            os.rename(staging, final)
        # publish: the package in one step ...
        with _io(package, WRITE):
            old_package = _swap_in(pkg_new, package, pkg_old)
        swapped = True
        # ... then what the server reads, in one step
        with _io(db.parent, WRITE):
            _link(current, Path(BUILDS) / build_id)
            _link(db, Path(CURRENT) / db.name)
            _link(downloads_dir(db), Path(CURRENT) / DOWNLOADS)
    except BaseException:
        try:
            if swapped:
                _undo(current, previous, package, old_package, pkg_new)
        finally:
            for leftover in (staging, pkg_new, pkg_old):
                shutil.rmtree(leftover, ignore_errors=True)
            if _published(db) != build_id:
                shutil.rmtree(final, ignore_errors=True)
        raise
    if old_package is not None:
        shutil.rmtree(old_package, ignore_errors=True)
    _prune(builds, keep=build_id)
    # the build is published; a history that cannot be written only costs the next build these dates
    with contextlib.suppress(OSError):
        history.record(builds, rows, known, stamp)
    return BuildResult(
        db=db,
        package=package,
        downloads=downloads_dir(db),
        build_dir=final,
        counts={k: len(v) for k, v in rows.items()},
        site=site,
    )


def _undo(current: Path, previous: str | None, package: Path, old_package: Path | None, pkg_new: Path) -> None:
    """Take back a publication that could not finish: the previous package and database, as they were.

    Each half is tried even if the other fails.  The new package ends up at
    `pkg_new`, to be removed with the other staging folders.
    """
    with contextlib.suppress(OSError):
        if old_package is None:
            os.rename(package, pkg_new)  # there was no package before
        elif old_package == pkg_new:
            _exchange(pkg_new, package)
        else:
            _swap_in(old_package, package, pkg_new)
    with contextlib.suppress(OSError):
        if previous is not None:
            _link(current, Path(previous))
        elif current.is_symlink():
            current.unlink()  # the first build: nothing was served before


@contextlib.contextmanager
def _io(where: Path, verb: str) -> Iterator[None]:
    """Turn a failure of the disk or file system into a BuildError that names `where` and the OS's reason."""
    try:
        yield
    except BuildError:
        raise
    except Exception as exc:
        if is_io_error(exc):
            raise BuildError(io_message(where, verb, exc)) from exc
        raise


@contextlib.contextmanager
def _locked(builds: Path, on_wait: Callable[[], None] | None) -> Iterator[None]:
    """Hold the build lock (db/.builds/.lock): a second build waits until the first has finished.

    flock is released by the kernel when the process ends, so a killed build
    never leaves the lock taken.
    """
    path = builds / LOCK
    with _io(builds, WRITE):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _clean_package_side(package: Path) -> None:
    """Remove what killed builds left beside and in the package; called under the lock.

    A swap cut off between its two renames (only where the file system
    cannot exchange, see _swap_in) left no package folder: the previous
    package is put back, as it matches the database still served.  Then the
    staging folders, the old packages set aside, and the datapackage/.build-*
    folders of earlier versions of this program go.
    """
    parent = package.parent
    if not package.exists():
        aside = sorted(parent.glob(f".{package.name}.old-*"))
        if aside:
            os.rename(aside[-1], package)
    for path in [
        *parent.glob(f".{package.name}.staging-*"),
        *parent.glob(f".{package.name}.old-*"),
        *package.glob(".build-*"),
    ]:
        _remove(path)


def _clean_database_side(db: Path) -> None:
    """Remove staging folders, half-made links and finished builds that were never published (newer than db/current)."""
    builds = db.parent / BUILDS
    published = _published(db) or ""
    for path in builds.iterdir():
        if path.is_dir() and (
            path.name.startswith(".staging-") or (not path.name.startswith(".") and path.name > published)
        ):
            _remove(path)
    for link in db.parent.glob(".*.link-*"):
        _remove(link)


def _remove(path: Path) -> None:
    """Remove a folder with its contents, or a file or link."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


# Why by hand: datapackage/ is a folder kept in git, so it cannot become a
# link like db/current, and os.replace/os.rename cannot put a folder where a
# non-empty folder is (ENOTEMPTY).  The standard way to swap two folders in
# one step is Linux's renameat2(2) with RENAME_EXCHANGE (ext4 since 3.15,
# tmpfs and btrfs since 3.17, xfs since 4.0); Python's os module has no
# renameat2, so it is called from glibc (2.28+) through ctypes.  Checked on
# this project's machine: ext4 (/, /tmp) and tmpfs exchange two non-empty
# folders.
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _load_renameat2():
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not glibc, or glibc older than 2.28
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _load_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step; False if this system or file system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _published(db: Path) -> str | None:
    """The id of the build that db/current points to, if any."""
    current = db.parent / CURRENT
    return Path(os.readlink(current)).name if current.is_symlink() else None


def _swap_in(new: Path, target: Path, aside: Path) -> Path | None:
    """Put the folder `new` at `target`; return where the folder that was at `target` is now (None: there was none).

    With RENAME_EXCHANGE `target` is never missing and the old folder ends up
    at `new`.  Without it, the old folder is renamed to `aside` and the new
    one into place: two renames, with a moment in between that
    _clean_package_side repairs if the build is killed there.
    """
    if not target.exists():
        os.rename(new, target)
        return None
    if _exchange(new, target):
        return new
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


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
    """Remove finished builds older than the last KEEP_BUILDS."""
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
