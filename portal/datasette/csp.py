"""The Content-Security-Policy of the portal, and the inline script of Datasette's pages it allows.

Datasette's SQL editor is built by one inline script (_codemirror_foot.html,
overridden in templates/datasette/).  Rather than allowing every inline
script ('unsafe-inline'), the policy of /data/ names the inline scripts of
the templates in use by their SHA-256, so a changed script is refused rather
than silently allowed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from .. import paths

#: the overridden templates that carry an inline script
SCRIPT_TEMPLATES = ("_codemirror_foot.html",)


def _script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@cache
def datasette_inline_script_hashes() -> tuple[str, ...]:
    """Hashes of the inline scripts of the portal's Datasette templates, which render them unchanged."""
    hashes = []
    for name in SCRIPT_TEMPLATES:
        text = (paths.TEMPLATES / "datasette" / name).read_text(encoding="utf-8")
        for script in re.findall(r"<script>(.*?)</script>", text, re.S):
            if "{{" in script or "{%" in script:
                raise ValueError(
                    f"templates/datasette/{name}: an inline script must not depend on the template's values"
                )
            hashes.append(_script_hash(script))
    return tuple(hashes)


def policy(script_hashes: tuple[str, ...] = ()) -> str:
    """Scripts only from this site (and the named inline ones); no plugins, frames or foreign forms."""
    scripts = " ".join(["'self'", *script_hashes])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
