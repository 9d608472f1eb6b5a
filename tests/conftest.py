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


@pytest.fixture(scope="session")
def app(built):
    """The Flask pages over the test build."""
    from portal.web import create_app

    return create_app({"DB": built.db, "DOWNLOADS": built.downloads, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer(str):
    """The base URL of a running `portal serve`, with the server's process id."""

    pid: int


def start_server(db, log_path):
    """Start `portal serve` on a free port; return (process, LiveServer, log file)."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    log_fh = open(log_path, "wb")  # noqa: SIM115 - closed by stop_server()
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve", "--port", str(port), "--db", str(db)],
        env=dict(os.environ),
        stdout=log_fh,
        stderr=subprocess.STDOUT,
    )
    base = LiveServer(f"http://127.0.0.1:{port}")
    base.pid = proc.pid
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(base + "/", timeout=1).status_code == 200:
                return proc, base, log_fh
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("portal serve did not start: " + Path(log_path).read_text(errors="replace"))


def stop_server(proc, log_fh):
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log_fh.close()


@pytest.fixture(scope="session")
def live_server(built, tmp_path_factory):
    """The real `portal serve` (uvicorn) on a free loopback port, serving the test build."""
    proc, base, log_fh = start_server(built.db, tmp_path_factory.mktemp("server") / "server.log")
    yield base
    stop_server(proc, log_fh)
