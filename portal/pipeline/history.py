"""The build history: when each change was first published, kept across builds (db/.builds/.history.json).

The Atom feed dates an entry by its version's date when the sources manifest
knows it; otherwise by the time a build first published the change.  A
rebuild of the same data publishes nothing new, so its entries keep their
dates and a feed reader is not told of them again.  A change is known by its
content (the revision it belongs to, its type, place, texts and reason), not
by its row id, which a new document before it would shift.

The history is read and written by the build holding the lock (build.py),
and written only after the build is published, in one step (a rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

HISTORY = ".history.json"
#: what makes a change the same change in another build
IDENTITY = ("change_type", "section", "before_text", "after_text", "reason")


def fingerprint(change: dict, versions: dict[int, dict]) -> str:
    """A change's identity across builds: its revision (by the versions' names) and its content."""
    revision = [versions[change["from_version_id"]]["label"], versions[change["to_version_id"]]["label"]]
    content = [revision, *(change[k] for k in IDENTITY)]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def read(builds: Path) -> dict[str, str]:
    """Fingerprint → the time (ISO 8601, UTC) the change was first published; empty when there is no history yet."""
    try:
        value = json.loads((builds / HISTORY).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        # a damaged history loses only the first dates: the build goes on and writes a new one
        return {}
    changes = value.get("changes") if isinstance(value, dict) else None
    return {k: v for k, v in (changes or {}).items() if isinstance(k, str) and isinstance(v, str)}


def first_published(rows: dict[str, list[dict]], known: dict[str, str], now: str) -> dict[int, str]:
    """Change id → when it was first published: from the history, else now (this build publishes it)."""
    versions = {v["id"]: v for v in rows["versions"]}
    return {c["id"]: known.get(fingerprint(c, versions), now) for c in rows["changes"]}


def record(builds: Path, rows: dict[str, list[dict]], known: dict[str, str], now: str) -> None:
    """Add this build's new changes to the history (the first date of a known one never moves)."""
    versions = {v["id"]: v for v in rows["versions"]}
    merged = dict(known)
    for c in rows["changes"]:
        merged.setdefault(fingerprint(c, versions), now)
    tmp = builds / f"{HISTORY}.{secrets.token_hex(4)}"
    tmp.write_text(json.dumps({"changes": dict(sorted(merged.items()))}, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, builds / HISTORY)
