"""The Content-Security-Policy of the portal, and the two inline scripts of Datasette's pages it allows.

Datasette's table page and SQL editor each carry one inline script.  Rather
than allowing every inline script ('unsafe-inline'), the policy of /data/
names these two by their SHA-256, read from the templates of the pinned
Datasette version (pyproject.toml), so a changed script is refused rather
than silently allowed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path


def _script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@cache
def datasette_inline_script_hashes() -> tuple[str, ...]:
    """Hashes of the inline scripts of table.html and _codemirror_foot.html, as Datasette renders them."""
    import datasette

    templates = Path(datasette.__file__).parent / "templates"
    foot = (templates / "_codemirror_foot.html").read_text(encoding="utf-8")
    hashes = [_script_hash(script) for script in re.findall(r"<script>(.*?)</script>", foot, re.S)]
    table = (templates / "table.html").read_text(encoding="utf-8")
    for script in re.findall(r"<script>(DATASETTE_ALLOW_FACET = .*?)</script>", table):
        hashes.append(_script_hash(script.replace("{{ datasette_allow_facet }}", "true")))
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
