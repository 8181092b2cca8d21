"""Uploads are checked by content, stored under server names, and served safely."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from secretariat.documents import files, services
from secretariat.documents.files import FileRefused, check_upload, clean_name, content_disposition
from secretariat.documents.models import Classification, Document, DocumentOpen, DocumentVersion, VersionKind

from .conftest import make_document, pdf_bytes, upload

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def ooxml(main_type: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def odt(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def _check(name: str, content: bytes):
    return check_upload(io.BytesIO(content), name)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("report.pdf", pdf_bytes(), "application/pdf"),
        ("report.docx", ooxml(DOCX_MAIN), files.DOCX),
        ("budget.xlsx", ooxml(XLSX_MAIN), files.XLSX),
        ("minutes.odt", odt(), files.ODT),
        ("notes.txt", "Ghi chú: đồng thuận — Tiếng Việt".encode(), "text/plain; charset=utf-8"),
        ("README.md", b"# Heading\n\nText.", "text/markdown; charset=utf-8"),
        ("chart.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
    ],
)
def test_each_allowed_type_is_accepted_when_its_content_matches(name, content, content_type):
    checked = _check(name, content)
    assert checked.content_type == content_type
    assert checked.size == len(content)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", HTML, "does not match its type, PDF"),
        ("report.pdf", b"%PDF-1.7\n garbage that is no PDF", "does not match its type, PDF"),
        ("report.docx", ooxml(XLSX_MAIN), "does not match its type, Word .DOCX."),
        ("report.docx", b"MZ\x90\x00 an executable", "does not match its type, Word .DOCX."),
        (
            "minutes.odt",
            odt("application/vnd.oasis.opendocument.spreadsheet"),
            "does not match its type, OpenDocument text",
        ),
        ("chart.png", JPEG, "does not match its type, PNG image"),
        ("notes.txt", b"text with a \x00 byte", "does not match its type, Text"),
        ("notes.txt", "café".encode("latin-1"), "does not match its type, Text"),
        ("page.html", HTML, "cannot be uploaded"),
        ("tool.exe", b"MZ", "cannot be uploaded"),
        ("no-extension", b"hello", "cannot be uploaded"),
    ],
)
def test_content_that_does_not_match_its_extension_is_refused(name, content, message):
    with pytest.raises(FileRefused, match=message):
        _check(name, content)


def test_an_oversize_file_is_refused(settings):
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(FileRefused, match="the limit is 1000"):
        _check("notes.txt", b"a" * 1001)
    assert _check("notes.txt", b"a" * 1000).size == 1000


def test_an_empty_file_is_refused():
    with pytest.raises(FileRefused, match="empty"):
        _check("notes.txt", b"")


def test_names_lose_path_parts_and_control_characters():
    assert clean_name('C:\\Users\\x\\..\\report "final".pdf') == 'report "final".pdf'
    assert clean_name("../../etc/passwd\r\nX-Injected: 1.txt") == "passwd X-Injected: 1.txt"
    assert clean_name("\u202egnp.exe.pdf") == "gnp.exe.pdf"
    assert clean_name("...") == "document"


def test_the_download_header_has_an_ascii_fallback_and_the_utf8_name():
    header = content_disposition('Báo cáo "cuối".pdf')
    assert (
        header
        == "attachment; filename=\"Bao cao _cuoi.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%22cu%E1%BB%91i%22.pdf"
    )
    assert content_disposition("ราย งาน.pdf").startswith('attachment; filename="document.pdf"; ')


def test_a_hostile_file_name_is_stored_and_served_safely(client, network):
    document = make_document(network.officer, network.wgai, name='../../x\\evil "name"\r\nSet-Cookie: a=b.pdf')
    version = document.versions.get()
    assert version.original_name == 'evil "name" Set-Cookie: a=b.pdf'
    assert "evil" not in version.file.name
    assert version.file.name.startswith(f"documents/{document.pk}/")

    client.force_login(network.mmr)
    response = client.get(reverse("documents:download", args=[document.pk, version.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert disposition.startswith("attachment; filename=\"evil _name_ Set-Cookie_ a_b.pdf\"; filename*=UTF-8''")
    assert "Set-Cookie" not in response.cookies
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


def test_a_download_is_an_attachment_and_is_recorded(client, network):
    content = pdf_bytes(2)
    document = make_document(network.officer, network.wgai, content=content)
    version = document.versions.get()
    client.force_login(network.sgp)
    response = client.get(reverse("documents:download", args=[document.pk, version.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith('attachment; filename="report.pdf"')
    assert "no-store" in response["Cache-Control"]
    opening = DocumentOpen.objects.get()
    assert (opening.person, opening.version) == (network.sgp, version)
    assert opening.history.get().history_user == network.sgp


def test_a_confidential_pdf_is_stamped_with_the_readers_name_on_every_page(client, network):
    document = make_document(
        network.officer,
        network.wgai,
        classification=Classification.CONFIDENTIAL,
        readers=[network.mmr],
        content=pdf_bytes(3),
    )
    version = document.versions.get()
    client.force_login(network.mmr)
    response = client.get(reverse("documents:download", args=[document.pk, version.pk]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 3
    for page in reader.pages:
        text = page.extract_text()
        assert "issued to Min Thu (MMR)" in text
        assert "mmr@example.org" in text
        assert document.symbol in text
    # The stored file is untouched: the stamp is made for each reader.
    with version.file.open("rb") as handle:
        assert "issued to" not in PdfReader(handle).pages[0].extract_text()


def test_a_new_version_never_overwrites_an_earlier_one(network):
    document = make_document(network.officer, network.wgai, content=pdf_bytes(1))
    first = document.versions.get()
    before = first.file.read()
    services.add_version(
        document,
        by=network.officer,
        kind=VersionKind.REVISION,
        upload=upload(content=pdf_bytes(2)),
        upload_name="report.pdf",
    )
    first.refresh_from_db()
    with first.file.open("rb") as handle:
        assert handle.read() == before
    assert DocumentVersion.objects.filter(document=document).count() == 2


def test_an_html_page_renamed_pdf_is_refused_on_the_upload_page(client, network):
    client.force_login(network.officer)
    response = client.post(
        reverse("documents:create"),
        {
            "body": network.wgai.pk,
            "title": "Disguised page",
            "classification": Classification.RESTRICTED,
            "file": upload("report.pdf", HTML),
        },
    )
    assert response.status_code == 200
    assert "does not match its type, PDF" in response.context["form"].errors["file"][0]
    assert not Document.objects.exists()
