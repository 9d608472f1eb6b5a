"""The KPI page (/kpis/<id>): values written as the document writes them, ※ marks linked to their notes,
versions named from the data, a values table that says each fact once, and a chart that says something
— 「－」 drawn as words, two targets when the revision changed one, text readable on a phone."""

from __future__ import annotations

import re
import shutil
from html import unescape
from html.parser import HTMLParser

import pytest

from portal import paths
from portal.pipeline.build import build
from portal.web import chart

from .browser import describe, open_page, run_axe


def store(app):
    return app.extensions["build"].get().data


def kpi_of(app, name: str, version: int = 2) -> dict:
    return next(k for k in store(app).table("kpis") if k["name"] == name and k["version_id"] == version)


def page(client, app, name: str, version: int = 2) -> str:
    r = client.get(f"/kpis/{kpi_of(app, name, version)['id']}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def labels(app) -> dict[int, str]:
    return {v["id"]: v["label"] for v in store(app).table("versions")}


class Cells(HTMLParser):
    """The rows of one table (by class) as lists of cell texts, header row first."""

    def __init__(self, cls: str):
        super().__init__()
        self.cls, self.depth, self.rows, self.cell = cls, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or self.cls in (dict(attrs).get("class") or "").split()):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def table(body: str, cls: str) -> list[list[str]]:
    parser = Cells(cls)
    parser.feed(body)
    assert parser.rows, f"no table.{cls}"
    return parser.rows


def svg(body: str) -> str:
    found = re.findall(r'<svg class="kpi-chart".*?</svg>', body, re.S)
    assert len(found) == 1, "the page has one chart"
    return found[0]


def svg_texts(drawing: str) -> list[str]:
    """What the chart writes, one entry per <text> line (its tspans joined), title and desc left out."""
    return [unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r"<text\b.*?</text>", drawing, re.S)]


def bars(drawing: str) -> list[tuple[str, float]]:
    """(class, width) of each bar in drawing order."""
    return [(cls, float(w)) for w, cls in re.findall(r'<rect [^>]*width="([\d.]+)"[^>]*class="([^"]+)"', drawing)]


def sentences(body: str) -> list[str]:
    """The words of the page's explaining paragraphs, without markup."""
    return [unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r'<p class="kpi-sentence">(.*?)</p>', body, re.S)]


def main(body: str) -> str:
    return body[body.index("<main") : body.index("</main>")]


def test_employment_marks_link_to_their_notes(app, client):
    body = page(client, app, "就業者数")
    kpi = kpi_of(app, "就業者数")
    assert (kpi["name_mark"], kpi["target_mark"]) == ("※１", "※２")
    # the marks stand where the document writes them: ※１ on the name, ※２ on the target value
    assert '<h1 class="kpi-title">就業者数<sup><a href="#note-1">※１</a></sup></h1>' in body
    assert '<span class="kpi-amount">6,300人<sup><a href="#note-2">※２</a></sup></span>' in body
    assert "7,740人<sup>" not in body  # the baseline has no mark
    assert '<li id="note-1">※１ 国勢調査の数値による</li>' in body
    assert re.search(
        r'<li id="note-2">※２ 人口減少に伴い生産年齢人口が減少しても、[^<]+目標値を設定している。</li>', body
    )
    # every note link of the page lands on an element of the page
    targets = set(re.findall(r'href="#([^"]+)"', main(body)))
    assert targets == {"note-1", "note-2"}
    assert all(f'id="{t}"' in body for t in targets)
    assert table(body, "kpi-values-table") == [
        ["区分", "時点", "値"],
        ["基準値", "平成27年（2015年）", "7,740人"],
        ["目標値", "令和７年（2025年）", "6,300人※２"],
    ]
    assert sentences(body) == ["基準値は平成27年（2015年）の7,740人です。目標値は令和７年（2025年）に6,300人※２です。"]
    drawing = svg(body)
    assert f'<title id="chart-{kpi["id"]}-t">就業者数の基準値と目標値</title>' in drawing
    assert "平成27年（2015年）の基準値は7,740人、令和７年（2025年）の目標値は6,300人※２。" in drawing
    assert svg_texts(drawing) == ["基準値平成27年（2015年）", "7,740人", "目標値令和７年（2025年）", "6,300人※２"]
    (base_cls, base_w), (target_cls, target_w) = bars(drawing)
    assert "kpi-chart-baseline" in base_cls and "kpi-chart-target" in target_cls
    assert target_w / base_w == pytest.approx(6300 / 7740, abs=0.01)


