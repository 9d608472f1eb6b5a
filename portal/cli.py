"""The `portal` command: build the data, serve the portal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import paths
from .pipeline.errors import BuildError, SourceError


@click.group(help="砂川市 総合戦略オープンデータポータル — データの構築と公開。")
def main() -> None:
    pass


@main.command(
    help="新旧対照表からデータベース（SQLite）とデータパッケージを作ります。失敗したときは前回の成果物を残します。"
)
@click.option(
    "--source",
    type=click.Path(path_type=Path, dir_okay=False),
    default=paths.SOURCE,
    show_default=True,
    help="元資料のテキスト（新旧対照表）",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=paths.DB,
    show_default=True,
    help="作成する SQLite データベース",
)
@click.option(
    "--package",
    type=click.Path(path_type=Path, file_okay=False),
    default=paths.PACKAGE_DIR,
    show_default=True,
    help="データパッケージのフォルダ（datapackage.json と data/*.csv を書きます）",
)
def build(source: Path, db: Path, package: Path) -> None:
    from .pipeline.build import build as run_build

    try:
        result = run_build(source, db, package)
    except (SourceError, BuildError) as exc:
        click.echo(f"エラー: {exc}", err=True)
        click.echo("データベースとデータパッケージは変更していません。", err=True)
        sys.exit(1)
    counts = "、".join(f"{k} {v}行" for k, v in result.counts.items())
    click.echo(f"作成しました: {result.db} / {result.package / 'datapackage.json'}")
    click.echo(counts)


@main.command(
    help="ポータルを公開します（トップページ /、Datasette /data/）。先に portal build でデータを作ってください。"
)
@click.option("--host", default="127.0.0.1", show_default=True, help="待ち受けるアドレス")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="待ち受けるポート")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="ワーカープロセスの数")
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=paths.DB,
    show_default=True,
    help="公開する SQLite データベース",
)
def serve(host: str, port: int, workers: int, db: Path) -> None:
    import os

    from .server import run

    if not db.exists():
        click.echo(
            f"エラー: データベース {db} がありません。先に `portal build`（または make build）を実行してください。",
            err=True,
        )
        sys.exit(1)
    # not resolve(): db/strategy.db is a link that a new build points elsewhere
    os.environ["PORTAL_DB"] = str(db.absolute())
    try:
        run(host, port, workers, on_ready=lambda: click.echo(f"http://{host}:{port}/ で公開します（Ctrl+C で終了）"))
    except OSError as exc:
        click.echo(f"エラー: {host}:{port} で待ち受けられません: {exc.strerror}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
