"""Shared fixtures: the real source document, and the data built from it once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal import paths
from portal.pipeline.build import BuildResult, build

#: what makes a test slow (`-m "not slow"` leaves it out): a real server, nginx, Chromium or a whole build of its own
SLOW_FIXTURES = {"live_server", "changed_server", "proxy", "impatient_proxy", "browser", "tree", "project"}
#: modules whose every test starts processes of its own: servers, builds killed on purpose, a fresh install
SLOW_MODULES = {"test_faults", "test_install", "test_live", "test_plugins", "test_proxy", "test_server"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if uses & SLOW_FIXTURES or item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def real_source() -> Path:
    return paths.SOURCE


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> BuildResult:
    """The real document built by the real pipeline into a temporary project tree, with its prebuilt pages."""
    from portal.render import render_site

    root = tmp_path_factory.mktemp("built")
    package = root / "datapackage"
    (package / "sources").mkdir(parents=True)
    source = package / "sources" / paths.SOURCE_NAME
    shutil.copyfile(paths.SOURCE, source)
    return build(source, root / "db" / "strategy.db", package, render=render_site)


@pytest.fixture(scope="session")
def built_db(built):
    """A read-only connection to the test build's database, rows as sqlite3.Row."""
    import sqlite3

    conn = sqlite3.connect(f"file:{built.db}?mode=ro", uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


@pytest.fixture
def tree(tmp_path):
    """A project tree of its own with one good build, and the source it was built from (for tests that rebuild)."""
    pkg = tmp_path / "datapackage"
    (pkg / "sources").mkdir(parents=True)
    source = pkg / "sources" / paths.SOURCE_NAME
    shutil.copyfile(paths.SOURCE, source)
    build(source, tmp_path / "db" / "strategy.db", pkg)
    return tmp_path, source


@pytest.fixture(scope="session")
def app(built):
    """The Flask pages over the test build."""
    from portal.web import create_app

    return create_app({"DB": built.db, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def until(condition, seconds: float = 20.0, every: float = 0.05):
    """Wait for `condition()` to come true (an event seen from outside a process) and return its value.

    Fails the test if it has not come true in `seconds`: a bound on waiting, not a measure of speed.
    """
    import time

    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not so after {seconds:g} s: {getattr(condition, '__doc__', None) or condition}")
        time.sleep(every)
    return value


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_processes(pid: int) -> set[int]:
    """The processes a process has started and not yet waited for (a server's SQL workers)."""
    import contextlib
    import os

    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError):
            found |= {int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()}
    return found


def living(pids: set[int]) -> set[int]:
    """The processes of `pids` that are running: not ended and waiting to be reaped (a zombie)."""
    import contextlib

    alive = set()
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.add(pid)
    return alive


def workers_settled(pid: int, count: int = 3, replacing: set[int] | None = None) -> set[int]:
    """The server's running worker processes, once it has `count` of them again (an ended one is replaced);
    with `replacing`, once they are no longer all of those (one of them has ended and its replacement runs)."""

    def whole() -> set[int] | None:
        found = living(child_processes(pid))
        return found if len(found) == count and found != replacing else None

    return until(whole)


class LiveServer(str):
    """The base URL of a running `portal serve`, with the server's process id and log file."""

    pid: int
    log: Path


def start_server(db, log_path, *options: str, preexec_fn=None):
    """Start `portal serve` on a free port with extra `options`; return (process, LiveServer, log file)."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    log_fh = open(log_path, "wb")  # noqa: SIM115 - closed by stop_server()
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve", "--port", str(port), "--db", str(db), *options],
        env=dict(os.environ),
        stdout=log_fh,
        stderr=subprocess.STDOUT,
        preexec_fn=preexec_fn,
    )
    base = LiveServer(f"http://127.0.0.1:{port}")
    base.pid = proc.pid
    base.log = Path(log_path)
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


#: the public origin the in-process portal is configured with
ORIGIN = "http://127.0.0.1:8000"


class InProcess:
    """A synchronous client of an ASGI app in this process, through httpx's ASGI transport.

    The app runs on an event loop of its own thread, as it would in a server,
    so one session can share it; .get() and .request() behave as httpx.Client's.
    """

    def __init__(self, app, base_url: str):
        import asyncio
        import threading

        import httpx

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, timeout=30)

    def request(self, method: str, url: str, **kwargs):
        import asyncio

        return asyncio.run_coroutine_threadsafe(self.client.request(method, url, **kwargs), self.loop).result()

    def get(self, url: str, **kwargs):
        return self.request("GET", url, **kwargs)

    def close(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.client.aclose(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


@pytest.fixture(scope="session")
def portal(built):
    """The whole portal (pages, Datasette, files) in this process.

    With PORTAL_TEST_URL set, the same tests run against that server instead
    (for example a `portal serve` of an older version, to see them fail there).
    """
    import os

    import httpx

    from portal.asgi import create_app

    external = os.environ.get("PORTAL_TEST_URL")
    client = (
        httpx.Client(base_url=external, timeout=30) if external else InProcess(create_app(built.db, ORIGIN), ORIGIN)
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Playwright's sync API allows one per thread)."""
    from .browser import ARGS, CHROMIUM, REQUIRED, missing_browser

    reason = missing_browser()
    if reason:
        if REQUIRED:
            pytest.fail(f"ブラウザのテストを実行できません: {reason}")
        pytest.skip(f"ブラウザのテストを実行しません: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
