"""Datasette hooks handle_exception and forbidden: the portal's Japanese error page (or JSON), never a traceback.

The file is opened immutable and read-only, so an exception raised while
answering comes from what the request asked for (an unknown column, a
malformed JSON value, too many values for SQLite); those are answered 400.
Anything else is a 500, logged as one line without local variables.
"""

from __future__ import annotations

import logging
import sqlite3

from datasette import Response, hookimpl
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError

from ..errors import error_html
from .japanese import error_in_japanese

log = logging.getLogger(__name__)

#: raised by Datasette or SQLite for a request that cannot be answered as asked
REQUEST_ERRORS = (sqlite3.Error, ValueError, OverflowError)
#: SQLite errors that are the server's, not the request's
SERVER_ERRORS = ("unable to open", "disk i/o", "malformed", "out of memory")
#: the longest message of Datasette or SQLite shown on the page
MESSAGE_CHARS = 300
BACK = "/data/"


def status_of(exception: Exception) -> int:
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
    if isinstance(exception, DatasetteError):
        text = str(exception.message)
    else:
        text = str(exception.args[0]) if exception.args else type(exception).__name__
    return text[:MESSAGE_CHARS]


def respond(request, status: int, message: str | None) -> Response:
    """The error as JSON for .json URLs (Datasette's own message), otherwise as the portal's page in Japanese.

    A message japanese.py does not know is shown as it is, marked as English.
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
    yield
    status = status_of(exception)
    if status >= 500:
        log.error(
            "error in Datasette at %s: %s: %s", request.path[:200], type(exception).__name__, message_of(exception)
        )

    async def inner():
        return respond(request, status, message_of(exception) if status < 500 else None)

    return [inner]


@hookimpl
def forbidden(datasette, request, message):
    """Datasette's 403 (the database file, for one) as the portal's page, pointing to the downloads."""

    async def inner():
        if request.path.endswith(".json"):
            return Response.json({"ok": False, "status": 403, "error": message}, status=403)
        detail = "データベースのファイルは「ダウンロード」のページ（/downloads/）から入手できます。"
        return Response.html(error_html(403, detail=detail, back="/downloads/", here=BACK).decode(), status=403)

    return inner
