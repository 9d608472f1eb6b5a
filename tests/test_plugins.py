"""The portal's Datasette plugins in the environment they are installed in: they load in any Datasette, and act on
the portal's own only."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

#: another Datasette of the environment, in an interpreter of its own, asked what the portal would refuse or hide
OTHER_DATASETTE = """
import asyncio, json, sys
from datasette.app import Datasette

async def ask():
    ds = Datasette([sys.argv[1]])
    plugins = (await ds.client.get("/-/plugins.json")).json()
    printf = await ds.client.get("/other.json?sql=select printf('%d', 7) as x")
    versions = await ds.client.get("/-/versions.json")
    missing = await ds.client.get("/other/nope")
    return {
        "hooks": sorted({h for p in plugins if p["name"] == "sunagawa-strategy-portal" for h in p["hooks"]}),
        "printf": [printf.status_code, printf.json().get("rows")],
        "versions": versions.status_code,
        "missing": [missing.status_code, "ページが見つかりません" in missing.text],
    }

print(json.dumps(asyncio.run(ask())))
"""


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
    r = subprocess.run(
        [sys.executable, "-c", OTHER_DATASETTE, str(db)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr[-2000:]
    answers = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"asgi_wrapper", "handle_exception", "prepare_connection", "forbidden"} <= set(answers["hooks"])
    # the portal's limits, guard and error pages are for its own Datasette
    assert answers["printf"] == [200, [["7"]]]
    assert answers["versions"] == 200
    assert answers["missing"] == [404, False]
