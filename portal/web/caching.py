"""Conditional responses for the pages, by Werkzeug: an ETag from the page's bytes, 304 and 412.

The bytes of a page depend only on the build and the code, so replicas of
one build give the same ETag.  The tag is weak because the same page may go
out gzip-compressed or not (Vary: Accept-Encoding).
"""

from __future__ import annotations

from flask import request

#: browsers and CDNs may reuse a page for a minute, then ask again with its ETag
MAX_AGE = 60


def register(app) -> None:
    @app.after_request
    def conditional(response):
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough:
            return response
        response.add_etag(weak=True)
        response.cache_control.public = True
        response.cache_control.max_age = MAX_AGE
        response.cache_control.must_revalidate = True
        response.make_conditional(request)
        if response.status_code == 412:
            # a failed If-Match answers with its status only, not the page
            response.set_data(b"")
        return response
