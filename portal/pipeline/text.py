"""Small text helpers shared by the parsing stages.

PDF extraction adds spaces that were never in the document (「平成 26 年」) and
breaks lines at the column edge in the middle of words.  These helpers undo
that without touching the wording: ``compact`` is only ever used to compare
or look up, never to store what is shown.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_ASCII_WORD = re.compile(r"[0-9A-Za-z]")


def compact(text: str) -> str:
    """Text with every kind of white space removed: the key for comparing wording."""
    return _SPACE.sub("", text)


def nfkc(text: str) -> str:
    """NFKC form (１→1, ％→%, ＩＣＴ→ICT), for matching numbers and keys only."""
    return unicodedata.normalize("NFKC", text)


def squeeze(text: str) -> str:
    """Strip the ends and fold runs of white space into one space."""
    return _SPACE.sub(" ", text).strip()


def join_wrapped(pieces: list[str]) -> str:
    """Join lines that were wrapped at the column edge.

    Japanese has no spaces between words, so nothing is inserted between the
    pieces, except where both sides of the break are ASCII letters or digits
    (a wrapped English word or number keeps its space).
    """
    out = ""
    for piece in pieces:
        piece = squeeze(piece)
        if not piece:
            continue
        if out and _ASCII_WORD.fullmatch(out[-1]) and _ASCII_WORD.fullmatch(piece[0]):
            out += " "
        out += piece
    return out


def display_width(text: str) -> int:
    """Width in half-width cells, as the line occupied the page (full-width = 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text.strip())


def to_int(digits: str) -> int:
    """An integer written with ASCII or full-width digits."""
    return int(nfkc(digits))
