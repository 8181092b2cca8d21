"""Documents of the named network, and helpers to make uploads.

WG-AI has Singapore (sgp heads it, sgp_delegate) and Myanmar (mmr) as
delegations and `observer` as an observer; ADGSOM has Singapore (sgp) and its
chair `chair`. Files go to a temporary folder per test.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from secretariat.documents import services
from secretariat.documents.models import Classification, Document


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(name: str = "report.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content)


def make_document(
    by,
    body,
    *,
    classification: str = Classification.RESTRICTED,
    title: str = "Draft ASEAN guide on AI risk assessment",
    readers=(),
    name: str = "report.pdf",
    content: bytes | None = None,
    description: str = "",
) -> Document:
    file = upload(name, content)
    return services.create_document(
        by=by,
        body=body,
        title=title,
        description=description,
        classification=classification,
        upload=file,
        upload_name=file.name,
        upload_size=file.size,
        readers=readers,
    )


@pytest.fixture
def docs(network: SimpleNamespace) -> SimpleNamespace:
    """One document of each kind: WG-AI public, restricted and confidential (mmr named); ADGSOM restricted."""
    officer = network.officer
    return SimpleNamespace(
        public=make_document(officer, network.wgai, classification=Classification.PUBLIC, title="Public roadmap"),
        restricted=make_document(officer, network.wgai, title="Restricted WG-AI draft"),
        confidential=make_document(
            officer,
            network.wgai,
            classification=Classification.CONFIDENTIAL,
            title="Confidential incident note",
            readers=[network.mmr],
        ),
        adgsom=make_document(officer, network.adgsom, title="ADGSOM restricted brief"),
    )
