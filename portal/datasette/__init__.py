"""Datasette under /data/: configuration, Japanese metadata from the Table Schema, and small plugins."""

from __future__ import annotations

from pathlib import Path

from datasette.app import Datasette
from datasette.plugins import pm

from .. import paths
from . import plugin
from .metadata import metadata

PREFIX = "/data"
DATABASE = "strategy"

SETTINGS = {
    "base_url": PREFIX + "/",
    # facet suggestions cost more than the page itself; the useful facets are configured per table
    "suggest_facets": False,
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 200,
    "max_returned_rows": 1000,
    "default_page_size": 100,
    "num_sql_threads": 3,
    # the SQLite file is offered under /downloads/, with its checksum
    "allow_download": False,
    "allow_signed_tokens": False,
    "trace_debug": False,
    "template_debug": False,
    "default_cache_ttl": 300,
}


def make_datasette(db_path: Path) -> Datasette:
    """A Datasette serving db_path (opened immutable) as the database "strategy"."""
    if not pm.is_registered(plugin):
        pm.register(plugin, name="sunagawa_portal")
    # our handle_exception replaces Datasette's, which logs every error with its local variables
    if pm.get_plugin("datasette.handle_exception") is not None:
        pm.unregister(name="datasette.handle_exception")
    if Path(db_path).stem != DATABASE:
        raise ValueError(f"the database file must be named {DATABASE}.db: {db_path}")
    return Datasette(
        immutables=[str(db_path)],
        metadata=metadata(),
        settings=SETTINGS,
        template_dir=str(paths.TEMPLATES / "datasette"),
        static_mounts=[("portal-static", str(paths.ROOT / "portal" / "web" / "static"))],
    )
