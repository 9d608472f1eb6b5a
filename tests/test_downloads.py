"""Downloads a journalist can trust: formats, checksums, catalog metadata and HTTP behaviour."""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import re
import sqlite3
import zipfile
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlite_utils
from frictionless import validate

from portal.pipeline.schema import SQLITE_TYPES, table, tables, version_fields

TABLES = [t.name for t in tables()]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def manifest(built):
    return json.loads((built.downloads / "files.json").read_text(encoding="utf-8"))


#: the heading of the column the files for people add after 基本目標番号 (tables.yaml `value_labels`)
GOAL_HEADING = "基本目標"
GOAL_NAMES = {
    "1": "基本目標１\u3000安定した雇用を創出し、地域人材の活躍の場をつくる",
    "2": "基本目標２\u3000新しいひとの流れをつくる",
    "3": "基本目標３\u3000若い世代の結婚・出産・子育ての希望をかなえる",
    "4": "基本目標４\u3000安心して暮らし続けることができる地域をつくる",
}


def people_heading(t, f: dict) -> str:
    """A column's heading in the files for people: its title, a version column's without 「ID」 (it shows names)."""
    return f["title"].removesuffix("ID") if f["name"] in version_fields(t) else f["title"]


def people_layout(t, headings: list[str]) -> list[dict | None]:
    """The schema field under each heading of a file for people (None: the goal's name after 基本目標番号), checking
    that every column is there once, the reading order of tables.yaml first and ids and references last."""
    by_heading = {people_heading(t, f): f for f in t.fields}
    assert len(by_heading) == len(t.fields), t.name
    named = "goal_no" in t.columns and t.name != "goals"
    if named:
        assert headings[headings.index("基本目標番号") + 1] == GOAL_HEADING
    fields = [None if named and h == GOAL_HEADING else by_heading[h] for h in headings]
    names = [f["name"] for f in fields if f]
    assert sorted(names) == sorted(t.columns), t.name
    reading = t.display.get("reading", [])
    assert names[: len(reading)] == reading, t.name
    rest = names[len(reading) :]
    late = [
        i
        for i, n in enumerate(rest)
        if n == "id" or n.endswith(("_id", "_line")) or n.startswith(("municipality_", "source_"))
    ]
    assert late == list(range(len(rest) - len(late), len(rest))), (t.name, names)
    return fields


def test_excel_csv_has_bom_and_japanese_headers_plain_csv_does_not(built):
    for name in TABLES:
        plain = (built.downloads / f"{name}.csv").read_bytes()
        excel = (built.downloads / f"{name}.excel.csv").read_bytes()
        assert not plain.startswith(b"\xef\xbb\xbf")
        assert excel.startswith(b"\xef\xbb\xbf")
        t = next(t for t in tables() if t.name == name)
        plain_rows = list(csv.DictReader(io.StringIO(plain.decode("utf-8"))))
        excel_rows = list(csv.reader(io.StringIO(excel.decode("utf-8-sig"))))
        assert list(plain_rows[0]) == t.columns
        fields = people_layout(t, excel_rows[0])
        assert len(plain_rows) == len(excel_rows) - 1
        for plain_row, excel_row in zip(plain_rows, excel_rows[1:], strict=True):
            for f, shown in zip(fields, excel_row, strict=True):
                if f is None:
                    assert shown == GOAL_NAMES.get(plain_row["goal_no"], ""), (name, shown)
                    continue
                code = plain_row[f["name"]]
                assert shown == people_text(f, code, t.name), (name, f["name"], code, shown)


VERSION_NAMES = {"1": "変更前（当初の第２期総合戦略）", "2": "変更後（改訂後）"}


def people_text(f: dict, code: str, table_name: str) -> str:
    """What the Excel CSV should show for a cell of the plain CSV, read from the schema."""
    if code == "":
        return ""
    if "categories" in f:
        return next(c["label"] for c in f["categories"] if str(c["value"]) == code)
    if f["type"] == "boolean":
        return {"true": "はい", "false": "いいえ"}[code]
    if f["name"] in version_fields(table(table_name)):
        return VERSION_NAMES[code]
    return code


def test_municipality_code_keeps_its_leading_zero_everywhere(built):
    plain = list(csv.DictReader(io.StringIO((built.downloads / "kpis.csv").read_text(encoding="utf-8"))))
    assert {r["municipality_code"] for r in plain} == {"012262"}
    excel = list(csv.DictReader(io.StringIO((built.downloads / "kpis.excel.csv").read_text(encoding="utf-8-sig"))))
    assert {r["全国地方公共団体コード"] for r in excel} == {"012262"}
    assert {r["地方公共団体名"] for r in excel} == {"北海道砂川市"}
    rows = json.loads((built.downloads / "kpis.json").read_text(encoding="utf-8"))
    assert {r["municipality_code"] for r in rows} == {"012262"}
    conn = sqlite3.connect(built.downloads / "strategy.db")
    assert conn.execute("select distinct municipality_code, typeof(municipality_code) from projects").fetchall() == [
        ("012262", "text")
    ]


