"""Character-level differences between the 変更前 and 変更後 texts.

Japanese has no spaces between words, so the comparison is by character.
White space is left out of the comparison and never marked: the PDF
extraction put spaces and line breaks in different places in the two
columns, and those are not edits.  Two texts that share little (an
indicator given way to 「設定しない」) are not edits of each other either: the
one is marked deleted and the other inserted, whole, rather than a few
characters they happen to share left unmarked.
"""

from __future__ import annotations

import difflib

from markupsafe import Markup, escape

#: below this likeness (difflib's ratio) two texts are one removed and another added, not one edited
UNLIKE = 0.3


def _marks(before: str, after: str) -> tuple[list[bool], list[bool]]:
    b_idx = [i for i, ch in enumerate(before) if not ch.isspace()]
    a_idx = [i for i, ch in enumerate(after) if not ch.isspace()]
    b_marked = [False] * len(before)
    a_marked = [False] * len(after)
    sm = difflib.SequenceMatcher(None, [before[i] for i in b_idx], [after[i] for i in a_idx], autojunk=False)
    if sm.ratio() < UNLIKE:
        return [not ch.isspace() for ch in before], [not ch.isspace() for ch in after]
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        for k in range(i1, i2):
            b_marked[b_idx[k]] = True
        for k in range(j1, j2):
            a_marked[a_idx[k]] = True
    return b_marked, a_marked


def _render(text: str, marked: list[bool], tag: str, label: str) -> Markup:
    n = len(text)
    # white space between two marked characters belongs to their run
    before_marked, after_marked = [False] * n, [False] * n
    last = False
    for i in range(n):
        before_marked[i] = last
        if not text[i].isspace():
            last = marked[i]
    last = False
    for i in reversed(range(n)):
        after_marked[i] = last
        if not text[i].isspace():
            last = marked[i]
    inside = [marked[i] or (text[i].isspace() and before_marked[i] and after_marked[i]) for i in range(n)]
    out: list[str] = []
    i = 0
    while i < n:
        j = i
        while j < n and inside[j] == inside[i]:
            j += 1
        chunk = _html(text[i:j])
        if inside[i]:
            chunk = f'<{tag} class="diff"><span class="visually-hidden">{label}</span>{chunk}</{tag}>'
        out.append(chunk)
        i = j
    return Markup("".join(out))


def _html(s: str) -> str:
    return str(escape(s)).replace("\n", "<br>")


def char_diff(before: str | None, after: str | None) -> tuple[Markup, Markup]:
    """The two texts as HTML, deleted characters in <del> and inserted ones in <ins>."""
    before, after = before or "", after or ""
    b_marked, a_marked = _marks(before, after)
    return (
        _render(before, b_marked, "del", "［削除］"),
        _render(after, a_marked, "ins", "［追加］"),
    )
