"""Headless Chromium (Debian's) and axe-core for the browser tests: the fixture lives in conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

from portal import paths

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
AXE = paths.ROOT / "node_modules" / "axe-core" / "axe.min.js"
REQUIRED = os.environ.get("PORTAL_REQUIRE_BROWSER") == "1"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def missing_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium がありません（{CHROMIUM}）: apt-get install chromium fonts-noto-cjk"
    if not AXE.exists():
        return f"axe-core がありません（{AXE}）: npm ci"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python の playwright がありません: pip install playwright"
    return None


def open_page(browser, base, path, width=1280, height=900, **context):
    ctx = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True, locale="ja-JP", **context)
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(base + path, wait_until="load")
    page.wait_for_timeout(150)
    return ctx, page, response, requests


def run_axe(page) -> dict:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'passes']});
            return {
              version: axe.version,
              passes: r.passes.length,
              violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)}))
              }))
            };
        }""",
        WCAG_TAGS,
    )


def describe(name: str, path: str, violations: list[dict]) -> str:
    lines = [f"{name} ({path}): {len(violations)} 件の違反"]
    for v in violations:
        for n in v["nodes"][:5]:
            lines.append(f"  - {v['id']} [{v['impact']}] {v['help']}: {n['target']}  {n['html']}")
    return "\n".join(lines)
