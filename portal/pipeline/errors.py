"""The one error a build raises for bad input: it names the file, the line and what was expected."""

from __future__ import annotations

from pathlib import Path


class SourceError(ValueError):
    """The source document does not have the layout the parser expects.

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
