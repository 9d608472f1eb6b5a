"""tables.yaml is checked when it is loaded: its shape against a JSON Schema, each table's Table Schema with
frictionless, and every name it uses against what it defines.  Each error names the key it is about
(「resources[kpis].display.facets[2]」), so a slip in the one file that every surface reads stops the build
and the server at once, saying where.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SHAPE_FILE = Path(__file__).with_name("tables.schema.yaml")
#: the keys of a code's entry that are the portal's own: they stay out of the published Table Schema
PORTAL_CATEGORY_KEYS = ("sentence", "count_sentence", "short", "tone", "lineage", "noun")
#: the portal's keys that, given for one code of a field, must be given for all (`lineage` is for some codes only)
EVERY_CODE_KEYS = ("sentence", "count_sentence", "short", "tone", "noun")
#: placeholders of the canned queries' SQL (tables.yaml `queries`)
QUERY_PLACEHOLDER = re.compile(r"\{(labels|codes|count):([^}]*)\}|\{version\}")
#: a default value that means "the newest version", for a column that holds a version
LATEST = "latest"


class TablesError(ValueError):
    """tables.yaml is not as the portal needs it; the message lists every problem with its key."""


@cache
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(yaml.safe_load(SHAPE_FILE.read_text(encoding="utf-8")))


def where(raw: dict, path) -> str:
    """A key path in words a reader of tables.yaml finds: resources[kpis].fields[status].categories[1]."""
    out, node = "", raw
    for key in path:
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and key < len(node) else None
            # a table, column, group or code is named by its name, key or value rather than its position
            name = next((item[k] for k in ("name", "key", "value") if isinstance(item, dict) and k in item), None)
            out += f"[{name}]" if isinstance(name, str | int) else f"[{key}]"
        else:
            out += ("." if out else "") + str(key)
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return out or "（ファイル全体）"


def check(raw: Any, name: str = "tables.yaml") -> None:
    """Raise TablesError naming every problem of `raw` (tables.yaml as read by YAML)."""
    if not isinstance(raw, dict):
        raise TablesError(f"{name}: 辞書（キーと値の組）になっていません")
    problems = [
        f"{where(raw, e.absolute_path)}: {e.message}"
        for e in sorted(_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if not problems:
        problems = _table_schemas(raw) + _references(raw)
    if problems:
        raise TablesError(f"{name} に誤りがあります:\n" + "\n".join(f"  {p}" for p in problems))


def package_field(f: dict) -> dict:
    """A field as the published Table Schema has it: its codes with value and label only."""
    if "categories" not in f:
        return f
    return {**f, "categories": [{k: c[k] for k in ("value", "label")} for c in f["categories"]]}


def _table_schemas(raw: dict) -> list[str]:
    """Each table's Table Schema, as frictionless reads it."""
    from frictionless import FrictionlessException, Schema

    out = []
    for r in raw["resources"]:
        descriptor = {"fields": [package_field(f) for f in r["fields"]], "primaryKey": r["primaryKey"]}
        if "foreignKeys" in r:
            descriptor["foreignKeys"] = r["foreignKeys"]
        try:
            errors = list(Schema.metadata_validate(descriptor))
        except FrictionlessException as exc:
            errors = [exc.error]
        out += [f"resources[{r['name']}]: {e.message}" for e in errors]
        for f in r["fields"]:
            key = f"resources[{r['name']}].fields[{f['name']}]"
            if "categories" in f and "enum" in f.get("constraints", {}):
                out.append(f"{key}: 値は categories にだけ書き、enum には書きません")
            # what one code of a field says, every code says: a page may read it of any of them
            for word in EVERY_CODE_KEYS:
                lacking = [str(c["value"]) for c in f.get("categories", []) if word not in c]
                if lacking and len(lacking) < len(f["categories"]):
                    out.append(f"{key}.categories: 「{word}」のないコードがあります：{'、'.join(lacking)}")
    return out


