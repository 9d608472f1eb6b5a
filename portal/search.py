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

from .pipeline.display import searchable

#: ASCII punctuation would split tokens in FTS5's ascii tokenizer: use the full-width forms
_PUNCT = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.punctuation})
_SPACE = re.compile(r"\s+")
#: FTS5 query that matches nothing (an empty phrase)
NO_MATCH = '""'
#: the longest query the portal accepts, in characters
MAX_QUERY = 100
#: the most terms a query may have
MAX_TERMS = 10

#: table → the columns whose text is searched (tables.yaml `display.search`), in the order the results page lists
#: them; the FTS table is "<table>_fts", rowid = the row's id.  A row is also found by the text of the related
#: rows tables.yaml names for it (`search.related`, written into the index by pipeline/load.py).
SEARCHABLE: dict[str, list[str]] = searchable()


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


def segments(text: str) -> list[tuple[int, int, str]]:
    """The text cut into pieces that normalise on their own: (start, end, normalised piece).

    Joined, the normalised pieces are exactly normalize(text), so a position in
    the normalised text — where the index and a substring search find a term —
    points back to the characters of the original it came from.  A piece is
    one character, or a character with what NFKC joins to it (a base letter and
    its combining mark); white space normalises to nothing.  Should the pieces
    ever not add up (a rule of NFKC or lower() that looks further than one
    character), the whole text is one piece, so a match still maps to text
    that contains it.
    """
    cut: list[list] = []  # [start, end, original text] of each piece
    for i, ch in enumerate(text):
        if cut:
            start, _, current = cut[-1]
            joined = text[start : i + 1]
            if unicodedata.combining(ch) or _nfkc(joined) != _nfkc(current) + _nfkc(ch):
                cut[-1] = [start, i + 1, joined]
                continue
        cut.append([i, i + 1, ch])
    out = [(s, e, normalize(t)) for s, e, t in cut]
    if "".join(form for _, _, form in out) != normalize(text):
        return [(0, len(text), normalize(text))] if text else []
    return out


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def match_spans(text: str, query_terms: list[str]) -> list[tuple[int, int]]:
    """Where the (normalised) terms occur in `text`, as (start, end) positions in the original text.

    Found the way the index finds them: in the normalised text, so a term
    matches whatever its case or width and across white space that the PDF
    extraction put inside a word; the span then covers that white space too.
    Overlapping occurrences (of one term or of several) make one span; spans
    that only touch stay apart, so each span reads as the term it stands for.
    """
    segs = segments(text)
    owner: list[int] = []
    for k, (_, _, form) in enumerate(segs):
        owner.extend([k] * len(form))
    norm = "".join(s[2] for s in segs)
    found: list[tuple[int, int]] = []
    for term in query_terms:
        if not term:
            continue
        at = norm.find(term)
        while at != -1:
            found.append((at, at + len(term)))
            at = norm.find(term, at + 1)
    spans: list[list[int]] = []
    for a, b in sorted(found):
        start, end = segs[owner[a]][0], segs[owner[b - 1]][1]
        if spans and start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [(s, e) for s, e in spans]
