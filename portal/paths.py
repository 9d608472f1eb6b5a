"""Where the project keeps its files; every command's defaults come from here.

In a checkout, the project's root is the folder above this package.  An
installed copy (pip install .) carries its templates and static files inside
the package, and works on the current folder unless PORTAL_ROOT says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE.parent
_IN_CHECKOUT = (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "templates").is_dir()

ROOT = Path(os.environ.get("PORTAL_ROOT") or (_CHECKOUT if _IN_CHECKOUT else Path.cwd()))
PACKAGE_DIR = ROOT / "datapackage"
SOURCE_NAME = "sunagawa-strategy2-revision-comparison-table.txt"
SOURCE = PACKAGE_DIR / "sources" / SOURCE_NAME
#: the sources manifest: the documents `portal build` reads, and what is known of them
MANIFEST = PACKAGE_DIR / "sources" / "manifest.yaml"
DB = ROOT / "db" / "strategy.db"
#: the Jinja templates: the checkout's templates/, or the copy installed inside the package
TEMPLATES = _CHECKOUT / "templates" if _IN_CHECKOUT else PACKAGE / "templates"
STATIC = PACKAGE / "web" / "static"

# ── a build's files (portal build writes them, portal serve reads them) ─────
#: db/.builds/<id>/ holds each finished build; db/current links to the one served,
#: and db/strategy.db and db/downloads point through it
BUILDS = ".builds"
CURRENT = "current"
#: the lock file in db/.builds/ that lets one build run at a time
LOCK = ".lock"
#: the folder of download files beside a build's database (served at /downloads/)
DOWNLOADS = "downloads"
#: the folder of a build's prebuilt pages (portal/site.py), beside its database
SITE = "site"
#: the downloads' file index: every download file with its size and checksum, the build's time and the dates the
#: feed gives (written by pipeline/downloads.py, read by portal.current; not itself served)
FILE_INDEX = "files.json"
