"""The sources manifest (datapackage/sources/manifest.yaml): which 新旧対照表 documents, in which order.

Document k compares version k (its 変更前 column) with version k+1 (its
変更後 column), so N documents give N+1 versions.  The manifest says what is
known of each: the document's title, published date, the publisher's page of
it and its PDF, and each version's name, date and the URL of its full plan;
what is not known is left empty, never guessed (the pages then say that the
manifest does not record it).

Adding a revision is adding its file beside the others and an entry at the
end of `documents`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import SourceError, os_reason
from .schema import load_yaml

MANIFEST_NAME = "manifest.yaml"


@dataclass(frozen=True)
class VersionInfo:
    label: str
    column_label: str  #: 変更前 or 変更後: the column of its document the version is read from
    description: str | None = None
    date: str | None = None  #: ISO date (YYYY-MM-DD) when known
    plan_url: str | None = None  #: the full plan (計画書) of this version, when known


@dataclass(frozen=True)
class DocumentInfo:
    path: Path
    title: str
    published: str | None = None  #: ISO date when known
    page_url: str | None = None  #: the publisher's page of the document, when known
    pdf_url: str | None = None  #: the document's PDF, when known
    #: the copy's file name in the package, when not the file's own (a one-off build in the manifest's place)
    name: str | None = None

    @property
    def package_path(self) -> str:
        """Where the document's copy is in the data package."""
        return f"sources/{self.name or self.path.name}"


@dataclass(frozen=True)
class Manifest:
    municipality_code: str
    municipality_name: str
    strategy: str
    documents: list[DocumentInfo]
    versions: list[VersionInfo] = field(default_factory=list)  #: N+1 of them

    @property
    def sources(self) -> list[Path]:
        """The documents the build reads, oldest first."""
        return [d.path for d in self.documents]


def manifest_for(sources: list[Path] | None, path: Path) -> Manifest:
    """What is known of the documents a build reads.

    No `sources`: the manifest at `path`, and the documents it lists.  A
    one-off build of `sources` (portal build --source A --source B …) reads
    those files in that order; where the manifest lists as many documents,
    their titles and version names are taken from it, else (another number of
    documents, or no manifest, as in an installed copy working elsewhere) only
    what the package metadata (tables.yaml) says, each version named by its
    column.
    """
    if sources is None:
        return read_manifest(path)
    sources = [Path(s) for s in sources]
    if path.exists():
        known = read_manifest(path)
        if len(known.documents) == len(sources):
            documents = [
                DocumentInfo(
                    path=s,
                    title=d.title,
                    published=d.published,
                    page_url=d.page_url,
                    pdf_url=d.pdf_url,
                    name=d.path.name,
                )
                for s, d in zip(sources, known.documents, strict=True)
            ]
            return Manifest(known.municipality_code, known.municipality_name, known.strategy, documents, known.versions)
    from .schema import package_meta

    meta = package_meta()
    title = meta["source"]["title"]
    if len(sources) == 1:
        versions = [VersionInfo("変更前", "変更前"), VersionInfo("変更後", "変更後")]
    else:
        versions = [VersionInfo(f"変更前（{sources[0].name}）", "変更前")]
        versions += [VersionInfo(f"変更後（{s.name}）", "変更後") for s in sources]
    return Manifest(
        municipality_code=meta["publisher"]["municipality_code"],
        municipality_name=meta["publisher"]["municipality_name"],
        strategy=meta["source"]["name"],
        documents=[
            DocumentInfo(path=s, title=title, name=Path(meta["source"]["path"]).name)
            if len(sources) == 1
            # a file not in the manifest: its title is not known, so it is named by its file alone
            else DocumentInfo(path=s, title=f"新旧対照表（{s.name}）")
            for s in sources
        ],
        versions=versions,
    )


def _text(value) -> str | None:
    return None if value in (None, "") else str(value)


def _url(value, where: str, path: Path) -> str | None:
    """An http(s) URL of the manifest, or None when empty; anything else is a SourceError naming the key."""
    url = _text(value)
    if url is not None and not (url.startswith(("https://", "http://")) and len(url) < 2000 and url.isprintable()):
        raise SourceError(path, None, f"{where} は http:// か https:// で始まる URL にしてください（{url[:60]}）")
    return url


def read_manifest(path: Path) -> Manifest:
    """Read and check the manifest; a missing or malformed one is a SourceError naming the file."""
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(path, None, f"読めません（{os_reason(exc, path)}）") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(path, mark.line + 1 if mark else None, "YAML として読めません") from exc
    try:
        documents = [
            DocumentInfo(
                path=path.parent / d["file"],
                title=d["title"],
                published=_text(d.get("published")),
                page_url=_url(d.get("page_url"), f"documents[{i}].page_url", path),
                pdf_url=_url(d.get("pdf_url"), f"documents[{i}].pdf_url", path),
            )
            for i, d in enumerate(data["documents"])
        ]
        first = data["first_version"]

        def version(v: dict, column: str, where: str) -> VersionInfo:
            return VersionInfo(
                v["label"],
                column,
                _text(v.get("description")),
                _text(v.get("date")),
                _url(v.get("plan_url"), f"{where}.plan_url", path),
            )

        versions = [version(first, "変更前", "first_version")]
        versions += [
            version(d["version"], "変更後", f"documents[{i}].version") for i, d in enumerate(data["documents"])
        ]
        municipality = data["municipality"]
        manifest = Manifest(
            municipality_code=str(municipality["code"]),
            municipality_name=municipality["name"],
            strategy=data["strategy"],
            documents=documents,
            versions=versions,
        )
    except (KeyError, TypeError) as exc:
        raise SourceError(path, None, f"項目が足りないか、形が違います（{exc}）") from exc
    if not documents:
        raise SourceError(path, None, "documents に資料が一つもありません")
    names = [d.path.name for d in documents]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise SourceError(path, None, f"同じ資料「{twice}」が二度挙がっています")
    return manifest
