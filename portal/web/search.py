"""検索 /search?q=: what the bigram index finds, arranged for someone asking "what changed about …?".

The index (portal.search) has one row per row of each table, and the plan's
tables hold every version, so an entry that did not change is found once per
version.  Here the rows of such an entry (each continuing the one before it,
reading the same) become one hit, marked with the versions it is in; an entry
found in one version only says which.  Changes and their
reasons come first, then the plan itself.  Every occurrence of every term
is marked where it was found, the same way the index matched it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from flask import Blueprint, abort, current_app, render_template, request, url_for
from markupsafe import Markup, escape

from .. import links
from ..data import Data, connect
from ..pipeline.display import naming, search_related, shown
from ..pipeline.schema import table as schema_table
from ..search import MAX_QUERY, MAX_TERMS, SEARCHABLE, match_query, match_spans, terms
from .common import citation
from .summary import item

bp = Blueprint("search", __name__)

#: the result sections, in the order tables.yaml ranks them (`display.search.rank`)
ORDER = tuple(SEARCHABLE)
#: per table of the plan (which has every version): the fields a hit shows (`display.shown`)
SHOWN = {t: shown(t) for t in ORDER if shown(t)}
#: hits listed per section; the rest are one link away (Datasette's table search uses the same index)
LIMIT = 50
#: control characters other than the white space that separates terms are not text anyone searches for
_CONTROL = {chr(c) for c in range(32)} - set("\t\n\r") | {"\x7f"}


@dataclass
class Hit:
    """One entry found: a row (the newest when several versions have it), and the versions it stands for."""

    row: dict
    versions: tuple[int, ...] = ()
    changes: list[dict] = field(default_factory=list)
    order: tuple = ()
    #: for a change, its sentence of 「主な変更」 (what the hit is headed by)
    sentence: str | None = None
    #: text of related rows the hit was found by, when its own text does not have the words: (title, text)
    via: list[tuple[str, str]] = field(default_factory=list)

    def href(self, table: str) -> str:
        """The page that shows the entry: of its newest version when it is in several."""
        r = self.row
        if table in ("changes", "reasons"):
            return url_for("changes.change", change_id=r["id"] if table == "changes" else self.changes[0]["id"])
        if table == "kpis":
            return url_for("kpis.kpi", kpi_id=r["id"])
        v = r["version_id"]
        if table == "texts" and r["kind"] == "paragraph":
            return url_for("pages.about", _anchor=f"history-{v}")
        if table == "texts" and r["kind"] == "direction":
            return url_for("goals.goal", goal_no=r["goal_no"], v=v, _anchor="directions")
        return url_for("goals.goal", goal_no=r["goal_no"], v=v, _anchor=f"m{r['measure_id']}")


@dataclass
class Section:
    table: str
    title: str
    hits: list[Hit]
    rows: int  #: rows of the table that matched, both versions counted (what Datasette's search lists)
    query: str

    @property
    def shown(self) -> list[Hit]:
        return self.hits[:LIMIT]

    @property
    def more(self) -> str:
        """Datasette's search of this table, for the hits not listed here."""
        return links.table(self.table, _all=True, _search=self.query)


