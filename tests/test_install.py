"""`pip install .` into a clean virtual environment outside the project: the `portal` it gives builds and serves."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import time

import httpx
import pytest

from portal import paths

from .conftest import free_port


@pytest.mark.slow
def test_an_installed_portal_builds_and_serves_outside_the_tree(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(paths.ROOT)],
        check=True,
        cwd=tmp_path,
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheel = next(wheels.glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
    )
    # the libraries it needs come from this environment; the portal itself only from the clean one
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with open(os.path.join(venv_site, "dependencies.pth"), "w") as fh:
        fh.write("\n".join(site.getsitepackages()) + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copyfile(paths.SOURCE, work / "source.txt")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    where = subprocess.run(
        [str(python), "-c", "import portal; print(portal.__file__)"], capture_output=True, text=True, cwd=work, env=env
    ).stdout
    assert where.startswith(str(venv)), where

    portal = str(venv / "bin" / "portal")
    built = subprocess.run(
        [portal, "build", "--source", "source.txt"], capture_output=True, text=True, cwd=work, env=env, check=False
    )
    assert built.returncode == 0, built.stderr
    assert (work / "db" / "strategy.db").exists() and (work / "datapackage" / "datapackage.json").exists()

    port = free_port()
    server = subprocess.Popen(
        [portal, "serve", "--port", str(port)], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        for path, words in {
            "/": "砂川市",
            "/goals/3": "若い世代の結婚・出産・子育ての希望をかなえる",
            "/static/portal.css": "font-family",
            "/data/strategy/kpis": "このページの使い方",
            "/data/-/static/app.css": "body",
            "/downloads/kpis.csv": "municipality_code",
            "/nope": "ページが見つかりません",
        }.items():
            r = httpx.get(base + path, timeout=30)
            assert r.status_code == (404 if path == "/nope" else 200), path
            assert words in r.text, path
    finally:
        server.terminate()
        server.wait(timeout=10)
