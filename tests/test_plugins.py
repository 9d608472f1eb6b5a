"""The portal's Datasette plugins in the environment they are installed in: they load in any Datasette, and act on
the portal's own only."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def test_the_datasette_command_runs_in_the_projects_environment():
    r = subprocess.run([str(BIN / "datasette"), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("datasette, version 0.65")
    r = subprocess.run([sys.executable, "-c", "import datasette.app"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]


def test_another_datasette_loads_the_plugins_and_is_left_as_it_is(tmp_path):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (a)")

    async def ask() -> dict:
        from datasette.app import Datasette

        ds = Datasette([str(db)])
        plugins = (await ds.client.get("/-/plugins.json")).json()
        printf = await ds.client.get("/other.json?sql=" + "select printf('%d', 7) as x")
        versions = await ds.client.get("/-/versions.json")
        missing = await ds.client.get("/other/nope")
        return {"plugins": plugins, "printf": printf, "versions": versions, "missing": missing}

    answers = asyncio.run(ask())
    hooks = {h for p in answers["plugins"] if p["name"] == "sunagawa-strategy-portal" for h in p["hooks"]}
    assert {"asgi_wrapper", "handle_exception", "prepare_connection", "forbidden"} <= hooks
    # the portal's limits, guard and error pages are for its own Datasette
    assert answers["printf"].status_code == 200 and answers["printf"].json()["rows"] == [["7"]]
    assert answers["versions"].status_code == 200
    assert answers["missing"].status_code == 404 and "ページが見つかりません" not in answers["missing"].text