def _references(raw: dict) -> list[str]:
    """Every table, column, code, group and count rule that a setting names must exist."""
    refs = _Refs(raw)
    for t, r in refs.tables.items():
        _table_references(refs, t, r)
    _count_references(refs, raw)
    groups = _group_references(refs, raw)
    _label_references(refs, raw)
    _query_references(refs, raw, groups)
    return refs.out


class _Refs:
    """The tables and columns of tables.yaml, and what names one that is not there."""

    def __init__(self, raw: dict) -> None:
        self.tables = {r["name"]: r for r in raw["resources"]}
        self.columns = {t: {f["name"]: f for f in r["fields"]} for t, r in self.tables.items()}
        self.out: list[str] = []

    def column(self, key: str, table: str, name: str) -> bool:
        if table not in self.columns:
            self.out.append(f"{key}: 表「{table}」は resources にありません")
            return False
        if name not in self.columns[table]:
            self.out.append(f"{key}: 「{name}」は表 {table} の列ではありません（列：{'、'.join(self.columns[table])}）")
            return False
        return True

    def codes_of(self, table: str, name: str) -> list | None:
        f = self.columns.get(table, {}).get(name)
        return [c["value"] for c in f["categories"]] if f and "categories" in f else None

    def versions(self, table: str) -> set[str]:
        return {
            c
            for fk in self.tables[table].get("foreignKeys", [])
            if fk["reference"]["resource"] == "versions"
            for c in fk["fields"]
        }


def _table_references(refs: _Refs, t: str, r: dict) -> None:
    """A table's keys and display settings name its own columns and codes."""
    key = f"resources[{t}]"
    for i, c in enumerate(r["primaryKey"]):
        refs.column(f"{key}.primaryKey[{i}]", t, c)
    for i, fk in enumerate(r.get("foreignKeys", [])):
        target = fk["reference"]["resource"] or t
        for c in fk["fields"]:
            refs.column(f"{key}.foreignKeys[{i}]", t, c)
        for c in fk["reference"]["fields"]:
            refs.column(f"{key}.foreignKeys[{i}].reference", target, c)
    d = r.get("display", {})
    for setting in ("facets", "reading", "shown"):
        for i, c in enumerate(d.get(setting, [])):
            refs.column(f"{key}.display.{setting}[{i}]", t, c)
    if "label_column" in d:
        refs.column(f"{key}.display.label_column", t, d["label_column"])
    for c, value in d.get("defaults", {}).items():
        if not refs.column(f"{key}.display.defaults.{c}", t, c):
            continue
        codes = refs.codes_of(t, c)
        if value == LATEST:
            if c not in refs.versions(t):
                refs.out.append(
                    f"{key}.display.defaults.{c}: 「{LATEST}」は版の列（versions への外部キー）にだけ使えます"
                )
        elif codes is None or value not in codes:
            refs.out.append(f"{key}.display.defaults.{c}: 「{value}」は {c} のコードではありません")
    search = d.get("search", {})
    for setting in ("columns", "names"):
        for i, c in enumerate(search.get(setting, [])):
            refs.column(f"{key}.display.search.{setting}[{i}]", t, c)
    for i, rel in enumerate(search.get("related", [])):
        rkey = f"{key}.display.search.related[{i}]"
        for theirs, mine in rel["match"].items():
            refs.column(f"{rkey}.match", rel["table"], theirs) and refs.column(f"{rkey}.match", t, mine)
        for c in rel["columns"]:
            refs.column(f"{rkey}.columns", rel["table"], c)
    if "page" in d:
        for c in re.findall(r"\{(\w+)\}", d["page"]["url"]):
            refs.column(f"{key}.display.page.url", t, c)


