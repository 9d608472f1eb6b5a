"""The switches above a Datasette page that say which rows it shows, and the names of values in its facets.

A table with defaults (tables.yaml `display.defaults`, applied by
defaults.py) shows one switch per default column: each version by its name
and 「すべての版」, or each code by its label and 「すべて」.  A canned query
that reads one version (tables.yaml `queries`, {version}) shows the versions.
Facet values are named as the rest of the portal names them (a goal number as
「基本目標３」, tables.yaml `value_labels`) and listed in their own order.
"""

from __future__ import annotations

import weakref
from urllib.parse import urlencode

from ..pipeline.display import LATEST, VERSION_PARAM, render, value_labels
from ..pipeline.schema import table as schema_table
from ..pipeline.schema import version_fields
from .defaults import MARKER, defaults, filtered

#: per Datasette instance (one build, an immutable file): what its pages name values by
_names: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def value_names(datasette, database: str) -> dict:
    """{"versions": [(id, label)], "latest": id, column: {value: short name}} of one build, read once."""
    key = datasette
    if key not in _names:
        db = datasette.get_database(database)
        versions = [tuple(r) for r in (await db.execute("select id, label from versions order by seq")).rows]
        out: dict = {"versions": versions, "latest": versions[-1][0] if versions else None}
        for column, spec in value_labels().items():
            rows = await db.execute(
                f'select * from "{spec["table"]}" where version_id = ? order by "{spec["key"]}"', [out["latest"]]
            )
            out[column] = {r[spec["key"]]: render(spec["short"], dict(r)) for r in rows.rows}
        _names[key] = out
    return _names[key]


def _href(path: str, params: list[tuple[str, str]]) -> str:
    return path + "?" + urlencode(params)


def table_switches(table: str, path: str, params: list[tuple[str, str]], names: dict) -> list[dict]:
    """One switch per default column of the table: its choices, each with its link and whether it is shown."""
    wanted = defaults().get(table)
    if not wanted:
        return []
    t = schema_table(table)
    out = []
    for column, value in wanted.items():
        kept = [p for p in params if not filtered([p], column) and p[0] != "_next" and p != MARKER]
        current = next((v for k, v in params if k == column), None)
        any_filter = filtered(params, column)
        if value == LATEST and column in version_fields(t):
            title, every = "表示する版", "すべての版"
            choices = [(str(vid), label) for vid, label in names["versions"]]
        else:
            field = t.field(column)
            title, every = field["title"], "すべて"
            choices = [(str(c["value"]), c["label"]) for c in field.get("categories", [])]
        out.append(
            {
                "title": title,
                "choices": [
                    {"label": label, "href": _href(path, [*kept, (column, v), MARKER]), "current": current == v}
                    for v, label in choices
                ],
                "every": {"label": every, "href": _href(path, [*kept, MARKER]), "current": not any_filter},
            }
        )
    return out


def query_switch(path: str, params: list[tuple[str, str]], names: dict) -> dict:
    """The versions a canned query can read, the one it reads (the latest unless chosen) marked."""
    chosen = next((v for k, v in params if k == VERSION_PARAM and v), None) or str(names["latest"])
    kept = [p for p in params if p[0] not in (VERSION_PARAM, "_next")]
    return {
        "title": "表示する版",
        "choices": [
            {"label": label, "href": _href(path, [*kept, (VERSION_PARAM, str(vid))]), "current": chosen == str(vid)}
            for vid, label in names["versions"]
        ],
        "every": None,
    }


def facet_values(table: str, facet: dict, names: dict) -> list[dict]:
    """A facet's values in their own order (codes as tables.yaml lists them, numbers by size), each with the name
    the portal gives it: a code's label, a goal as 「基本目標３」, a version by its name."""
    field = next((f for f in schema_table(table).fields if f["name"] == facet["name"]), None) if table else None
    labels = {c["value"]: c["label"] for c in (field or {}).get("categories", [])}
    named = names.get(facet["name"], {})
    order = list(labels)
    out = []
    for v in facet["results"]:
        value = v["value"]
        if value in labels:
            shown = labels[value]
        elif value in named:
            shown = named[value]
        else:
            shown = v["label"]
        out.append({**v, "shown": shown})
    if labels:
        return sorted(out, key=lambda v: order.index(v["value"]) if v["value"] in order else len(order))
    if all(isinstance(v["value"], int) for v in out):
        return sorted(out, key=lambda v: v["value"])
    return out
