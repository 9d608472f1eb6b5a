"""SQLite's and Datasette's error messages in Japanese."""

from __future__ import annotations

import re

#: SQLite's and Datasette's messages for a query that cannot run, in Japanese (the English text as SQLite gives it)
ERRORS = [
    # the portal's own messages about a query (adhoc.py) are Japanese already
    (re.compile(r"^(SQL の問い合わせ.*)$", re.S), "{0}"),
    (re.compile(r"^no such table: (.+) \(nearest: (.+)\)$"), "表「{0}」はありません。近い名前の表：{1}"),
    (re.compile(r"^no such table: (.+)$"), "表「{0}」はありません。表の名前を確かめてください。"),
    (re.compile(r"^no such column: (.+)$"), "列「{0}」はありません。列の名前を確かめてください。"),
    (re.compile(r"^no such function: (.+)$"), "関数「{0}」は使えません。"),
    (re.compile(r'^near "(.+)": syntax error$'), "「{0}」の近くで SQL の書き方に誤りがあります。"),
    (re.compile(r"^incomplete input$"), "SQL が途中で終わっています。"),
    (
        re.compile(r"^ambiguous column name: (.+)$"),
        "列「{0}」がどの表のものか分かりません。「表名.列名」と書いてください。",
    ),
    (re.compile(r"^not authorized$"), "この関数や表は使えません（printf、format など）。"),
    (re.compile(r"^not authorized to use function: (.+)$"), "関数「{0}」は使えません。"),
    (re.compile(r"^Statement must be a SELECT$"), "使えるのは SELECT 文（データを読むこと）だけです。"),
    (re.compile(r"^Statement may not contain PRAGMA$"), "PRAGMA は使えません。"),
    (
        re.compile(r"^(?:SQL query took too long|interrupted)"),
        "SQL の問い合わせが時間の上限（1 秒）を超えたので止めました。条件を絞ってください。",
    ),
    (re.compile(r"^(?:string or blob too big|.*too big)$"), "作られる文字列が大きすぎます。"),
    (re.compile(r"^LIKE or GLOB pattern too complex$"), "LIKE・GLOB のパターンが長すぎます（1,000 文字まで）。"),
    (re.compile(r"^You can only execute one statement at a time$"), "一度に実行できる SQL 文は一つだけです。"),
    (re.compile(r"^Incorrect number of bindings supplied.*"), "SQL の中の :名前 に渡す値の数が合いません。"),
    (re.compile(r"^Table not found: (.+)$"), "表「{0}」はありません。"),
    (re.compile(r"^Table not found$"), "その名前の表はありません。"),
    (re.compile(r"^Database not found: (.+)$"), "データベース「{0}」はありません。"),
    (re.compile(r"^Database not found$"), "その名前のデータベースはありません。"),
    (re.compile(r"^Row not found: (.+)$"), "この行（{0}）はありません。"),
    (re.compile(r"^Record not found$"), "この ID の行はありません。"),
    (re.compile(r"^Cannot sort table by (.+)$"), "列「{0}」では並べ替えられません。"),
    (re.compile(r"^Cannot use _sort and _sort_desc at the same time$"), "昇順と降順の並べ替えは同時に指定できません。"),
    (re.compile(r"^_size must be a positive integer$"), "「_size」には正の整数を指定してください。"),
    (re.compile(r"^_size must be <= (\d+)$"), "「_size」は {0} 以下にしてください。"),
    (re.compile(r"^Invalid _facet"), "ファセット（_facet）の指定が正しくありません。"),
]


def error_in_japanese(message: str) -> str | None:
    """A message of SQLite or Datasette in Japanese, or None when it is not one we know."""
    text = str(message).strip()
    for pattern, japanese in ERRORS:
        m = pattern.match(text)
        if m:
            return japanese.format(*m.groups())
    return None
