"""`portal build` given a source that is not a document: a Japanese error naming the file, read no further."""

from __future__ import annotations

import resource
import subprocess
import sys


def test_an_endless_source_is_refused_by_its_size(tmp_path):
    def small_memory():  # were the file read whole, the build would fail for want of memory instead
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    r = subprocess.run(
        [sys.executable, "-m", "portal.cli", "build", "--source", "/dev/zero",
         "--db", str(tmp_path / "db" / "strategy.db"), "--package", str(tmp_path / "package")],
        capture_output=True, text=True, timeout=120, preexec_fn=small_memory,
    )  # fmt: skip
    assert r.returncode == 1
    assert "/dev/zero: 大きすぎます（元資料のテキストは 4 MB までです" in r.stderr
    assert "データベースとデータパッケージは変更していません" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "db" / "strategy.db").exists()
