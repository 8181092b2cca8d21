"""Documents on a meeting's agenda: links, the meeting page, the register's filter, and the pack."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from meetings import services as meeting_services
from meetings.models import MeetingDocument, Purpose
from secretariat.documents.models import DocumentOpen
from tests.meetings.conftest import make_meeting


@pytest.fixture
def meeting(network, docs):
    """A scheduled WG-AI meeting: the restricted and confidential documents under item 1, two more for the meeting."""
    meeting = meeting_services.schedule_meeting(make_meeting(network.officer, network.wgai), by=network.officer)
    item = meeting_services.add_agenda_item(
        meeting, by=network.officer, title="AI incident reporting", purpose=Purpose.NOTING
    )
    for document in (docs.restricted, docs.confidential):
        meeting_services.link_document(meeting, by=network.officer, document=document, agenda_item=item)
    for document in (docs.public, docs.adgsom):
        meeting_services.link_document(meeting, by=network.officer, document=document)
    meeting.item = item
    return meeting


def _pack(client, meeting) -> zipfile.ZipFile:
    response = client.get(reverse("meetings:pack", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_pack_holds_only_what_the_reader_may_read_and_stamps_confidential_pdfs(client, network, docs, meeting):
    client.force_login(network.mmr)
    pack = _pack(client, meeting)
    names = sorted(n for n in pack.namelist() if n != "index.txt")
    expected = sorted(
        f"{d.symbol.replace('/', '_')}_Rev.1.pdf" for d in (docs.public, docs.restricted, docs.confidential)
    )
    assert names == expected
    confidential = PdfReader(io.BytesIO(pack.read(f"{docs.confidential.symbol.replace('/', '_')}_Rev.1.pdf")))
    assert "issued to Min Thu (MMR)" in confidential.pages[0].extract_text()
    assert docs.adgsom.symbol not in pack.read("index.txt").decode()
    assert set(DocumentOpen.objects.filter(person=network.mmr).values_list("via", flat=True)) == {"meeting pack"}
    assert DocumentOpen.objects.filter(person=network.mmr).count() == 3


def test_the_secretariats_pack_holds_every_linked_document(client, network, meeting):
    client.force_login(network.officer)
    assert len(_pack(client, meeting).namelist()) == 4 + 1


def test_the_meeting_page_shows_each_reader_the_documents_it_may_read(client, network, docs, meeting):
    client.force_login(network.sgp)
    page = client.get(meeting.get_absolute_url())
    assert [d.symbol for d in page.context["item_documents"][meeting.item.pk]] == [docs.restricted.symbol]
    assert {link.document.symbol for link in page.context["meeting_documents"]} == {
        docs.public.symbol,
        docs.adgsom.symbol,
    }
    assert page.context["can_link_documents"] is False
    client.force_login(network.mmr)
    page = client.get(meeting.get_absolute_url())
    assert {d.symbol for d in page.context["item_documents"][meeting.item.pk]} == {
        docs.restricted.symbol,
        docs.confidential.symbol,
    }
    assert docs.adgsom.symbol not in page.content.decode()


def test_the_document_page_names_the_meetings_the_reader_may_see(client, network, docs, meeting):
    client.force_login(network.mmr)
    links = client.get(reverse("documents:detail", args=[docs.public.pk])).context["links"]
    assert [link.label for link in links] == [meeting.title]
    client.force_login(network.outsider)
    assert client.get(reverse("documents:detail", args=[docs.public.pk])).context["links"] == []


def test_the_register_filters_by_meeting_within_what_the_reader_may_read(client, network, docs, meeting):
    client.force_login(network.mmr)
    page = client.get(reverse("documents:list"), {"meeting": meeting.pk})
    assert {d.pk for d in page.context["page"].object_list} == {
        docs.public.pk,
        docs.restricted.pk,
        docs.confidential.pk,
    }
    client.force_login(network.chair)  # not in WG-AI: the meeting is not offered, and filters to nothing
    page = client.get(reverse("documents:list"), {"meeting": meeting.pk})
    assert "meeting" not in page.context["form"].fields


def test_the_secretariat_links_and_unlinks_through_the_meeting_page(client, network, docs, meeting):
    client.force_login(network.officer)
    page = client.get(meeting.get_absolute_url()).content.decode()
    # The register's every document is offered on a page of its own, not on the meeting page.
    assert 'name="document"' not in page
    form_url = reverse("meetings:document_link", args=[meeting.pk])
    assert f'href="{form_url}"' in page
    form_page = client.get(form_url).content.decode()
    assert docs.confidential.symbol in form_page
    assert 'name="agenda_item"' in form_page
    response = client.post(
        reverse("meetings:document_link", args=[meeting.pk]), {"document": docs.confidential.pk, "agenda_item": ""}
    )
    assert response.status_code == 302
    link = MeetingDocument.objects.get(meeting=meeting, document=docs.confidential, agenda_item=None)
    assert link.history.get().history_user == network.officer
    response = client.post(reverse("meetings:document_unlink", args=[meeting.pk, link.pk]))
    assert response.status_code == 302
    assert not MeetingDocument.objects.filter(pk=link.pk).exists()


def test_a_document_is_linked_once_per_place_and_only_by_the_secretariat(network, docs, meeting):
    with pytest.raises(ValidationError, match="already linked"):
        meeting_services.link_document(meeting, by=network.officer, document=docs.public)
    with pytest.raises(PermissionDenied):
        meeting_services.link_document(meeting, by=network.sgp, document=docs.restricted)


def test_linking_without_a_document_says_so_on_the_form_and_links_nothing(client, network, docs, meeting):
    client.force_login(network.officer)
    before = MeetingDocument.objects.count()
    response = client.post(reverse("meetings:document_link", args=[meeting.pk]), {"document": "", "agenda_item": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert MeetingDocument.objects.count() == before
