"""Where the project keeps its files; every command's defaults come from here."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("PORTAL_ROOT", Path(__file__).resolve().parent.parent))
PACKAGE_DIR = ROOT / "datapackage"
SOURCE_NAME = "sunagawa-strategy2-revision-comparison-table.txt"
SOURCE = PACKAGE_DIR / "sources" / SOURCE_NAME
DB = ROOT / "db" / "strategy.db"
TEMPLATES = ROOT / "templates"
