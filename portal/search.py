"""Japanese full-text search with a bigram index.

SQLite's trigram tokenizer cannot find two-character words (医療, 交通, 人口)
and silently drops them from mixed queries.  Here every searchable text is
normalised (NFKC, lower case, no white space) and stored as overlapping
two-character pieces — 「まちづくり」 → 「まち ちづ づく くり り」 — in
an FTS5 table with the ``ascii`` tokenizer, which splits on spaces only.  A
query term becomes the phrase of its own pieces, so a match is exactly a
substring match of the normalised text; a one-character term is a prefix
query on the pieces.
"""

from __future__ import annotations

import re
import string
import unicodedata

#: ASCII punctuation would split tokens in FTS5's ascii tokenizer: use the full-width forms
_PUNCT = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.punctuation})
_SPACE = re.compile(r"\s+")
#: FTS5 query that matches nothing (an empty phrase)
NO_MATCH = '""'
#: the longest query the portal accepts, in characters
MAX_QUERY = 100
#: the most terms a query may have
MAX_TERMS = 10

#: table → the columns whose text is searched; the FTS table is "<table>_fts", rowid = the row's id
SEARCHABLE: dict[str, list[str]] = {
    "texts": ["text", "section"],
    "projects": ["name", "description"],
    "kpis": ["name", "project_name", "status_text", "note"],
    "related_projects": ["name"],
    "reasons": ["text"],
    "changes": ["before_text", "after_text", "reason", "section"],
}


def normalize(text: str) -> str:
    """The form both the index and queries use: NFKC, lower case, no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).lower()).translate(_PUNCT)


def pieces(text: str) -> str:
    """Overlapping two-character pieces of the normalised text, the last character alone at the end."""
    t = normalize(text)
    return " ".join(t[i : i + 2] for i in range(len(t)))


def document(values: list[str | None]) -> str:
    """The indexed form of several fields: each field cut into pieces on its own."""
    return " ".join(pieces(v) for v in values if v)


def terms(query: str) -> list[str]:
    """The query's terms (split on any white space, full-width spaces included), normalised."""
    return [t for t in (normalize(x) for x in query.split()) if t]


def match_query(query: str) -> str:
    """An FTS5 MATCH expression for the bigram index: every term must occur (AND)."""
    parts = []
    for term in terms(query)[:MAX_TERMS]:
        if len(term) == 1:
            parts.append(f'"{term}"*')
        else:
            parts.append('"' + " ".join(term[i : i + 2] for i in range(len(term) - 1)) + '"')
    return " AND ".join(parts) if parts else NO_MATCH