def check_digit(code: str) -> int:
    """The check digit of a 全国地方公共団体コード: digits × 6,5,4,3,2, sum mod 11, 11 − r, last digit."""
    r = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True)) % 11
    return (11 - r) % 10


def test_check_digit_of_known_codes():
    assert check_digit("01226") == 2  # 砂川市 012262
    assert check_digit("01425") == 7  # 上砂川町 014257, a different town


def test_the_published_municipality_code_is_sunagawas_with_a_valid_check_digit(built):
    codes = set()
    for path in sorted((built.package / "data").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if "municipality_code" in row:
                    codes.add((row["municipality_code"], row["municipality_name"]))
    assert codes == {("012262", "北海道砂川市")}
    for code, _ in codes:
        assert check_digit(code) == int(code[5])


def test_json_values_are_typed(built):
    rows = json.loads((built.downloads / "kpis.json").read_text(encoding="utf-8"))
    coupon = next(r for r in rows if r["name"] == "クーポンを利用した世帯の割合")
    assert coupon["baseline_value"] == 57.7 and coupon["target_value"] == 60 and isinstance(coupon["target_value"], int)
    assert coupon["target_each_year"] is False and coupon["project_id"] is not None
    dash = next(r for r in rows if r["name"] == "発行した証明書の件数")
    assert dash["baseline_value"] is None and dash["baseline_text"] == "－"
    each = next(r for r in rows if r["name"] == "参加親子組数")
    assert each["target_each_year"] is True and each["target_year"] is None


def test_zip_unpacks_and_validates(built, tmp_path):
    with zipfile.ZipFile(built.downloads / "strategy-datapackage.zip") as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
    root = tmp_path / "sunagawa-strategy2-revision"
    assert "sunagawa-strategy2-revision/README.txt" in names
    # the files for people travel with the programmers' CSVs, the same bytes as the downloads
    for name in TABLES:
        for ext in (".xlsx", ".excel.csv"):
            packed = root / "excel" / f"{name}{ext}"
            assert packed.read_bytes() == (built.downloads / f"{name}{ext}").read_bytes(), (name, ext)
    assert (root / "sources" / "sunagawa-strategy2-revision-comparison-table.txt").exists()
    report = validate(root / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])[:5]
    assert "出典：砂川市" in (root / "README.txt").read_text(encoding="utf-8")


def test_plain_csvs_typed_by_the_schema_reproduce_the_database(built, tmp_path):
    fresh = sqlite_utils.Database(tmp_path / "fresh.db")
    for t in tables():
        with (built.downloads / f"{t.name}.csv").open(encoding="utf-8") as fh:
            fresh[t.name].insert_all(csv.DictReader(fh))  # every value arrives as text
        # type the columns by the Table Schema: empty cell = NULL, booleans from true/false
        types = {f["name"]: SQLITE_TYPES[f["type"]] for f in t.fields}
        for f in t.fields:
            col = f'"{f["name"]}"'
            fresh.execute(f"update \"{t.name}\" set {col} = null where {col} = ''")
            if f["type"] == "boolean":
                fresh.execute(f"update \"{t.name}\" set {col} = ({col} = 'true') where {col} is not null")
        fresh[t.name].transform(types={k: {"INTEGER": int, "NUMERIC": float, "TEXT": str}[v] for k, v in types.items()})
    original = sqlite3.connect(built.db)
    for t in tables():
        cols = ", ".join(f'"{c}"' for c in t.columns)
        order = ", ".join(f'"{c}"' for c in t.primary_key)
        a = original.execute(f'select {cols} from "{t.name}" order by {order}').fetchall()
        b = fresh.execute(f'select {cols} from "{t.name}" order by {order}').fetchall()
        assert a == b, t.name


def test_every_hash_agrees_package_dcat_page_and_served_bytes(built, manifest, live_server):
    package = json.loads((built.package / "datapackage.json").read_text(encoding="utf-8"))
    package_hashes = {r["path"].split("/")[-1]: r["hash"].split(":")[1] for r in package["resources"]}
    dcat = httpx.get(live_server + "/downloads/dcat.jsonld", timeout=30).json()
    dcat_hashes = {
        d["dcat:downloadURL"]["@id"].rsplit("/", 1)[1]: d["spdx:checksum"]["spdx:checksumValue"]
        for d in dcat["dcat:distribution"]
    }
    dcat_sizes = {
        d["dcat:downloadURL"]["@id"].rsplit("/", 1)[1]: int(d["dcat:byteSize"]["@value"])
        for d in dcat["dcat:distribution"]
    }
    page = httpx.get(live_server + "/downloads/", timeout=30).text
    ld = json.loads(
        unescape(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)).replace(
            "<\\/", "</"
        )
    )
    ld_hashes = {d["contentUrl"].rsplit("/", 1)[1]: d["sha256"] for d in ld["distribution"]}
    assert ld["@type"] == "Dataset"
    for f in manifest["files"]:
        served = httpx.get(live_server + "/downloads/" + f["name"], timeout=30)
        assert served.status_code == 200
        digest = sha(served.content)
        assert digest == f["sha256"] == dcat_hashes[f["name"]] == ld_hashes[f["name"]]
        assert len(served.content) == f["bytes"] == dcat_sizes[f["name"]]
        assert digest in page and f"{f['bytes']:,} バイト" in page
        if f["name"] in package_hashes:
            assert digest == package_hashes[f["name"]]
    assert set(package_hashes) <= set(dcat_hashes)


