"""Datasette under /data/: configuration, and the one instance per build that serves it.

Datasette's behaviour for the portal lives in its plugin hooks (the modules
beside this one, registered as `datasette` entry points in pyproject.toml):
connection.py (limits and search), templates.py (Japanese page furniture),
errors.py (Japanese error pages) and guard.py (what a request may ask);
adhoc.py and sqlworker.py run a visitor's SQL in worker processes.

Datasette imports its plugins while `datasette.app` is itself being
imported, so nothing here imports `datasette.app` (or anything that does)
until a Datasette is made: the hooks then load in any Datasette of the
environment (`datasette --version`, `datasette serve other.db`), and act
only on the portal's own (`ours()`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .. import links

if TYPE_CHECKING:
    from datasette.app import Datasette

    from ..current import Build, CurrentBuild

PREFIX = links.DATA
DATABASE = links.DATABASE

SETTINGS = {
    # Datasette is not mounted: it sees the whole path and removes this prefix itself
    "base_url": PREFIX + "/",
    # facet suggestions cost more than the page itself; the useful facets are configured per table
    "suggest_facets": False,
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 200,
    "max_returned_rows": 1000,
    # a streamed CSV (?_stream=1) stops with a message past this many MB; the whole database is under 1 MB
    "max_csv_mb": 8,
    "default_page_size": 100,
    "num_sql_threads": 3,
    # the SQLite file is offered under /downloads/, with its checksum
    "allow_download": False,
    "allow_signed_tokens": False,
    "trace_debug": False,
    "template_debug": False,
    "default_cache_ttl": 300,
}


@cache
def portal_datasette() -> type:
    """Datasette, marked as the portal's own: the portal's plugin hooks act on instances of this class only."""
    from datasette.app import Datasette

    return type("PortalDatasette", (Datasette,), {"portal": True, "__doc__": portal_datasette.__doc__})


def ours(datasette) -> bool:
    """Whether a Datasette is the portal's own (made by make_datasette), for the plugin hooks."""
    return getattr(datasette, "portal", False) is True


def make_datasette(db_path: Path) -> Datasette:
    """A Datasette serving db_path (opened immutable) as the database "strategy", its ad-hoc SQL in workers."""
    from .. import paths
    from .adhoc import PortalDatabase
    from .metadata import metadata

    if Path(db_path).stem != DATABASE:
        raise ValueError(f"the database file must be named {DATABASE}.db: {db_path}")
    ds = portal_datasette()(
        immutables=[str(db_path)],
        metadata=metadata(),
        settings=SETTINGS,
        template_dir=str(paths.TEMPLATES / "datasette"),
    )
    # the same file, as the Database whose execute() sends a visitor's SQL to a worker (adhoc.py)
    ds.remove_database(DATABASE)
    ds.add_database(PortalDatabase(ds, str(db_path), is_mutable=False), name=DATABASE)
    return ds


async def start(ds: Datasette) -> None:
    """Make a Datasette ready before its first request: its startup hooks, and the table counts it shows.

    Datasette runs these itself on its first request, but requests arriving
    meanwhile would find it half-started.
    """
    await ds.invoke_startup()
    for db in ds.databases.values():
        if not db.is_mutable:
            await db.table_counts(limit=3_600_000)


def _end_thread(conn):
    # Datasette's write thread loops until a task raises something that is not an Exception
    raise SystemExit


async def close(ds: Datasette) -> None:
    """Release a Datasette's database files and threads (its SQL threads and its internal database's writer)."""
    for db in ds.databases.values():
        if db.is_mutable:
            await db.execute_write_fn(_end_thread, block=False)
        db.close()
    if ds.executor is not None:
        ds.executor.shutdown(wait=False, cancel_futures=True)


class _Instance:
    """One build's Datasette, with the number of requests it is answering."""

    def __init__(self, build: Build, ds: Datasette):
        self.build = build
        self.ds = ds
        self.app = ds.app()
        self.active = 0
        self.retired = False
        self.closing = None

    def release(self) -> None:
        """Close this Datasette once it is retired and answering nothing."""
        if self.retired and self.active == 0 and self.closing is None:
            import asyncio

            self.closing = asyncio.get_running_loop().create_task(close(self.ds))


class DataApp:
    """Datasette for the current build.

    A new build gets a new Datasette (the file is opened immutable), started
    before it answers; the old one is closed when its last request is done.
    """

    def __init__(self, builds: CurrentBuild):
        self.builds = builds
        self._instance: _Instance | None = None
        self._lock = None

    async def instance(self) -> _Instance:
        """The started Datasette of the current build (and the SQL workers, the first time)."""
        import asyncio

        from .adhoc import SQL

        # a build is its files: two builds of the same source have the same hash but not the same folder
        build = self.builds.get()
        if self._instance is not None and self._instance.build is build:
            return self._instance
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            build = self.builds.get()
            if self._instance is None or self._instance.build is not build:
                await SQL.pool.start()
                ds = make_datasette(build.db)
                await start(ds)
                old, self._instance = self._instance, _Instance(build, ds)
                if old is not None:
                    old.retired = True
                    old.release()
        return self._instance

    async def shutdown(self) -> None:
        """Close the current Datasette and stop the SQL workers (the server is stopping)."""
        from .adhoc import SQL

        if self._instance is not None:
            self._instance.retired = True
            await close(self._instance.ds)
        await SQL.pool.close()

    async def __call__(self, scope, receive, send):
        """Datasette sees the path without /data, as behind a proxy, and base_url puts it back in its links."""
        instance = await self.instance()
        raw = scope.get("raw_path") or scope["path"].encode()
        inner = dict(scope, path=scope["path"][len(PREFIX) :] or "/", raw_path=raw[len(PREFIX) :] or b"/", root_path="")

        async def send_prefixed(message):
            if message["type"] == "http.response.start":
                headers = [(k, prefixed(v) if k.lower() == b"location" else v) for k, v in message.get("headers", [])]
                message = dict(message, headers=headers)
            await send(message)

        instance.active += 1
        try:
            await instance.app(inner, receive, send_prefixed)
        finally:
            instance.active -= 1
            instance.release()


def prefixed(location: bytes) -> bytes:
    """A redirect of Datasette's, kept on this site and under /data.

    Datasette builds some redirects from the path it was given, which lacks
    the prefix: 「/strategy/kpis/」 → 「/strategy/kpis」.  A path that came as
    「//example.com/」 must not leave the site.
    """
    parts = urlsplit(location.decode("latin-1"))
    path = parts.path or "/"
    if not (path == PREFIX or path.startswith(PREFIX + "/")):
        path = PREFIX + "/" + path.lstrip("/")
    return (path + ("?" + parts.query if parts.query else "")).encode("latin-1")
