"""Datasette plugin hooks for the portal: connection limits, bigram search, Japanese page furniture."""

from __future__ import annotations

import logging
import sqlite3
import traceback

from datasette import hookimpl
from jinja2 import ChoiceLoader, FileSystemLoader

from .. import paths
from ..search import match_query

log = logging.getLogger(__name__)

#: the longest string or blob a query may build (bytes); the data's longest text is a few kB
MAX_LENGTH = 1_000_000
#: the longest SQL text a visitor may send (bytes)
MAX_SQL_LENGTH = 20_000


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Limit what one query can allocate, and make Datasette's search use the bigram index.

    trylast: this runs after Datasette's own hook, so our escape_fts replaces its one.
    """
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.create_function("escape_fts", 1, match_query, deterministic=True)


@hookimpl
def prepare_jinja2_environment(env):
    """Let Datasette's pages include the portal's own header and footer (templates/_site_*.html)."""
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(paths.TEMPLATES))])


@hookimpl
def extra_template_vars(view_name):
    """Which short Japanese help to show on a Datasette page."""
    return {"portal_view": view_name}


@hookimpl
def handle_exception(datasette, request, exception):
    """Datasette's errors as the portal's Japanese error page (or JSON), logged without local variables.

    Datasette's own handler prints every exception with its local variables;
    answering first keeps that from running.
    """
    from datasette import Response
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError
    from markupsafe import Markup

    async def inner():
        title = None
        if isinstance(exception, Base400):
            status, info, message = exception.status, {}, exception.args[0] if exception.args else ""
        elif isinstance(exception, DatasetteError):
            status, info, message, title = (
                exception.status,
                dict(exception.error_dict),
                exception.message,
                exception.title,
            )
            if exception.message_is_html:
                message = Markup(message)
        else:
            status, info, message = 500, {}, "サーバーで問題が起きました。"
            log.error(
                "error in Datasette: %s", "".join(traceback.format_exception_only(type(exception), exception)).strip()
            )
        info.update({"ok": False, "error": message, "status": status, "title": title})
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        html = await template.render_async(
            dict(
                info,
                urls=datasette.urls,
                app_css_hash=datasette.app_css_hash(),
                menu_links=lambda: [],
                request=request,
            )
        )
        return Response.html(html, status=status)

    return inner
