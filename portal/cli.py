"""The `portal` command: build the data, serve the portal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import paths
from .operator import check_contact, check_name
from .pipeline.errors import BuildError, SourceError


def _checked(check, value: str | None) -> str | None:
    """An option's value through a check of portal.operator; its Japanese message as click's error."""
    try:
        return check(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def database_path(value: Path) -> Path:
    """--db: any folder, but the file is strategy.db (its name is the database's name under /data/)."""
    if Path(value).name != paths.DB.name:
        raise click.BadParameter(
            f"ファイル名は {paths.DB.name} にしてください（/data/ でのデータベース名になります）。フォルダは自由です：{value}"
        )
    return Path(value)


def db_option(help_text: str):
    """--db of build and serve: the database file, named strategy.db in any folder."""
    return click.option(
        "--db",
        type=click.Path(path_type=Path, dir_okay=False),
        callback=lambda ctx, param, value: database_path(value),
        default=paths.DB,
        show_default=True,
        help=help_text,
    )


def seconds_option(name: str, help_text: str):
    """A timeout of serve, in seconds (10 by default)."""
    return click.option(name, default=10.0, show_default=True, type=click.FloatRange(0.1, 3600), help=help_text)


@click.group(help="砂川市 総合戦略オープンデータポータル — データの構築と公開。")
def main() -> None:
    pass


@main.command(
    help="新旧対照表からデータベース（SQLite）とデータパッケージを作ります。失敗したときは前回の成果物を残します。"
)
@click.option(
    "--source",
    "sources",
    type=click.Path(path_type=Path, dir_okay=False),
    multiple=True,
    help="元資料のテキスト（新旧対照表）。改訂の連鎖は古い順に何度でも指定できます（--source A --source B）。"
    f"省略すると元資料の一覧 datapackage/sources/manifest.yaml の資料（{paths.SOURCE_NAME} など）を読みます",
)
@db_option("作成する SQLite データベース")
@click.option(
    "--package",
    type=click.Path(path_type=Path, file_okay=False),
    default=paths.PACKAGE_DIR,
    show_default=True,
    help="データパッケージのフォルダ（datapackage.json と data/*.csv を書きます）",
)
@click.option(
    "--base-url",
    envvar="PORTAL_BASE_URL",
    help="ページを描く公開 URL の起点（portal serve と同じ値。既定は http://127.0.0.1:8000、環境変数 PORTAL_BASE_URL でも指定可）。"
    "portal serve はこの起点で描いたページをファイルから返し、起点が違えば毎回描きます",
)
def build(sources: tuple[Path, ...], db: Path, package: Path, base_url: str | None) -> None:
    from .paths import BUILDS, LOCK
    from .pipeline.build import build as run_build

    if base_url:
        from .middleware import check_base_url

        try:
            base_url = check_base_url(base_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--base-url") from exc

    def render(database: Path, folder: Path) -> dict:
        # the site's renderer and the server parts it uses are read only when the build gets to the pages
        from .render import render_site

        return render_site(database, folder, base_url)

    def waiting() -> None:
        click.echo(f"ほかのビルドが終わるのを待っています（{db.parent / BUILDS / LOCK}）…", err=True)

    try:
        # the pages are rendered by the site's renderer, handed to the pipeline (which knows no server)
        result = run_build(list(sources) or None, db, package, on_wait=waiting, render=render)
    except (SourceError, BuildError) as exc:
        click.echo(f"エラー: {exc}", err=True)
        click.echo("データベースとデータパッケージは変更していません。", err=True)
        sys.exit(1)
    counts = "、".join(f"{k} {v}行" for k, v in result.counts.items())
    click.echo(f"作成しました: {result.db} / {result.package / 'datapackage.json'}")
    click.echo(counts)
    site = result.site
    click.echo(
        f"ページ {site['pages']} 件を描きました（{site['seconds']:.2f} 秒、{site['base_url']} 向け）: {result.build_dir / 'site'}"
    )


@main.command(
    help="ポータルを公開します（トップページ /、Datasette /data/）。先に portal build でデータを作ってください。"
    "本番ではリバースプロキシ（nginx）の後ろで動かします（README「本番での公開」）。"
)
@click.option("--host", default="127.0.0.1", show_default=True, help="待ち受けるアドレス")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="待ち受けるポート")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="ワーカープロセスの数")
@db_option("公開する SQLite データベース")
@click.option(
    "--base-url",
    envvar="PORTAL_BASE_URL",
    help="公開する URL の起点（例 https://opendata.example.jp）。DCAT などの絶対 URL はこれから作り、"
    "Host ヘッダーは使いません。既定は http://<host>:<port>（環境変数 PORTAL_BASE_URL でも指定可）",
)
@click.option(
    "--forwarded-allow-ips",
    help="X-Forwarded-For・X-Forwarded-Proto を信頼するプロキシのアドレス（例 127.0.0.1）。"
    "指定すると、SQL の同時実行の制限が訪問者ごとに数えられます",
)
@click.option(
    "--operator-name",
    envvar="PORTAL_OPERATOR_NAME",
    callback=lambda ctx, param, value: _checked(check_name, value),
    help="このポータルの運営者の名前。ページ・フィード・DCAT に載ります。指定がなければ「運営者は、まだ設定されていません」"
    "と示します（環境変数 PORTAL_OPERATOR_NAME でも指定可。portal build も同じ環境変数を読み、ファイルに載せます）",
)
@click.option(
    "--operator-contact",
    envvar="PORTAL_OPERATOR_CONTACT",
    callback=lambda ctx, param, value: _checked(check_contact, value),
    help="運営者の連絡先（メールアドレスか https:// の URL）。環境変数 PORTAL_OPERATOR_CONTACT でも指定可",
)
@click.option(
    "--max-connections",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="ワーカーごとに同時に開いておく接続の上限。超えた接続には 503 を返します",
)
@seconds_option("--header-timeout", "リクエストのヘッダーを送り終えるまで待つ秒数。過ぎたら接続を閉じます")
@seconds_option("--send-timeout", "応答を読み進めないクライアントを待つ秒数。過ぎたら接続を閉じます")
def serve(
    host: str,
    port: int,
    workers: int,
    db: Path,
    base_url: str | None,
    forwarded_allow_ips: str | None,
    operator_name: str | None,
    operator_contact: str | None,
    max_connections: int,
    header_timeout: float,
    send_timeout: float,
) -> None:
    import os

    from .middleware import check_base_url
    from .server import run

    if not db.exists():
        click.echo(
            f"エラー: データベース {db} がありません。先に `portal build`（または make build）を実行してください。",
            err=True,
        )
        sys.exit(1)
    shown = f"[{host}]" if ":" in host else host
    try:
        base_url = check_base_url(base_url or f"http://{shown}:{port}")
    except ValueError as exc:
        click.echo(f"エラー: {exc}", err=True)
        sys.exit(2)
    # the workers read their settings from the environment; not resolve(): db/strategy.db is a link to the build
    os.environ.update(
        PORTAL_DB=str(db.absolute()),
        PORTAL_BASE_URL=base_url,
        PORTAL_MAX_CONNECTIONS=str(max_connections),
        PORTAL_HEADER_TIMEOUT=str(header_timeout),
        PORTAL_SEND_TIMEOUT=str(send_timeout),
        PORTAL_OPERATOR_NAME=operator_name or "",
        PORTAL_OPERATOR_CONTACT=operator_contact or "",
    )
    try:
        run(
            host,
            port,
            workers,
            on_ready=lambda: click.echo(f"http://{shown}:{port}/ で公開します（公開 URL {base_url}、Ctrl+C で終了）"),
            forwarded_allow_ips=forwarded_allow_ips,
        )
    except OSError as exc:
        click.echo(f"エラー: {host}:{port} で待ち受けられません: {exc.strerror}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
