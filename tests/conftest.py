"""Shared fixtures: the real source document, and the data built from it once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal import paths
from portal.pipeline.build import BuildResult, build


@pytest.fixture(scope="session")
def real_source() -> Path:
    return paths.SOURCE


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> BuildResult:
    """The real document built by the real pipeline into a temporary project tree."""
    root = tmp_path_factory.mktemp("built")
    package = root / "datapackage"
    (package / "sources").mkdir(parents=True)
    source = package / "sources" / paths.SOURCE_NAME
    shutil.copyfile(paths.SOURCE, source)
    return build(source, root / "db" / "strategy.db", package)