def test_births_bare_mark_links_to_its_note(app, client):
    body = page(client, app, "出生数")
    assert '<h1 class="kpi-title">出生数<sup><a href="#note-1">※</a></sup></h1>' in body
    assert '<li id="note-1">※住民基本台帳上の出生数（１～12月）</li>' in body


def test_versions_are_named_from_the_data(app, client):
    names = labels(app)
    body = page(client, app, "就業者数")
    assert f'<p class="kpi-kind">数値目標／{names[2]}</p>' in body
    rows = table(body, "kpi-life-table")
    assert rows[0] == ["項目", names[1], names[2]]
    assert rows[3] == ["基準値", "7,740人平成27年（2015年）", "7,740人平成27年（2015年）"]
    before = page(client, app, "就業者数", version=1)
    assert f'<p class="kpi-kind">数値目標／{names[1]}</p>' in before
    assert table(before, "kpi-life-table")[0] == ["項目", names[1], names[2]]  # oldest first on either page
    removed = page(client, app, "対象者１人当たりの助成額", version=1)
    assert "指標を置かないことに変更</span>：この改訂で、事業の指標「対象者１人当たりの助成額」をやめ" in removed


def test_a_dash_baseline_draws_the_target_alone_with_words(app, client):
    body = page(client, app, "発行した証明書の件数")
    assert kpi_of(app, "発行した証明書の件数")["baseline_value"] is None
    drawing = svg(body)
    assert [c for c, _ in bars(drawing)] == ["kpi-chart-bar kpi-chart-target"]
    assert svg_texts(drawing) == [
        "基準値令和２年（2020年）",
        "基準値なし（資料では「－」）",
        "目標値令和７年（2025年）",
        "2,121件",
    ]
    assert "令和２年（2020年）の基準値はありません（資料では「－」）、令和７年（2025年）の目標値は2,121件。" in drawing
    assert table(body, "kpi-values-table")[1] == [
        "基準値",
        "令和２年（2020年）",
        "基準値なし（資料では「－」）値がないことを表し、0 ではありません",
    ]
    assert sentences(body) == [
        "基準値は「－」で、令和２年（2020年）の時点で値がありません（「－」は値がないことを表し、0 ではありません）。"
        "目標値は令和７年（2025年）に2,121件です。"
    ]
    assert not re.search(r"(?<![\d,.])0件", body)  # never shown as zero


def test_every_year_target_is_explained(app, client):
    body = page(client, app, "病児・病後児保育充足率")
    assert table(body, "kpi-values-table")[1:] == [
        ["基準値", "令和元年（2019年）", "100％"],
        ["目標値", "各年度特定の年ではなく毎年度", "100％"],
    ]
    assert sentences(body) == [
        "基準値は令和元年（2019年）の100％です。目標値は100％で、「各年度」とあるため、特定の年ではなく毎年度この値を目指します。"
    ]
    drawing = svg(body)
    assert "目標値各年度" in svg_texts(drawing)
    assert "各年度の目標値は100％" in drawing
    # percentages are drawn against 100％: two equal, full bars
    (_, base_w), (_, target_w) = bars(drawing)
    assert base_w == target_w


def test_thousands_of_people_are_explained(app, client):
    body = page(client, app, "観光入込客数")
    assert table(body, "kpi-values-table")[1:] == [
        ["基準値", "令和元年（2019年）", "1,625千人"],
        ["目標値", "令和７年（2025年）", "1,638千人"],
    ]
    assert sentences(body) == [
        "基準値は令和元年（2019年）の1,625千人です。目標値は令和７年（2025年）に1,638千人です。",
        "単位の「千人」は人数（千人単位）です。1,625千人は1,625,000人、1,638千人は1,638,000人です。",
    ]
    assert svg_texts(svg(body))[1::2] == ["1,625千人", "1,638千人"]
    assert not re.search(r"(?<![\d,])16[23]\d(?![\d,])", main(body))  # no number without its separator


def test_numbers_are_written_as_the_document_writes_them(app, client):
    body = page(client, app, "クーポンを利用した世帯の割合")
    assert table(body, "kpi-values-table")[1:] == [
        ["基準値", "令和元年（2019年）", "57.7％"],
        ["目標値", "令和７年（2025年）", "60％"],
    ]
    body = page(client, app, "創業支援事業に基づく新規創業件数及び事業承継件数")
    assert [r[2] for r in table(body, "kpi-values-table")[1:]] == ["２件", "４件"]
    assert svg_texts(svg(body))[1::2] == ["２件", "４件"]