def test_download_headers(live_server, manifest):
    entry = next(f for f in manifest["files"] if f["name"] == "kpis.csv")
    r = httpx.get(live_server + "/downloads/kpis.csv", timeout=30)
    assert r.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert r.headers["content-disposition"] == 'attachment; filename="kpis.csv"'
    assert r.headers["etag"] == f'"{entry["sha256"]}"'
    assert "public" in r.headers["cache-control"] and "must-revalidate" in r.headers["cache-control"]
    assert (
        httpx.get(live_server + "/downloads/kpis.json", timeout=30).headers["content-type"]
        == "application/json; charset=utf-8"
    )
    assert (
        httpx.get(live_server + "/downloads/strategy-datapackage.zip", timeout=30).headers["content-type"]
        == "application/zip"
    )
    not_modified = httpx.get(
        live_server + "/downloads/kpis.csv", headers={"If-None-Match": f'"{entry["sha256"]}"'}, timeout=30
    )
    assert not_modified.status_code == 304 and not_modified.content == b""
    stale = httpx.get(live_server + "/downloads/kpis.csv", headers={"If-None-Match": '"0000"'}, timeout=30)
    assert stale.status_code == 200
    part = httpx.get(live_server + "/downloads/kpis.csv", headers={"Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"] == f"bytes 0-99/{entry['bytes']}"
    assert part.content == r.content[:100]


@pytest.mark.parametrize(
    "raw_path",
    [
        "/downloads/../pyproject.toml",
        "/downloads/%2e%2e/pyproject.toml",
        "/downloads/..%2fpyproject.toml",
        "/downloads/..%5cpyproject.toml",
        "/downloads/kpis.csv%00",
        "/downloads/%00",
        "/downloads/./kpis.csv/../../README.md",
        "/downloads//etc/passwd",
        "/downloads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    ],
)
def test_paths_outside_the_download_set_are_404(live_server, raw_path):
    parts = urlsplit(live_server)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest("GET", raw_path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    assert response.status == 404, (raw_path, response.status)
    assert "[tool" not in body and "root:" not in body


def test_downloads_page(client, manifest):
    body = client.get("/downloads/").get_data(as_text=True)
    for t in TABLES:
        for suffix in (".csv", ".excel.csv", ".json"):
            assert f'href="/downloads/{t}{suffix}"' in body
        assert f'href="/data/strategy/{t}"' in body
    attribution = re.search(r'<code id="attribution">(.*?)</code>', body).group(1)
    assert attribution == "出典：砂川市「第２期砂川市まち・ひと・しごと創生総合戦略 計画変更 新旧対照表」を加工して作成"
    assert "利用条件が記載されていません" in body and "CC BY 4.0" in body
    assert manifest["built_at"] in body and manifest["source_sha256"] in body


def test_data_dictionary_comes_from_the_schema(client):
    body = client.get("/downloads/dictionary").get_data(as_text=True)
    for t in tables():
        assert f'id="{t.name}"' in body
        for f in t.fields:
            assert f"<code>{f['name']}</code>" in body
            assert f["title"] in body
    for words in ("空欄（NULL）", "「－」", "「各年度」", "「千人」"):
        assert words in body


def test_every_example_on_the_api_page_works(live_server, built):
    page = httpx.get(live_server + "/downloads/api", timeout=30).text
    urls = [unescape(u) for u in re.findall(r'<code class="example-url">(.*?)</code>', page)]
    assert len(urls) >= 10
    for url in urls:
        assert url.startswith(live_server)
        r = httpx.get(url, timeout=30)
        assert r.status_code == 200, url
        if ".json" in url:
            data = r.json()
            rows = data if isinstance(data, list) else data["rows"]
            if "status__in=" in url:
                # 「目標値が変わった指標だけ」: as many as the database has (none in this revision)
                wanted = parse_qs(urlsplit(url).query)["status__in"][0].split(",")
                conn = sqlite3.connect(built.db)
                count = conn.execute(
                    f"select count(*) from kpi_comparison where status in ({','.join('?' * len(wanted))})", wanted
                ).fetchone()[0]
                assert len(rows) == count, url
            else:
                assert rows, url
