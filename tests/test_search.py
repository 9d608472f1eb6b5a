"""Japanese search: the bigram index finds exactly what a substring search finds, two-character words included."""

import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.pipeline.load import search_texts
from portal.pipeline.schema import tables
from portal.search import SEARCHABLE, match_query, normalize, pieces

WORDS = [
    "保育",
    "給食",
    "出生",
    "事業",
    "率",  # one and two characters
    "保育所",
    "医療費",
    "ICT",
    "ｉｃｔ",  # three
    "子育て支援",
    "デジタル",
    "地域ブランド",  # four and more
    "保育 ICT",
    "給食 無償",
    "デジタル 観光",
    "保育　学童",  # several terms (AND), full-width space too
    "観光PR",
    "R5：小学生",
]


def fts_ids(built_db, table, query):
    return {
        r[0] for r in built_db.execute(f"select rowid from {table}_fts where {table}_fts match ?", [match_query(query)])
    }


@pytest.fixture(scope="module")
def texts(built_db):
    """Each searchable row's texts: its own columns and those of the related rows tables.yaml names for it."""
    rows = {t.name: [dict(r) for r in built_db.execute(f'select * from "{t.name}"')] for t in tables()}
    return {name: search_texts(rows, name, columns) for name, columns in SEARCHABLE.items()}


@pytest.mark.parametrize("table", list(SEARCHABLE))
@pytest.mark.parametrize("word", WORDS)
def test_index_matches_substring_search(built_db, texts, table, word):
    expected = {
        row_id
        for row_id, values in texts[table]
        if all(any(t in normalize(v or "") for v in values) for t in [normalize(x) for x in word.split()])
    }
    assert fts_ids(built_db, table, word) == expected


def test_a_kpi_is_found_by_its_project_and_its_goal(built_db):
    """子育て is in no KPI's name, but in projects' descriptions and a goal's title: those KPIs are found."""
    found = fts_ids(built_db, "kpis", "子育て")
    assert found
    own = {r["id"] for r in built_db.execute("select * from kpis") if "子育て" in normalize(r["name"] or "")}
    assert own == set()
    goal3 = {r[0] for r in built_db.execute("select id from kpis where goal_no = 3")}
    assert goal3 <= found


def test_two_character_words_are_found(built_db):
    assert len(fts_ids(built_db, "projects", "保育")) >= 9
    names = {
        r[0]
        for r in built_db.execute(
            "select name from projects where id in ({})".format(
                ",".join(map(str, fts_ids(built_db, "projects", "給食")))
            )
        )
    }
    assert names == {"学校給食費無償化事業"}
    kpi_names = {
        r[0]
        for r in built_db.execute(
            "select name from kpis where id in ({})".format(",".join(map(str, fts_ids(built_db, "kpis", "出生"))))
        )
    }
    assert kpi_names == {"出生数"}


def test_a_two_character_word_is_not_dropped_from_a_mixed_query(built_db):
    both = fts_ids(built_db, "projects", "保育 ICT")
    assert both and both == fts_ids(built_db, "projects", "保育") & fts_ids(built_db, "projects", "ICT")
    assert fts_ids(built_db, "texts", "保育 デジタル") == fts_ids(built_db, "texts", "保育") & fts_ids(
        built_db, "texts", "デジタル"
    )
    assert fts_ids(built_db, "projects", "給食 ICT") == set()


def test_pieces():
    assert pieces("保育サービス") == "保育 育サ サー ービ ビス ス"
    assert pieces("観光 PR") == "観光 光p pr r"
    assert match_query("子育て") == '"子育 育て"'
    assert match_query("   ") == '""'


texts_strategy = st.sampled_from(
    [
        "保育サービスの充実を図る。",
        "デジタル技術等を活用した効果的な観光 PRを推進する。",
        "高校生以下の医療費を無料化し（R5：小学生以下 R6：高校生以下）",
        "1,625千人（令和元年）",
    ]
)


@settings(max_examples=200, deadline=None)
@given(texts_strategy, st.data())
def test_any_substring_is_found(text, data):
    norm = normalize(text)
    i = data.draw(st.integers(0, len(norm) - 1))
    j = data.draw(st.integers(i + 1, len(norm)))
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t using fts5(body, tokenize='ascii')")
    conn.execute("insert into t(rowid, body) values (1, ?)", [pieces(text)])
    conn.execute("insert into t(rowid, body) values (2, ?)", [pieces("まったく別の文")])
    found = {r[0] for r in conn.execute("select rowid from t where t match ?", [match_query(norm[i:j])])}
    assert 1 in found
    assert (2 in found) == (norm[i:j] in normalize("まったく別の文"))


def test_search_page(client):
    def page(q: str) -> str:
        # matched words are wrapped in <mark>: read the text as a reader sees it
        return re.sub(r"</?mark>", "", client.get("/search", query_string={"q": q}).get_data(as_text=True))

    body = page("給食")
    assert "学校給食費無償化事業" in body
    body = page("出生")
    assert "出生数" in body
    body = page("保育所")
    assert "市立保育所開放事業" in body
    body = page("子育て支援")
    assert "子育て支援センター事業" in body
    body = page("保育 給食")
    assert "「保育 給食」を含むもの：" in body