def query_param() -> str:
    """The query `q`; 400 for what no one types: over-long, control characters, or bytes that are not UTF-8."""
    try:
        # Werkzeug replaces undecodable bytes with U+FFFD; read the raw query to refuse them instead
        parse_qsl(request.query_string.decode("utf-8"), encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        abort(400, description="検索語を読み取れませんでした（文字コードは UTF-8 にしてください）。")
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY:
        abort(400, description=f"検索語は {MAX_QUERY} 文字までにしてください。")
    if any(c in _CONTROL for c in q):
        abort(400, description="検索語に使えない文字が含まれています。")
    return q


def search_ids(conn, table: str, query: str) -> list[int]:
    """Row ids of `table` whose text contains every term of the query."""
    return [
        r[0]
        for r in conn.execute(
            f'SELECT rowid FROM "{table}_fts" WHERE "{table}_fts" MATCH ? ORDER BY rowid', [match_query(query)]
        )
    ]


def same_entry(table: str, a: dict, b: dict) -> bool:
    """Whether two rows show the same text, white space aside (the PDF extraction adds spaces)."""
    return all("".join((a[f] or "").split()) == "".join((b[f] or "").split()) for f in SHOWN[table])


def source_order(row: dict) -> tuple:
    """Where a row is in the documents: its document, page, then line (the 変更前 column is read before the 変更後)."""
    return (
        row.get("document_id") or 0,
        row.get("source_page") or 0,
        row.get("source_line_start") or row.get("source_line") or 0,
        row["id"],
    )


def plan_hits(d: Data, table: str, ids: list[int]) -> list[Hit]:
    """Hits of a table of the plan: linked rows that read the same in consecutive versions are one hit.

    Entries found in one version only come first (those are what a revision
    added, removed or reworded), then entries found in several, each group in
    the order of the documents; the rows before and after a rewording stand
    next to each other.  A hit carries every change that touches one of its rows.
    """
    rows = [d.get(table, i) for i in ids]
    found = set(ids)
    # row id → the found row that continues it and reads the same (one entry)
    successor = {
        r["previous_id"]: r
        for r in rows
        if r["previous_id"] in found and same_entry(table, r, d.get(table, r["previous_id"]))
    }
    continued = {r["id"] for r in successor.values()}
    hits = []
    for head in rows:
        if head["id"] in continued:
            continue  # part of the entry of an older row
        members = [head]
        while members[-1]["id"] in successor:
            members.append(successor[members[-1]["id"]])
        changes = {
            c["id"]: c for m in members for side in ("after", "before") for c in d.changes_for(table, side, m["id"])
        }
        r = members[-1]
        hits.append(
            Hit(
                row=r,
                versions=tuple(m["version_id"] for m in members),
                changes=list(changes.values()),
                # a reworded entry's rows stand together, at the place of its oldest row
                order=(
                    len(members) > 1,
                    source_order(d.get(table, head["previous_id"]) or head),
                    r["version_id"],
                ),
            )
        )
    return sorted(hits, key=lambda h: h.order)


def ranked(hits: list[Hit], table: str, words: list[str]) -> list[Hit]:
    """Hits found in what names them first (a change's sentence, a name, a heading), then those found only in long
    text, shorter before longer; the order found so far within each (stable)."""

    def named(h: Hit) -> bool:
        head = ([h.sentence] if h.sentence else []) + [h.row.get(k) for k in naming(table)]
        return any(match_spans(t, words) for t in head if t)

    def length(h: Hit) -> int:
        return sum(len(h.row.get(c) or "") for c in SEARCHABLE[table])

    return sorted(hits, key=lambda h: (not named(h), length(h)) if table == "changes" else (not named(h),))


def related_found(d: Data, table: str, row: dict, words: list[str]) -> list[tuple[str, str]]:
    """The related rows' texts (tables.yaml `display.search.related`) that have the words, each with its title."""
    out = []
    for rel in search_related(table):
        for other in d.table(rel["table"]):
            if all(other[theirs] == row[mine] for theirs, mine in rel["match"].items()):
                for c in rel["columns"]:
                    if other[c] and match_spans(other[c], words):
                        out.append((f"{schema_table(rel['table']).field(c)['title']}", other[c]))
    return out


def find(conn, d: Data, q: str) -> list[Section]:
    """Every section with at least one hit, in the order of ORDER; within a section, names before long text."""
    words = terms(q)[:MAX_TERMS]
    sections = []
    for table in ORDER:
        ids = search_ids(conn, table, q)
        if not ids:
            continue
        if table in SHOWN:
            hits = plan_hits(d, table, ids)
        elif table == "reasons":
            # a reason leads to the changes it explains
            hits = [
                Hit(row=d.get(table, i), changes=[c for c in d.table("changes") if c["reason_id"] == i]) for i in ids
            ]
        else:
            hits = [Hit(row=d.get(table, i)) for i in ids]
        for h in hits:
            if table == "changes":
                h.sentence = item(d, h.row).sentence(html=False)
            own = [h.row.get(c) for c in SEARCHABLE[table]]
            if search_related(table) and not all(any(match_spans(t, [w]) for t in own if t) for w in words):
                h.via = related_found(d, table, h.row, words)
        sections.append(
            Section(
                table=table, title=schema_table(table).title, hits=ranked(hits, table, words), rows=len(ids), query=q
            )
        )
    return sections


#: how many characters a snippet shows on each side of the first match
SNIPPET = 40


def snippet(text: str | None, words: list[str]) -> str:
    """A long text cut to the place of its first match, with 「…」 where it was cut; a short one whole."""
    if not text or len(text) <= 2 * SNIPPET + 20:
        return text or ""
    spans = match_spans(text, words)
    if not spans:
        return text[: 2 * SNIPPET] + "…"
    start, end = spans[0]
    a, b = max(0, start - SNIPPET), min(len(text), end + SNIPPET)
    return ("…" if a else "") + text[a:b] + ("…" if b < len(text) else "")


def every_version_label(versions: list[dict]) -> str:
    """How a hit in every version is marked: 「変更前・変更後とも」 with one 新旧対照表."""
    if len(versions) == 2:
        return "・".join(v["column_label"] for v in versions) + "とも"
    return "すべての版とも"


def version_tagger(versions: list[dict]):
    """The words that say which versions a hit is in: one version's name, the first and last of a run of
    consecutive versions, or 「…とも」 for all of them."""
    label = {v["id"]: v["label"] for v in versions}
    every = every_version_label(versions)

    def tag(hit: Hit) -> str:
        vs = hit.versions
        if len(vs) == len(versions):
            return every
        if len(vs) == 1:
            return label[vs[0]]
        return f"{label[vs[0]]}{'・' if len(vs) == 2 else '～'}{label[vs[-1]]}"

    return tag


def total(sections: list[Section]) -> int:
    return sum(len(s.hits) for s in sections)


def suggestions(conn, d: Data, q: str) -> list[dict]:
    """Shorter queries that do find something, when `q` finds nothing: each term alone, or a shorter word.

    Each suggestion carries the number of hits its own search page shows.
    """
    words = terms(q)[:MAX_TERMS]
    if len(words) > 1:
        tries = [list(dict.fromkeys(words))]
    else:
        # the longest beginning or end of the word that is found, longest first
        tries = [list(dict.fromkeys([words[0][:n], words[0][-n:]])) for n in range(len(words[0]) - 1, 1, -1)]
    for candidates in tries:
        found = [{"q": c, "count": total(find(conn, d, c))} for c in candidates]
        found = [f for f in found if f["count"]]
        if found:
            return found
    return []


def highlighter(query_terms: list[str]):
    """A template filter: text with every occurrence of every term in <mark>, everything else escaped."""

    def highlight(text: str | None, multiline: bool = False) -> Markup:
        if not text:
            return Markup("")
        out = []
        at = 0
        for start, end in match_spans(text, query_terms):
            out.append(escape(text[at:start]))
            out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
            at = end
        out.append(escape(text[at:]))
        html = Markup("").join(out)
        return Markup("<br>").join(html.split("\n")) if multiline else html

    return highlight


@bp.get("/search")
def search():
    q = query_param()
    words = terms(q)
    sections: list[Section] = []
    hints: list[dict] = []
    build = current_app.extensions["build"].get()
    d = build.data
    if words:
        conn = connect(build.db)
        try:
            sections = find(conn, d, q)
            if not sections:
                hints = suggestions(conn, d, q)
        finally:
            conn.close()
    versions = sorted(d.table("versions"), key=lambda v: v["seq"])
    return render_template(
        "search/search.html",
        q=q,
        sections=sections,
        total=total(sections),
        searched=bool(words),
        dropped=words[MAX_TERMS:],
        max_terms=MAX_TERMS,
        hints=hints,
        hint_each=len(words) > 1,
        limit=LIMIT,
        highlight=highlighter(words[:MAX_TERMS]),
        snip=lambda text: snippet(text, words[:MAX_TERMS]),
        version_tag=version_tagger(versions),
        # a change's two sides: 変更前 / 変更後 with one 新旧対照表, else the versions' own names
        side_label={v["id"]: v["column_label"] if len(versions) == 2 else v["label"] for v in versions},
        both_label=every_version_label(versions),
        two_versions=len(versions) == 2,
        cite=citation(),
        sql=links.database(),
        csv=None,
    )
