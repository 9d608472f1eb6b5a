"""Publishing a build: one at a time, from staging folders, each half in one step, or not at all.

Everything a build writes goes first to staging folders; only a build that
finished is published, so a failed build leaves the last good one in place:

* the database and the downloads go to db/.builds/<id>/, published by
  replacing one link, db/current (db/strategy.db and db/downloads point
  through it);
* the data package goes to a hidden sibling of datapackage/
  (.datapackage.staging-<id>), which then takes datapackage/'s place in one
  step.

One build at a time: a lock file in db/.builds/ serialises them, and the build
holding it first removes what killed builds left behind (clean).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..paths import BUILDS, CURRENT, DOWNLOADS, LOCK
from .errors import BuildError, io_message, is_io_error

#: finished builds kept on disk: the current one and the one before (for requests still reading it)
KEEP_BUILDS = 2

WRITE = "書き込めません"


def downloads_dir(db: Path) -> Path:
    """Where the download files of a database are: a link beside it into the current build."""
    return Path(db).parent / DOWNLOADS


def package_staging(package: Path, build_id: str) -> Path:
    """The folder a build writes the new package into: hidden, beside the package, on the same file system."""
    return package.parent / f".{package.name}.staging-{build_id}"


def package_aside(package: Path, build_id: str) -> Path:
    """Where the previous package waits, after the swap, until it is removed."""
    return package.parent / f".{package.name}.old-{build_id}"


@dataclass
class Publication:
    """One build on its way from its staging folders to being served, and how to take it back."""

    db: Path
    package: Path
    build_id: str
    #: where the package that was served waits after the swap (None: there was none)
    old_package: Path | None = None
    #: what db/current pointed to before (None: nothing was served)
    previous: str | None = None
    swapped: bool = False

    @property
    def builds(self) -> Path:
        return self.db.parent / BUILDS

    @property
    def staging(self) -> Path:
        """db/.builds/.staging-<id>: the database and the downloads while they are written."""
        return self.builds / f".staging-{self.build_id}"

    @property
    def final(self) -> Path:
        """db/.builds/<id>: the finished build, until it is published and after."""
        return self.builds / self.build_id

    @property
    def package_new(self) -> Path:
        return package_staging(self.package, self.build_id)

    @property
    def package_old(self) -> Path:
        return package_aside(self.package, self.build_id)

    @property
    def current(self) -> Path:
        return self.db.parent / CURRENT

    def seal(self) -> None:
        """The staging folder becomes a finished build (db/.builds/<id>), not yet served."""
        with io_errors(self.db.parent, WRITE):
            self.staging.chmod(0o755)
            os.rename(self.staging, self.final)

    def publish(self) -> None:
        """The package in one step, then what the server reads in one step."""
        self.previous = os.readlink(self.current) if self.current.is_symlink() else None
        with io_errors(self.package, WRITE):
            self.old_package = _swap_in(self.package_new, self.package, self.package_old)
        self.swapped = True
        with io_errors(self.db.parent, WRITE):
            _link(self.current, Path(BUILDS) / self.build_id)
            _link(self.db, Path(CURRENT) / self.db.name)
            _link(downloads_dir(self.db), Path(CURRENT) / DOWNLOADS)

    def abandon(self) -> None:
        """After a failure at any stage: the last good build served as it was, nothing of this one left."""
        try:
            if self.swapped:
                _undo(self.current, self.previous, self.package, self.old_package, self.package_new)
        finally:
            for leftover in (self.staging, self.package_new, self.package_old):
                shutil.rmtree(leftover, ignore_errors=True)
            if served_build(self.db) != self.build_id:
                shutil.rmtree(self.final, ignore_errors=True)

    def finish(self) -> None:
        """After publishing: the package set aside and the builds older than the last KEEP_BUILDS go."""
        if self.old_package is not None:
            shutil.rmtree(self.old_package, ignore_errors=True)
        _prune(self.builds, keep=self.build_id)


def clean(db: Path, package: Path) -> None:
    """Remove what killed builds left on both sides; called under the lock."""
    with io_errors(package.parent, WRITE):
        _clean_package_side(package)
    with io_errors(db.parent, WRITE):
        _clean_database_side(db)


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
def io_errors(where: Path, verb: str) -> Iterator[None]:
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
def locked(builds: Path, on_wait: Callable[[], None] | None) -> Iterator[None]:
    """Hold the build lock (db/.builds/.lock): a second build waits until the first has finished.

    flock is released by the kernel when the process ends, so a killed build
    never leaves the lock taken.
    """
    path = builds / LOCK
    with io_errors(builds, WRITE):
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
    published = served_build(db) or ""
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


def served_build(db: Path) -> str | None:
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