def test_the_values_table_says_each_fact_once(app, client):
    """No column repeats another (the old 「値」 and 「資料の表記」), and no value is written twice in a row."""
    for kpi in store(app).table("kpis"):
        if kpi["status"] != "set":
            continue
        body = client.get(f"/kpis/{kpi['id']}").get_data(as_text=True)
        rows = table(body, "kpi-values-table")
        header, cells = rows[0], rows[1:]
        assert len(set(header)) == len(header), header
        columns = list(zip(*cells, strict=True))
        for i in range(len(columns)):
            for j in range(i + 1, len(columns)):
                assert columns[i] != columns[j], (kpi["id"], header[i], header[j])
        for row in cells:
            assert len(set(row)) == len(row), (kpi["id"], row)
        # each value once: 「100％ → 100％」 is written twice, 「7,740人 → 6,300人」 once each
        written = "".join(c for row in cells for c in row)
        assert written.count(kpi["target_text"]) == 1 + (kpi["baseline_text"] == kpi["target_text"]), (kpi["id"], row)


@pytest.fixture(scope="module")
def changed_build(tmp_path_factory):
    """A build of a copy of the document whose 変更後 column raises one target (75 → 80 事業者)."""
    root = tmp_path_factory.mktemp("changed-target")
    sources = root / "datapackage" / "sources"
    sources.mkdir(parents=True)
    source = sources / paths.SOURCE_NAME
    shutil.copyfile(paths.SOURCE, source)
    text = source.read_text(encoding="utf-8")
    old, new = "21事業者   75事業者", "21事業者   80事業者"
    assert text.count(old) == 2  # 変更前, then 変更後
    second = text.index(old, text.index(old) + 1)
    source.write_text(text[:second] + new + text[second + len(old) :], encoding="utf-8")
    return build(source, root / "db" / "strategy.db", root / "datapackage")


@pytest.fixture(scope="module")
def changed_app(changed_build):
    from portal.web import create_app

    return create_app({"DB": changed_build.db, "TESTING": True})


@pytest.fixture(scope="module")
def changed_server(changed_build, tmp_path_factory):
    """The real `portal serve` over the changed build."""
    from .conftest import start_server, stop_server

    proc, base, log_fh = start_server(changed_build.db, tmp_path_factory.mktemp("changed-server") / "server.log")
    yield base
    stop_server(proc, log_fh)


@pytest.mark.parametrize("version", [2, 1])
def test_a_changed_target_draws_both_targets_each_labelled(changed_app, version):
    name = "チームを構成する事業者数"
    names = labels(changed_app)
    kpi = kpi_of(changed_app, name, version)
    body = changed_app.test_client().get(f"/kpis/{kpi['id']}").get_data(as_text=True)
    drawing = svg(body)
    assert svg_texts(drawing) == [
        "基準値令和元年（2019年）",
        "21事業者",
        "目標値令和７年（2025年）",
        names[1],
        "75事業者",
        "目標値令和７年（2025年）",
        names[2],
        "80事業者",
    ]
    (_, base), (old_cls, old), (new_cls, new) = bars(drawing)
    # the bar of this page's version is filled; the other version's is drawn in outline
    assert ("kpi-chart-other" in old_cls) == (version == 2) and ("kpi-chart-other" in new_cls) == (version == 1)
    assert old / new == pytest.approx(75 / 80, abs=0.01) and base / new == pytest.approx(21 / 80, abs=0.01)
    assert (
        f"{names[1]}では令和７年（2025年）の目標値は75事業者、{names[2]}では令和７年（2025年）の目標値は80事業者。"
        in drawing
    )
    assert table(body, "kpi-values-table")[1:] == [
        ["基準値", "令和元年（2019年）", "21事業者"],
        ["目標値" + names[1], "令和７年（2025年）", "75事業者"],
        ["目標値" + names[2], "令和７年（2025年）", "80事業者"],
    ]
    assert sentences(body) == [
        f"基準値は令和元年（2019年）の21事業者です。目標値は改訂で変わりました。"
        f"{names[1]}では令和７年（2025年）に75事業者、{names[2]}では令和７年（2025年）に80事業者です。"
    ]
    assert (
        "目標値を上方修正</span>：この改訂で、目標値が75事業者（令和７年）から80事業者（令和７年）に上がりました。"
        in body
    )
    assert '<a href="/changes/' in body


