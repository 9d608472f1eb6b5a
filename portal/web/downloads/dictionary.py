"""The data dictionary (/downloads/dictionary): every table and column in words, from tables.yaml."""

from __future__ import annotations

import re

from flask import current_app, render_template

from ... import links
from ...data import connect
from ...pipeline.schema import Table, labels, tables, to_cell
from ..common import citation
from . import bp

#: the Table Schema types in words (the dictionary's 「型」)
TYPE_WORDS = {
    "integer": "整数",
    "number": "数値（小数を含む）",
    "string": "文字列",
    "boolean": "真偽値（true／false）",
}


def pattern_words(pattern: str) -> str:
    """A pattern constraint as a reader says it: 「半角数字 6 桁」 for [0-9]{6}; any other pattern as written."""
    m = re.fullmatch(r"\[0-9\]\{(\d+)\}", pattern)
    return f"半角数字 {m.group(1)} 桁" if m else f"正規表現 {pattern} に合う形"


def constraint_words(t: Table, f: dict) -> list[str]:
    """The constraints of a field in words, in the order a reader needs them: can it be empty, then its range."""
    c = f.get("constraints", {})
    words = ["必ず値がある" if c.get("required") else "空欄のこともある"]
    if t.primary_key == [f["name"]]:
        words.append("主キー（行を一つに決める）")
    elif c.get("unique"):
        words.append("表の中で重複しない")
    low, high = c.get("minimum"), c.get("maximum")
    if low is not None or high is not None:
        words.append(
            " ".join(
                x for x in (f"{low} 以上" if low is not None else "", f"{high} 以下" if high is not None else "") if x
            )
        )
    if "pattern" in c:
        words.append(pattern_words(c["pattern"]))
    if "enum" in c and "categories" not in f:
        shown = [f"「{v}」" if f["type"] == "string" else to_cell(v, f) for v in c["enum"]]
        words.append("値は" + "・".join(shown) + "のどれか")
    known = {"required", "unique", "minimum", "maximum", "pattern", "enum"}
    # a constraint added to tables.yaml later is shown as written rather than left out
    words.extend(f"{k}: {v}" for k, v in c.items() if k not in known)
    return words


def row_counts() -> dict[str, int]:
    """Rows of every table in the build being served (one COUNT per table; the page is rendered once per build)."""
    conn = connect(current_app.extensions["build"].get().db)
    try:
        return {t.name: conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in tables()}
    finally:
        conn.close()


def dictionary_tables() -> list[dict]:
    """What the data dictionary shows of each table, all of it read from tables.yaml (and the row counts)."""
    titles = {t.name: t.title for t in tables()}
    counts = row_counts()
    out = []
    for t in tables():
        refs = {}
        for fk in t.foreign_keys:
            target = fk["reference"]["resource"] or t.name
            for mine, theirs in zip(fk["fields"], fk["reference"]["fields"], strict=True):
                refs[mine] = {"table": target, "title": titles[target], "field": theirs}
        fields = []
        for f in t.fields:
            fields.append(
                {
                    "name": f["name"],
                    "title": f["title"],
                    "description": f.get("description", ""),
                    "type": TYPE_WORDS.get(f["type"], f["type"]),
                    "constraints": constraint_words(t, f),
                    "codes": list(labels(t.name, f["name"]).items()) if "categories" in f else [],
                    "reference": refs.get(f["name"]),
                    "example": to_cell(f["example"], f) if "example" in f else None,
                }
            )
        out.append(
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "primary_key": t.primary_key,
                "rows": counts[t.name],
                "fields": fields,
            }
        )
    return out


@bp.get("/dictionary")
def dictionary():
    return render_template(
        "downloads/dictionary.html",
        tables=dictionary_tables(),
        type_words=TYPE_WORDS,
        cite=citation(),
        sql=links.database(),
        csv=None,
    )
