"""The register: symbols, versions, files kept as uploaded, and who sees what."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from secretariat.documents import rules, services
from secretariat.documents.models import Classification, Document, DocumentVersion, VersionKind

from .conftest import make_document, pdf_bytes, upload


def test_symbols_are_numbered_per_body_and_year(network):
    year = timezone.localdate().year
    first = make_document(network.officer, network.wgai)
    second = make_document(network.officer, network.wgai)
    other = make_document(network.officer, network.adgsom)
    assert first.symbol == f"WG-AI/{year}/DOC.1"
    assert second.symbol == f"WG-AI/{year}/DOC.2"
    assert other.symbol == f"ADGSOM/{year}/DOC.1"


def test_versions_are_numbered_per_kind_and_never_share_a_file(network):
    document = make_document(network.officer, network.wgai)
    content = pdf_bytes(2)
    rev2 = services.add_version(
        document,
        by=network.officer,
        kind=VersionKind.REVISION,
        upload=upload("report.pdf", content),
        upload_name="report.pdf",
    )
    corr = services.add_version(
        document, by=network.officer, kind=VersionKind.CORRIGENDUM, upload=upload(), upload_name="report.pdf"
    )
    labels = [v.label for v in document.versions.order_by("pk")]
    assert labels == ["Rev.1", "Rev.2", "Corr.1"]
    assert rev2.full_symbol == f"{document.symbol}/Rev.2"
    names = {v.file.name for v in document.versions.all()}
    assert len(names) == 3
    assert all(name.startswith(f"documents/{document.pk}/") and name.endswith(".pdf") for name in names)
    assert "report" not in "".join(names)
    assert rev2.sha256 == hashlib.sha256(content).hexdigest()
    assert rev2.size == len(content)
    assert corr.content_type == "application/pdf"


def test_a_stored_version_never_points_at_another_file(network):
    document = make_document(network.officer, network.wgai)
    version = DocumentVersion.objects.get(document=document)
    version.file.name = "documents/elsewhere.pdf"
    with pytest.raises(ValidationError, match="never replaced"):
        version.save()


def test_only_the_secretariat_registers_documents(network):
    with pytest.raises(PermissionDenied):
        make_document(network.sgp, network.wgai)
    assert not Document.objects.exists()


def test_a_confidential_document_needs_a_named_reader(network):
    with pytest.raises(ValidationError) as error:
        make_document(network.officer, network.wgai, classification=Classification.CONFIDENTIAL)
    assert "named reader" in str(error.value)
    assert not Document.objects.exists()


def test_an_empty_file_is_refused_and_nothing_is_saved(network):
    with pytest.raises(ValidationError, match="empty"):
        make_document(network.officer, network.wgai, content=b"")
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("officer", {"public", "restricted", "confidential", "adgsom"}),
        ("chair", {"public", "adgsom"}),
        ("sgp", {"public", "restricted", "adgsom"}),
        ("mmr", {"public", "restricted", "confidential"}),
        ("observer", {"public"}),
        ("outsider", {"public"}),
    ],
)
def test_classification_decides_who_sees_a_document(people, docs, role, expected):
    user = people[role]
    names = {name for name, doc in vars(docs).items() if rules.visible_documents(user).filter(pk=doc.pk).exists()}
    assert names == expected
    assert {name for name, doc in vars(docs).items() if rules.can_see_document(user, doc)} == expected


def test_reclassifying_keeps_the_named_readers_only_while_confidential(network, docs):
    services.update_document(
        docs.confidential,
        by=network.officer,
        title=docs.confidential.title,
        description="",
        classification=Classification.RESTRICTED,
    )
    assert not docs.confidential.reader_rows.exists()
    record = docs.confidential.history.first()
    assert record.history_change_reason == "Reclassified from Confidential to Restricted"


def test_the_admin_shows_the_register_to_staff_officers_read_only(client, network, docs):
    network.officer.is_staff = True
    network.officer.save()
    client.force_login(network.officer)
    assert client.get("/admin/secretariat/document/").status_code == 200
    assert client.get(f"/admin/secretariat/document/{docs.public.pk}/change/").status_code == 200
    response = client.post(f"/admin/secretariat/document/{docs.public.pk}/change/", {"title": "Changed"})
    assert response.status_code == 403
    docs.public.refresh_from_db()
    assert docs.public.title == "Public roadmap"
    assert client.get("/admin/secretariat/document/add/").status_code == 403
