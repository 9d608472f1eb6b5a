"""Datasette hooks handle_exception and forbidden: the portal's Japanese error page (or JSON), never a traceback.

The file is opened immutable and read-only, so an exception raised while
answering comes from what the request asked for (an unknown column, a
malformed JSON value, too many values for SQLite); those are answered 400.
A query turned away for want of a slot is 429, a worker that cannot be
started 503 (adhoc.py), both with Retry-After.  Anything else is a 500,
logged as one line without local variables.

On the SQL page, an error Datasette raises before its query page is drawn
(a statement that is not a SELECT, a query stopped at the time limit, no
slot free) is shown above the editor with the query still in it, as the
query page shows SQLite's own errors.
"""

from __future__ import annotations

import logging
import sqlite3

from datasette import Response, hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import tilde_decode
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError

from .. import links
from ..errors import QuietLog, error_html
from . import ours
from .adhoc import CURRENT, MESSAGES, Busy, Unavailable
from .messages import error_in_japanese

log = QuietLog(logging.getLogger(__name__))

#: raised by Datasette or SQLite for a request that cannot be answered as asked
REQUEST_ERRORS = (sqlite3.Error, ValueError, OverflowError)
#: SQLite errors that are the server's, not the request's
SERVER_ERRORS = ("unable to open", "disk i/o", "malformed", "out of memory")
#: the longest message of Datasette or SQLite shown on the page
MESSAGE_CHARS = 300
BACK = links.data_home()
#: seconds a visitor is asked to wait after a 429 or a 503
RETRY_AFTER = "2"


def status_of(exception: Exception) -> int:
    if isinstance(exception, Busy | Unavailable):
        return exception.status
    if isinstance(exception, Base400):
        return exception.status
    if isinstance(exception, DatasetteError):
        # Datasette raises these with 500 for requests it refuses (「Cannot use _sort and _sort_desc at the same time」)
        return exception.status if exception.status < 500 else 400
    if isinstance(exception, sqlite3.Error) and any(e in str(exception).lower() for e in SERVER_ERRORS):
        return 500
    if isinstance(exception, REQUEST_ERRORS):
        return 400
    return 500


def message_of(exception: Exception) -> str:
    if isinstance(exception, DatasetteError) and isinstance(exception.__context__, QueryInterrupted):
        # Datasette's own message here is HTML, in English, about its settings
        interrupted = exception.__context__
        return (
            interrupted.args[0] if isinstance(interrupted, sqlite3.Error) else MESSAGES["interrupted"].format(seconds=1)
        )
    if isinstance(exception, DatasetteError):
        text = str(exception.message)
    else:
        text = str(exception.args[0]) if exception.args else type(exception).__name__
    return text[:MESSAGE_CHARS]


def on_query_page(request) -> bool:
    """Whether the request is for the SQL page of a database (not its JSON or CSV, not a table)."""
    url_vars = request.url_vars or {}
    return (
        bool(request.args.get("sql"))
        and "database" in url_vars
        and "table" not in url_vars
        and url_vars.get("format") in (None, "html")
    )


async def query_page(datasette, request, status: int, message: str) -> Response:
    """The SQL page with its editor, the visitor's query in it and the error above it."""
    sql = request.args.get("sql")
    database = datasette.get_database(route=tilde_decode(request.url_vars["database"])).name
    context = {
        "database": database,
        "query": {"sql": sql, "params": {}},
        "error": message,
        "ok": False,
        "rows": [],
        "columns": [],
        "display_rows": [],
        "truncated": False,
        "editable": True,
        "allow_execute_sql": True,
        "canned_query": None,
        "named_parameter_values": {},
        "metadata": {},
        "renderers": {},
        "hide_sql": False,
        "show_hide_link": "",
        "show_hide_hidden": "",
        "edit_sql_url": None,
        "tables": [],
    }
    html = await datasette.render_template(
        [f"query-{database}.html", "query.html"], context, request=request, view_name="database"
    )
    return Response.html(html, status=status)


def respond(request, status: int, message: str | None) -> Response:
    """The error as JSON for .json URLs (Datasette's own message), otherwise as the portal's page in Japanese.

    A message messages.py does not know is shown as it is, marked as English.
    """
    if request.path.endswith(".json"):
        return Response.json({"ok": False, "status": status, "error": message}, status=status)
    japanese = error_in_japanese(message) if message else None
    if japanese:
        return Response.html(error_html(status, detail=japanese, back=BACK, here=BACK).decode(), status=status)
    return Response.html(error_html(status, back=BACK, detail_en=message, here=BACK).decode(), status=status)


@hookimpl(wrapper=True)
def handle_exception(datasette, request, exception):
    """Answer with the portal's page, and keep the other handlers' answers from running.

    Datasette awaits every answer its handle_exception hook returns, and its
    own one prints each exception with its local variables.  A pluggy wrapper
    sees the hook's results before Datasette does, so it replaces them.
    """
    results = yield
    if not ours(datasette):
        return results
    status = status_of(exception)
    if status >= 500:
        visit = CURRENT.get()
        log(
            visit.client if visit else "-",
            "error in Datasette at %s: %s: %s",
            request.path[:200],
            type(exception).__name__,
            message_of(exception),
        )
    message = message_of(exception) if status < 500 or status == 503 else None

    async def inner():
        if status < 500 and on_query_page(request):
            response = await query_page(datasette, request, status, message)
        else:
            response = respond(request, status, message)
        if status in (429, 503):
            response.headers["retry-after"] = RETRY_AFTER
        return response

    return [inner]


@hookimpl
def forbidden(datasette, request, message):
    """Datasette's 403 (the database file, for one) as the portal's page, pointing to the downloads."""
    if not ours(datasette):
        return None

    async def inner():
        if request.path.endswith(".json"):
            return Response.json({"ok": False, "status": 403, "error": message}, status=403)
        detail = "データベースのファイルは「ダウンロード」のページ（/downloads/）から入手できます。"
        return Response.html(
            error_html(403, detail=detail, back=links.url_for("downloads.index"), here=BACK).decode(), status=403
        )

    return inner