def test_an_unchanged_target_is_drawn_once(app, client):
    drawing = svg(page(client, app, "チームを構成する事業者数"))
    assert len(bars(drawing)) == 2
    assert not any(label in svg_texts(drawing) for label in labels(app).values())


def test_notes_belong_to_the_longest_mark_they_start_with():
    kpi = {"name_mark": "※", "baseline_mark": None, "target_mark": "※１", "note": "※１ 一つめ\n※ 二つめ\n※２ 三つめ"}
    assert [(n["id"], n["mark"]) for n in chart.notes(kpi)] == [("note-1", "※１"), ("note-2", "※"), ("note-3", None)]
    assert chart.note_ids(kpi) == {"※１": "note-1", "※": "note-2"}


def test_the_chart_escapes_what_the_data_says():
    row = chart.Value("基準値", "<b>年</b>", False, "1&2<script>", 1, "件", None, None, "<i>版</i>", True)
    drawing = chart.kpi_chart("<title>", [row], "c")
    assert "<script>" not in drawing and "<b>" not in drawing and "<i>" not in drawing
    assert "&lt;script&gt;" in drawing and "&lt;title&gt;" in drawing


#: what the browser measures: every element of the chart's figure and the values table that draws text,
#: with the size it is drawn at in CSS pixels (an SVG's font size times the SVG's scale on screen)
MEASURE = """() => {
  const out = [];
  const svgBox = document.querySelector('svg.kpi-chart').getBoundingClientRect();
  for (const root of document.querySelectorAll('figure.kpi-figure, table.kpi-values-table')) {
    for (const e of root.querySelectorAll('*')) {
      if (['title', 'desc', 'style'].includes(e.tagName)) continue;
      const own = [...e.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent).join('');
      if (!own) continue;
      let size = parseFloat(getComputedStyle(e).fontSize);
      const inSvg = e instanceof SVGElement;
      if (inSvg) { const m = e.getScreenCTM(); size *= Math.hypot(m.a, m.b); }
      const r = e.getBoundingClientRect();
      out.push({text: own.trim(), tag: e.tagName, size, height: r.height, left: r.left, right: r.right,
                inside: !inSvg || (r.left >= svgBox.left - 0.5 && r.right <= svgBox.right + 0.5)});
    }
  }
  return {texts: out, viewport: window.innerWidth, svgRight: svgBox.right};
}"""


@pytest.mark.browser
@pytest.mark.parametrize(
    "build, name",
    [
        ("live", "就業者数"),
        ("live", "発行した証明書の件数"),  # 「－」: words instead of a bar
        ("live", "観光入込客数"),  # the longest values
        ("changed", "チームを構成する事業者数"),  # two targets, each under its version's label
    ],
)
@pytest.mark.parametrize(
    "width, height, phone", [(390, 844, True), (1280, 900, False)], ids=["phone-390", "desktop-1280"]
)
def test_chart_text_is_readable_in_the_browser(browser, request, build, name, width, height, phone):  # noqa: F811
    """Every piece of text of the figure and the values table is drawn at 12 CSS px or more and inside the chart."""
    server = request.getfixturevalue("live_server" if build == "live" else "changed_server")
    kpi = kpi_of(request.getfixturevalue("app" if build == "live" else "changed_app"), name)
    options = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if phone else {}
    ctx, pg, response, _ = open_page(browser, server, f"/kpis/{kpi['id']}", width=width, height=height, **options)
    try:
        assert response.status == 200
        found = pg.evaluate(MEASURE)
        texts = found["texts"]
        drawn = {t["text"] for t in texts}
        assert kpi["target_text"] in drawn and "目標値" in drawn  # the chart's own text was measured
        small = [t for t in texts if t["size"] < 12 or t["height"] < 12]
        assert small == [], f"{name} at {width}px: text under 12 CSS px: {small}"
        clipped = [t for t in texts if not t["inside"]]
        assert clipped == [], f"{name} at {width}px: text outside the chart: {clipped}"
        assert found["svgRight"] <= found["viewport"], "the chart is wider than the window"
        assert pg.evaluate("Math.max(document.documentElement.scrollWidth, window.innerWidth)") <= width + 1
        result = run_axe(pg)
        assert result["violations"] == [], describe(name, f"{width}px", result["violations"])
    finally:
        ctx.close()
