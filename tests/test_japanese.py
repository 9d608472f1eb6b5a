"""The Japanese the portal writes itself reads cleanly, on every page.

What a page says is read as a browser shows it (white space in the HTML made
one space, none between blocks), and the text quoted from the source document
(every text of the database, as the pages show it) is taken out, so that
only the portal's own words are checked:

* no half-width space after 、 or 。, and none between two Japanese characters
  (a line break inside a sentence of a template shows as one);
* no version name in brackets inside brackets (「（変更後（改訂後）、4件）」);
* no code's label quoted as the end of a sentence (「改訂で「追加された事業で設定しない」。」);
* a link is pressed (押す), not chosen (選ぶ).
"""

from __future__ import annotations

import re
import sqlite3
from html import unescape
from html.parser import HTMLParser

import pytest

from portal import paths
from portal.pipeline.display import names
from portal.pipeline.schema import package_meta, tables

from .test_web import portal_pages

#: the document's words for a part it leaves out (its spaces are the document's)
OMITTED = "－ 省 略 －"
#: the separators the extraction puts where a block ends and where a quoted text was taken out
BLOCK, QUOTED = "\u2029", "\u2028"
#: the Japanese characters between which a half-width space is a stray one (not 「＞」, which joins a section's parts)
JAPANESE = r"[\u3001-\u303f\u3040-\u30ff\u4e00-\u9fff\uff01-\uff1d\uff1f-\uff5e]"
#: elements that start a new block: no space is seen where one ends and the next begins
BLOCKS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "aside", "nav", "header", "footer", "main", "table", "tr", "td", "th", "caption", "thead", "tbody", "br",
    "details", "summary", "figure", "figcaption", "form", "fieldset", "legend", "label", "select", "option", "pre",
}  # fmt: skip
#: Datasette's pages of every kind that the portal's templates word
DATASETTE = [
    "/data/",
    "/data/strategy",
    "/data/strategy/kpis",
    "/data/strategy/kpis?_all=1",
    "/data/strategy/kpis/1",
    "/data/strategy/changes",
    "/data/strategy/kpi_comparison",
    "/data/strategy/kpis_per_goal",
    "/data/strategy?sql=select+*+from+change",
]


def block_classes() -> set[str]:
    """The classes the portal's style sheets show as blocks (display: block, grid, flex, inline-block): a line
    break in the HTML beside one of them is not seen as a space."""
    css = "".join((paths.STATIC / name).read_text(encoding="utf-8") for name in ("portal.css", "datasette.css"))
    out = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if re.search(r"display:\s*(block|grid|flex|inline-block)", body):
            for selector in selectors.split(","):
                last = selector.split()[-1] if selector.split() else ""
                out |= set(re.findall(r"\.([A-Za-z][\w-]*)", last))
    return out


BLOCK_CLASSES = block_classes()
#: elements without an end tag
VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "base", "embed", "track"}