def _count_references(refs: _Refs, raw: dict) -> None:
    """The count rules name columns and their codes."""
    for rule, spec in raw["counts"].items():
        for t, condition in spec["where"].items():
            for c, value in condition.items():
                ckey = f"counts.{rule}.where.{t}.{c}"
                if not refs.column(ckey, t, c):
                    continue
                codes = refs.codes_of(t, c)
                wanted = value if isinstance(value, list) else [] if isinstance(value, dict) else [value]
                for v in wanted:
                    if codes is not None and v not in codes:
                        refs.out.append(f"{ckey}: 「{v}」は {t}.{c} のコードではありません")


def _group_references(refs: _Refs, raw: dict) -> dict[str, set[str]]:
    """The groups of codes name codes of their column, each once; the keys of each field's groups."""
    groups: dict[str, set[str]] = {}
    for field, spec in raw["groups"].items():
        t, _, c = field.partition(".")
        gkey = f"groups.{field}"
        if not refs.column(gkey, t, c):
            continue
        codes = refs.codes_of(t, c)
        if codes is None:
            refs.out.append(f"{gkey}: 列 {field} にはコード（categories）がありません")
            continue
        seen: list = []
        keys = [g["key"] for g in spec["groups"]]
        if len(set(keys)) != len(keys):
            refs.out.append(f"{gkey}: 同じ key のグループが二つあります")
        groups[field] = set(keys)
        for g in spec["groups"]:
            for v in g["codes"]:
                if v not in codes:
                    refs.out.append(f"{gkey}.groups[{g['key']}].codes: 「{v}」は {field} のコードではありません")
            seen += g["codes"]
        if spec.get("cover") == "all":
            twice = sorted({str(v) for v in seen if seen.count(v) > 1})
            missing = [str(v) for v in codes if v not in seen]
            if twice:
                refs.out.append(f"{gkey}: 二つのグループにあるコード：{'、'.join(twice)}")
            if missing:
                refs.out.append(f"{gkey}: どのグループにもないコード：{'、'.join(missing)}")
    return groups


def _label_references(refs: _Refs, raw: dict) -> None:
    """Column roles are regular expressions; value labels and books name columns that exist."""
    for role, pattern in raw["column_roles"].items():
        try:
            re.compile(pattern)
        except re.error as exc:
            refs.out.append(f"column_roles.{role}: 正規表現として読めません（{exc}）")

    for name, spec in raw["value_labels"].items():
        vkey = f"value_labels.{name}"
        if not any(name in cols for cols in refs.columns.values()):
            refs.out.append(f"{vkey}: 「{name}」という列の表がありません")
        refs.column(f"{vkey}.key", spec["table"], spec["key"])
        for form in ("short", "long"):
            for c in re.findall(r"\{(\w+)\}", spec[form]):
                refs.column(f"{vkey}.{form}", spec["table"], c)

    for name, book in raw["books"].items():
        for t in book["tables"]:
            for c in book["filters"]:
                refs.column(f"books.{name}.filters", t, c)


def _query_references(refs: _Refs, raw: dict, groups: dict[str, set[str]]) -> None:
    """The canned queries' placeholders name columns with codes, groups and count rules that exist."""
    for name, q in raw["queries"].items():
        qkey = f"queries.{name}.sql"
        for m in QUERY_PLACEHOLDER.finditer(q["sql"]):
            kind, arg = m.group(1), (m.group(2) or "").split(":")
            if kind is None:  # {version}
                continue
            if kind == "labels":
                t, _, c = arg[0].partition(".")
                if len(arg) != 2 or not refs.column(qkey, t, c) or refs.codes_of(t, c) is None:
                    refs.out.append(f"{qkey}: {m.group(0)} は {{labels:表.列:式}}（コードのある列）で書きます")
            elif kind == "codes":
                if len(arg) != 2 or arg[1] not in groups.get(arg[0], ()):
                    refs.out.append(f"{qkey}: {m.group(0)} のグループは groups にありません")
            elif len(arg) != 3 or arg[0] not in raw["counts"] or arg[1] not in raw["counts"][arg[0]]["where"]:
                refs.out.append(
                    f"{qkey}: {m.group(0)} は {{count:数え方:表:別名}}（counts にある数え方と表）で書きます"
                )
