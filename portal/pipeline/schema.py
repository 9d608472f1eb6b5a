"""The Table Schema (tables.yaml) and what is derived from it: SQLite DDL, cell formats, labels of codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .tables_check import TablesError, check, package_field

SCHEMA_FILE = Path(__file__).with_name("tables.yaml")

#: Table Schema type → SQLite column type.  NUMERIC keeps 7740 an integer and 57.7 a real.
SQLITE_TYPES = {"integer": "INTEGER", "number": "NUMERIC", "string": "TEXT", "boolean": "INTEGER"}


@dataclass(frozen=True)
class Table:
    """One published table: its descriptor from tables.yaml."""

    descriptor: dict

    @property
    def name(self) -> str:
        return self.descriptor["name"]

    @property
    def title(self) -> str:
        return self.descriptor["title"]

    @property
    def description(self) -> str:
        return self.descriptor["description"]

    @property
    def fields(self) -> list[dict]:
        return self.descriptor["fields"]

    @property
    def columns(self) -> list[str]:
        return [f["name"] for f in self.fields]

    @property
    def primary_key(self) -> list[str]:
        return self.descriptor["primaryKey"]

    @property
    def foreign_keys(self) -> list[dict]:
        return self.descriptor.get("foreignKeys", [])

    @property
    def display(self) -> dict:
        """How the table is shown (tables.yaml `display`): facets, label column, reading order, search, defaults."""
        return self.descriptor.get("display", {})

    def field(self, name: str) -> dict:
        return next(f for f in self.fields if f["name"] == name)

    def table_schema(self) -> dict:
        """The Frictionless Table Schema of this table."""
        schema: dict[str, Any] = {"fields": [package_field(f) for f in self.fields], "primaryKey": self.primary_key}
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        schema["missingValues"] = [""]
        return schema

    def ddl(self) -> str:
        """CREATE TABLE for SQLite, with types, NOT NULL, keys and foreign keys from the schema."""
        cols = []
        for f in self.fields:
            col = f'"{f["name"]}" {SQLITE_TYPES[f["type"]]}'
            if f.get("constraints", {}).get("required"):
                col += " NOT NULL"
            if f["type"] == "boolean":
                col += f' CHECK ("{f["name"]}" IN (0, 1))'
            cols.append(col)
        cols.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in self.primary_key) + ")")
        for fk in self.foreign_keys:
            ref = fk["reference"]["resource"] or self.name
            cols.append(
                "FOREIGN KEY ("
                + ", ".join(f'"{c}"' for c in fk["fields"])
                + f') REFERENCES "{ref}" ('
                + ", ".join(f'"{c}"' for c in fk["reference"]["fields"])
                + ")"
            )
        return f'CREATE TABLE "{self.name}" (\n  ' + ",\n  ".join(cols) + "\n)"

    def index_columns(self) -> list[list[str]]:
        """Columns worth an index: every foreign key, and the columns people filter on (its facets and defaults)."""
        wanted = [fk["fields"] for fk in self.foreign_keys]
        wanted += [[name] for name in [*self.display.get("facets", []), *self.display.get("defaults", {})]]
        out: list[list[str]] = []
        for cols in wanted:
            if cols not in out and cols != self.primary_key:
                out.append(cols)
        return out


def _with_enum(f: dict) -> dict:
    """A field whose codes are listed as `categories` gets its `enum` constraint from them.

    The values are written once, in `categories` (Table Schema v2, each with
    its Japanese label); the `enum` constraint is what validators of Table
    Schema v1 (frictionless 5) check.
    """
    if "categories" not in f:
        return f
    constraints = f.get("constraints", {})
    out = {k: v for k, v in f.items() if k not in ("constraints", "example", "categories")}
    out["constraints"] = {**constraints, "enum": [c["value"] for c in f["categories"]]}
    if "example" in f:
        out["example"] = f["example"]
    out["categories"] = f["categories"]
    return out


#: a character of Japanese text: between two of them, a line break of folded YAML is no space
_JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
#: after these, Japanese puts no space whatever follows (「…です。PDF の」)
_CLOSING = "、。，．）」』"


def fold(lines: list[str]) -> str:
    """The lines of a folded block (>-) as one line: joined with a space, except between two Japanese characters,
    where Japanese puts none (YAML's own folding would put a space there: 「を 一つの表」)."""
    out = ""
    for line in (x.strip() for x in lines):
        if not line:
            continue
        if out and not (_JAPANESE.match(out[-1]) and (_JAPANESE.match(line[0]) or out[-1] in _CLOSING)):
            out += " "
        out += line
    return out


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, with folded blocks (>-) joined as Japanese text joins its lines (fold)."""

    def construct_scalar(self, node):
        if isinstance(node, yaml.ScalarNode) and node.style == ">":
            raw = self.buffer[node.start_mark.index : node.end_mark.index]
            return fold(raw.split("\n")[1:])
        return super().construct_scalar(node)


def load_yaml(text: str):
    """Read YAML text (tables.yaml, the sources manifest) with folded blocks joined as Japanese text (fold)."""
    return yaml.load(text, Loader=_Loader)  # a subclass of SafeLoader: no object is made from the text


@cache
def load_schema() -> dict:
    """tables.yaml as a dictionary (package metadata, names, counts, groups, queries, resources), checked.

    A file that is not as the portal needs it is a TablesError naming each key
    at fault (tables_check.py).
    """
    try:
        schema = load_yaml(SCHEMA_FILE.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TablesError(f"{SCHEMA_FILE.name}:{mark.line + 1 if mark else ''}: YAML として読めません") from exc
    check(schema, SCHEMA_FILE.name)
    for resource in schema["resources"]:
        resource["fields"] = [_with_enum(f) for f in resource["fields"]]
    return schema


def package_meta() -> dict:
    return load_schema()["package"]


def tables() -> list[Table]:
    return [Table(r) for r in load_schema()["resources"]]


def table(name: str) -> Table:
    """One table of the schema; a name it does not have is a KeyError."""
    found = next((t for t in tables() if t.name == name), None)
    if found is None:
        raise KeyError(f"{name}: no such table in {SCHEMA_FILE.name}")
    return found


def labels(table_name: str, field_name: str) -> dict[Any, str]:
    """The Japanese label of every code value of a field, in the schema's order.

    labels("changes", "change_type")["kpi_added"] → 「指標の追加」.  An unknown
    table or field, or a field without codes, is a KeyError, so a misspelt name
    does not give an empty dict.
    """
    f = next((f for t in tables() if t.name == table_name for f in t.fields if f["name"] == field_name), None)
    if f is None or "categories" not in f:
        raise KeyError(f"{table_name}.{field_name}: no categories in {SCHEMA_FILE.name}")
    return {c["value"]: c["label"] for c in f["categories"]}


def to_cell(value: Any, field: dict) -> str:
    """A value as it is written in the CSV files (empty for NULL, true/false for booleans)."""
    if value is None:
        return ""
    if field["type"] == "boolean":
        return "true" if value else "false"
    if field["type"] == "number":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    return str(value)


def to_json(value: Any, field: dict) -> Any:
    """A value as it is written in JSON: numbers as numbers, booleans as booleans, NULL as null."""
    if value is None:
        return None
    if field["type"] == "boolean":
        return bool(value)
    if field["type"] == "number" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: how the files made for people (Excel CSV, xlsx) write true and false
YES_NO = {True: "はい", False: "いいえ"}


def version_fields(t: Table) -> set[str]:
    """The fields of a table that hold a version id (a foreign key to versions)."""
    return {c for fk in t.foreign_keys if fk["reference"]["resource"] == "versions" for c in fk["fields"]}


def for_people(value: Any, field: dict, version_labels: dict[int, str] | None = None) -> Any:
    """A value as the files made for people show it: codes as their Japanese labels, はい/いいえ, versions by name.

    Numbers stay numbers and NULL stays None; the CSV and JSON made for
    programs keep the codes (to_cell, to_json).
    """
    if value is None:
        return None
    if "categories" in field:
        return {c["value"]: c["label"] for c in field["categories"]}[value]
    if field["type"] == "boolean":
        return YES_NO[bool(value)]
    if version_labels is not None and value in version_labels:
        return version_labels[value]
    return to_json(value, field)
