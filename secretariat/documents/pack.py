"""A zip of documents for one reader: a meeting pack.

Only what the reader may see goes in (the caller passes documents from
`rules.visible_documents`); each file is the latest revision with the
corrigenda and addenda issued since, stamped when confidential, and every
file put in is recorded as opened by the reader.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable

from django.db.models import Prefetch

from secretariat.models import User

from . import services
from .files import pack_name, served_bytes
from .models import Document, DocumentVersion, VersionKind

# Packs larger than this spill from memory to a temporary file.
IN_MEMORY = 32 * 1024 * 1024


def current_versions(document: Document) -> list[DocumentVersion]:
    """The latest revision, and the corrigenda and addenda uploaded since."""
    versions = sorted(document.versions.all(), key=lambda v: (v.uploaded_at, v.pk))
    revisions = [v for v in versions if v.kind == VersionKind.REVISION]
    if not revisions:
        return versions
    latest = revisions[-1]
    return [latest, *(v for v in versions if v.kind != VersionKind.REVISION and v.uploaded_at >= latest.uploaded_at)]


def with_versions(documents) -> Iterable[Document]:
    return documents.prefetch_related(Prefetch("versions", queryset=DocumentVersion.objects.order_by("uploaded_at")))


def build_pack(user: User, documents: Iterable[Document], *, title: str, via: str = "pack"):
    """A file object holding the zip (at its start), and how many files it holds."""
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 (returned to a FileResponse)
    index = [title, "=" * len(title), ""]
    count = 0
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            for version in current_versions(document):
                version.document = document
                services.record_open(version, by=user, via=via)
                name = pack_name(version)
                archive.writestr(name, served_bytes(version, user))
                index.append(f"{name}\n  {document.title}\n  SHA-256 of the original: {version.sha256}")
                count += 1
        if not count:
            index.append("No document of this meeting is visible to you.")
        archive.writestr("index.txt", "\n".join(index) + "\n")
    spool.seek(0)
    return spool, count
