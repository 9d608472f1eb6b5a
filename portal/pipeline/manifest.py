"""The sources manifest (datapackage/sources/manifest.yaml): which 新旧対照表 documents, in which order.

Document k compares version k (its 変更前 column) with version k+1 (its
変更後 column), so N documents give N+1 versions.  The manifest says what is
known of each: the document's title and published date, and each version's
name and date; what is not known is left empty, never guessed.

The pipeline reads one document so far: a manifest listing more is refused
with an error naming the manifest (a chain of revisions is not built yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import SourceError, os_reason

MANIFEST_NAME = "manifest.yaml"


@dataclass(frozen=True)
class VersionInfo:
    label: str
    column_label: str  #: 変更前 or 変更後: the column of its document the version is read from
    description: str | None = None
    date: str | None = None  #: ISO date (YYYY-MM-DD) when known


@dataclass(frozen=True)
class DocumentInfo:
    path: Path
    title: str
    published: str | None = None  #: ISO date when known

    @property
    def package_path(self) -> str:
        """Where the document's copy is in the data package."""
        return f"sources/{self.path.name}"


@dataclass(frozen=True)
class Manifest:
    municipality_code: str
    municipality_name: str
    strategy: str
    documents: list[DocumentInfo]
    versions: list[VersionInfo] = field(default_factory=list)  #: N+1 of them

    @property
    def source(self) -> Path:
        """The document the build reads."""
        return self.documents[0].path


def manifest_for(source: Path | None, path: Path) -> Manifest:
    """The manifest at `path`; for a one-off build of `source` where there is none (an installed copy
    working elsewhere), one that knows only what the package metadata (tables.yaml) says."""
    if source is None or path.exists():
        return read_manifest(path)
    from .schema import package_meta

    meta = package_meta()
    return Manifest(
        municipality_code=meta["publisher"]["municipality_code"],
        municipality_name=meta["publisher"]["municipality_name"],
        strategy=meta["source"]["name"],
        documents=[DocumentInfo(path=Path(meta["source"]["path"]), title=meta["source"]["title"])],
        versions=[VersionInfo("変更前", "変更前"), VersionInfo("変更後", "変更後")],
    )


def _text(value) -> str | None:
    return None if value in (None, "") else str(value)


def read_manifest(path: Path) -> Manifest:
    """Read and check the manifest; a missing or malformed one is a SourceError naming the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(path, None, f"読めません（{os_reason(exc, path)}）") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(path, mark.line + 1 if mark else None, "YAML として読めません") from exc
    try:
        documents = [
            DocumentInfo(path=path.parent / d["file"], title=d["title"], published=_text(d.get("published")))
            for d in data["documents"]
        ]
        first = data["first_version"]
        versions = [VersionInfo(first["label"], "変更前", _text(first.get("description")), _text(first.get("date")))]
        versions += [
            VersionInfo(
                d["version"]["label"], "変更後", _text(d["version"].get("description")), _text(d["version"].get("date"))
            )
            for d in data["documents"]
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
    if len(documents) > 1:
        raise SourceError(
            path,
            None,
            f"資料が {len(documents)} 件あります。複数の新旧対照表の連鎖は、まだ読めません（資料は一つだけにしてください）",
        )
    return manifest
