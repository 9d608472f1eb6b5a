"""The build being served: the one object that knows which database, downloads and rows are current.

`portal build` publishes a build by pointing db/strategy.db (and db/downloads)
at a new folder in one step.  `CurrentBuild.get()` looks at the link on every
request (one stat) and, when it points elsewhere, reads the new build once:
its downloads' file index and the rows the pages show (Datasette hashes the
database itself for its ETags).  Everything that depends on the build asks this object,
so pages, data, downloads and ETags change together.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .data import Data, load
from .paths import DOWNLOADS, FILE_INDEX, SITE
from .site import Site


@dataclass(eq=False)
class Build:
    """One published build, read from the files it points to when it was found."""

    db: Path  #: the database file itself (not the link)
    downloads: Path  #: the folder of download files that belongs to it
    stamp: tuple = field(repr=False, default=())

    @cached_property
    def data(self) -> Data:
        """Every row the pages show, read once."""
        return load(self.db)

    @cached_property
    def site(self) -> Site:
        """The pages prebuilt with this build (none for a build made without them)."""
        return Site(self.db.parent / SITE)

    @cached_property
    def file_index(self) -> dict:
        """The downloads' file index (files.json), with the files also indexed by name; empty when there are no downloads."""
        path = self.downloads / FILE_INDEX
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"built_at": None, "files": [], "by_name": {}}
        value["by_name"] = {f["name"]: f for f in value["files"]}
        return value


class CurrentBuild:
    """Finds the build that db/strategy.db points at, again whenever the link changes."""

    def __init__(self, db_link: Path):
        self.link = Path(db_link)
        self._lock = threading.Lock()
        self._build: Build | None = None

    def get(self) -> Build:
        """The current build (one stat when nothing changed)."""
        build = self._build
        if build is not None and build.stamp == _stamp(self.link):
            return build
        with self._lock:
            db = Path(os.path.realpath(self.link))
            stamp = _stamp(db)
            if self._build is None or self._build.stamp != stamp:
                # a build's downloads sit beside its database (db/.builds/<id>/), so the two never mix
                self._build = Build(db=db, downloads=db.parent / DOWNLOADS, stamp=stamp)
            return self._build


def _stamp(path: Path) -> tuple:
    st = os.stat(path)  # follows a link: a new build is a new file
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)
