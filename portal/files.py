"""Files at the ASGI layer, served by Starlette's StaticFiles (ETag, Range, If-Range, 304).

The download files belong to a build: `Downloads` looks them up in the
current build's file index (paths.FILE_INDEX), so only the files it lists are served, each with
its sha256 as a strong ETag (the same on every replica of a build), its media
type, and as an attachment.
"""

from __future__ import annotations

import os

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from werkzeug.http import parse_etags

from .current import CurrentBuild

#: browsers and CDNs may reuse a file for a minute, then ask again with its ETag
CACHE_CONTROL = "public, max-age=60, must-revalidate"


class Downloads(StaticFiles):
    """The current build's download files."""

    def __init__(self, builds: CurrentBuild):
        super().__init__(directory=None, check_dir=False)
        self.builds = builds

    async def check_config(self) -> None:
        """Nothing to check: the folder is the current build's, looked up per request."""

    def get_path(self, scope) -> str:
        """The file's name as the URL gives it, or "" when the URL is not its one canonical address.

        StaticFiles normalises the path, so /downloads/x/..%2Fkpis.csv would
        serve kpis.csv; a download has one URL, so anything that only becomes
        a file's name after normalising is not found.
        """
        name = super().get_path(scope)
        return name if scope["path"] == f"{scope.get('root_path', '')}/{name}" else ""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        build = self.builds.get()
        entry = build.file_index["by_name"].get(path)
        if entry is None:
            return "", None
        full_path = build.downloads / entry["name"]
        try:
            return str(full_path), os.stat(full_path)
        except FileNotFoundError:
            return "", None

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        entry = self.builds.get().file_index["by_name"][os.path.basename(full_path)]
        etag = f'"{entry["sha256"]}"'
        response = FileResponse(
            full_path,
            status_code=status_code,
            stat_result=stat_result,
            media_type=entry["media_type"],
            filename=entry["name"],
            headers={"etag": etag, "cache-control": CACHE_CONTROL},
        )
        request_headers = Headers(scope=scope)
        # If-Match, which StaticFiles does not look at: a stale one gets 412 and no body (RFC 9110, 13.1.1)
        if_match = request_headers.get("if-match")
        if if_match is not None and not parse_etags(if_match).is_strong(entry["sha256"]):
            return Response(status_code=412, headers={"etag": etag})
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response
