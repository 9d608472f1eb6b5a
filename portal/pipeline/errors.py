"""The errors a build raises: they name the place (file and line, or the path) and say what went wrong in Japanese."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

#: SQLite result codes that report the disk or the file system, not the SQL
_SQLITE_IO = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")


class SourceError(ValueError):
    """The source document does not have the layout the parser expects, or cannot be read.

    ``str(error)`` reads ``<file>:<line>: <message>`` so that an editor or a
    terminal can jump to the place.
    """

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class BuildError(RuntimeError):
    """The build could not finish for a reason other than the source's layout."""


def os_reason(exc: BaseException, where: Path | str | None = None) -> str:
    """The operating system's reason for a failed file operation, with the file it names unless that is `where`.

    ``No space left on device``, ``Not a directory: /x/db/.builds``: the
    English text of the OS (strerror) is kept as it is, because that is what
    a search or an administrator recognises.
    """
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        # copytree gathers the failures of single files: (source, target, reason)
        _, target, why = exc.args[0][0]
        return f"{why}: {target}"
    if isinstance(exc, sqlite3.Error):
        return f"SQLite: {exc}"  # SQLite does not pass on the OS's errno
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        named = exc.filename is not None and (where is None or Path(exc.filename) != Path(where))
        return f"{reason}: {exc.filename}" if named else reason
    return str(exc)


def is_io_error(exc: BaseException) -> bool:
    """True for a failure of the disk or the file system: an OSError, or SQLite reporting one."""
    if isinstance(exc, sqlite3.Error):
        return f"SQLite: {exc}"  # SQLite does not pass on the OS's errno
    if isinstance(exc, OSError):
        return True
    return isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorname", "").startswith(_SQLITE_IO)


def io_message(path: Path | str, verb: str, exc: BaseException) -> str:
    """``<path>: 書き込めません（No space left on device: <file>）``."""
    return f"{path}: {verb}（{os_reason(exc, path)}）"