class Visible(HTMLParser):
    """The text a browser shows: scripts, styles and code left out, white space as the browser renders it."""

    SKIP = {"script", "style", "code", "kbd", "pre", "textarea", "head", "svg"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []
        self.stack: list[bool] = []  #: per open element: whether it is shown as a block
        self.form_skipped = 0

    def handle_starttag(self, tag, attrs):
        # the SQL editor's form of Datasette's query page is worded with the SQL surface's own work (query.html)
        if tag == "form" and "sql" in (dict(attrs).get("class") or "").split():
            self.form_skipped += 1
            tag = "textarea"
        if tag in self.SKIP:
            if not self.depth:
                self.parts.append(QUOTED)  # code and the like: names, not words of a sentence
            self.depth += 1
        classes = set((dict(attrs).get("class") or "").split())
        block = tag in BLOCKS or bool(classes & BLOCK_CLASSES)
        if tag not in VOID:
            self.stack.append(block)
        if block:
            self.parts.append(BLOCK)

    def handle_endtag(self, tag):
        if tag == "form" and self.form_skipped:
            self.form_skipped -= 1
            tag = "textarea"
        if tag in self.SKIP and self.depth:
            self.depth -= 1
        if self.stack.pop() if self.stack else tag in BLOCKS:
            self.parts.append(BLOCK)

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


#: what a screen reader hears of a marked difference; taken out so the quoted text reads whole again
DIFF_LABELS = re.compile(r"［(削除|追加)］")


def visible(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    text = DIFF_LABELS.sub("", re.sub(r"[ \t\r\n]+", " ", unescape("".join(parser.parts))))
    return re.sub(rf" *{BLOCK}[ {BLOCK}]*", BLOCK, text)


def shown(text: str) -> set[str]:
    """A text of the database as the pages show it: its lines as blocks (<br>), or joined by a space (Datasette's
    cells); white space made one space."""
    lines = [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    return {BLOCK.join(lines), " ".join(lines)}


@pytest.fixture(scope="module")
def quoted(built) -> list[str]:
    """Every text of the database that the pages quote from the source, longest first.

    The versions' names and descriptions and the units' meanings are the
    portal's own words (the sources manifest, vocabulary.yaml), so they stay
    and are checked.
    """
    own = {("versions", "label"), ("versions", "description"), ("versions", "column_label"), ("units", "title")}
    conn = sqlite3.connect(built.db)
    texts: set[str] = set()
    for t in tables():
        for f in t.fields:
            # codes are never shown (their labels are the portal's words), nor are ids and numbers
            if f["type"] == "string" and "categories" not in f and (t.name, f["name"]) not in own:
                for (v,) in conn.execute(f'SELECT DISTINCT "{f["name"]}" FROM "{t.name}"'):
                    texts |= shown(v) if v else set()
    conn.close()
    # the source's title, as the package and the attribution write it; and the portal's name, a name with a space
    meta = package_meta()
    texts |= {meta["source"]["name"], meta["source"]["title"], *(names()[k] for k in ("site", "site_short"))}
    texts.add(meta["license"]["title"].split("（")[0])  # a licence's own name
    # the document's mark of a part it leaves out, quoted as it writes it
    texts.add(OMITTED)
    return sorted((x for x in texts if len(x) > 1 and not x.isascii()), key=len, reverse=True)


def authored(html: str, quoted: list[str]) -> str:
    text = visible(html)
    for q in quoted:
        if q in text:
            text = text.replace(q, QUOTED)
    return text


def problems(text: str, version_names: list[str], labels: list[str]) -> list[str]:
    out = []
    for m in re.finditer(r"[、。] ", text):
        out.append("「、」「。」の後の半角スペース：…" + text[max(0, m.start() - 12) : m.end() + 12])
    for m in re.finditer(rf"(?<={JAPANESE})(?<![、。]) (?={JAPANESE})", text):
        out.append("日本語の間の半角スペース：…" + text[max(0, m.start() - 12) : m.end() + 12])
    for name in version_names:
        if "（" + name in text:
            out.append(f"括弧の中に括弧つきの版の名前：（{name}")
    for label in labels:
        if f"「{label}」。" in text:
            out.append(f"文の終わりに引用された名前：「{label}」。")
    for m in re.finditer(r"選ぶと", text):
        out.append("リンクは「押す」：…" + text[max(0, m.start() - 12) : m.end() + 4])
    return out


@pytest.fixture(scope="module")
def words(built):
    conn = sqlite3.connect(built.db)
    names = [r[0] for r in conn.execute("SELECT label FROM versions") if "（" in r[0]]
    conn.close()
    labels = sorted({c["label"] for t in tables() for f in t.fields for c in f.get("categories", [])})
    return names, labels


def test_the_check_finds_what_it_looks_for():
    text = visible(
        "<p>資料４を、\n新旧対照表が</p><p>（変更後（改訂後）、4件）</p><p>改訂で「追加」。</p><p>名前を選ぶと</p>"
    )
    found = problems(text, ["変更後（改訂後）"], ["追加"])
    assert len(found) == 4, found
    # a line break between blocks, or a space before ASCII, is no stray space
    assert problems(visible("<p>ました。</p>\n<p>この</p><p>基準値 7,740人</p>"), [], []) == []


def test_every_page_is_in_clean_japanese(client, portal, quoted, words):
    pages = {url: body for url, body in portal_pages(client).items() if body}
    pages |= {url: portal.get(url).text for url in DATASETTE}
    assert len(pages) > 40
    found = {}
    for url, body in pages.items():
        bad = problems(authored(body, quoted), *words)
        if bad:
            found[url] = sorted(set(bad))
    assert found == {}, "\n".join(f"{url}: {b}" for url, bs in found.items() for b in bs)
