"""Demo documents: every classification in every body, circulations in every procedure and state."""

from __future__ import annotations

from django.core.management import call_command

from secretariat.documents import rules
from secretariat.documents.demo import SYNTHETIC, SYNTHETIC_PER_SCALE
from secretariat.documents.models import (
    Circulation,
    CirculationAnswer,
    CirculationStatus,
    Classification,
    Document,
    DocumentVersion,
)
from secretariat.models import User


def _counts() -> tuple[int, ...]:
    return (
        Document.objects.count(),
        DocumentVersion.objects.count(),
        Circulation.objects.count(),
        CirculationAnswer.objects.count(),
        Document.history.count(),
        CirculationAnswer.history.count(),
    )


def test_seed_demo_makes_documents_and_circulations_of_every_kind_and_is_idempotent(db):
    call_command("seed_demo", verbosity=0)
    counts = _counts()
    call_command("seed_demo", verbosity=0)
    assert _counts() == counts

    for body in ("WG-AI", "ADGSOM", "ADGMIN"):
        assert set(Document.objects.filter(body__code=body).values_list("classification", flat=True)) == set(
            Classification.values
        )
    assert DocumentVersion.objects.values("document").distinct().count() < DocumentVersion.objects.count()
    assert {c.mode for c in Circulation.objects.all()} == {"information", "comments", "silence", "ad_referendum"}
    statuses = set(Circulation.objects.values_list("status", flat=True))
    assert {
        CirculationStatus.OPEN,
        CirculationStatus.SILENCE_BROKEN,
        CirculationStatus.ADOPTED,
        CirculationStatus.CONFIRMED,
    } <= statuses

    mmr = User.objects.get(email="delegate.mmr@asean-ai-safe.example")
    adgsom_restricted = Document.objects.get(body__code="ADGSOM", classification=Classification.RESTRICTED)
    assert not rules.can_see_document(mmr, adgsom_restricted)
    confidential = Document.objects.get(body__code="WG-AI", classification=Classification.CONFIDENTIAL)
    assert rules.can_see_document(mmr, confidential)
    open_silence = Circulation.objects.get(mode="silence", status=CirculationStatus.OPEN)
    assert rules.answer_state_ids(mmr, open_silence) == {mmr.member_state_id}


def test_seed_demo_scale_adds_synthetic_documents(db):
    call_command("seed_demo", verbosity=0)
    plain = Document.objects.count()
    call_command("seed_demo", scale=1, verbosity=0)
    assert Document.objects.count() == plain
    call_command("seed_demo", scale=3, verbosity=0)
    assert Document.objects.count() == plain + 2 * SYNTHETIC_PER_SCALE
    call_command("seed_demo", scale=3, verbosity=0)
    assert Document.objects.count() == plain + 2 * SYNTHETIC_PER_SCALE
    years = set(Document.objects.filter(title__startswith=SYNTHETIC).values_list("year", flat=True))
    assert len(years) == 10  # ten years of papers, numbered per body and year


def test_the_demo_puts_each_bodys_documents_on_its_next_meetings_agenda(network, docs):
    from meetings import services as meeting_services
    from meetings.document_links import seed_agenda_documents
    from meetings.models import MeetingDocument, Purpose
    from secretariat.demo import Network
    from tests.meetings.conftest import make_meeting

    meeting = meeting_services.schedule_meeting(make_meeting(network.officer, network.wgai), by=network.officer)
    for title in ("Adoption of the agenda", "AI governance", "Other matters"):
        meeting_services.add_agenda_item(meeting, by=network.officer, title=title, purpose=Purpose.NOTING)
    demo_network = Network(
        states={},
        bodies={"WG-AI": network.wgai, "ADGSOM": network.adgsom, "ADGMIN": network.adgmin},
        people={"secretariat": network.officer},
    )
    seed_agenda_documents(demo_network, log=lambda line: None)
    links = MeetingDocument.objects.filter(meeting=meeting).select_related("agenda_item")
    assert {link.document_id for link in links} == {docs.public.pk, docs.restricted.pk, docs.confidential.pk}
    assert "Adoption of the agenda" not in {link.agenda_item.title for link in links}
    seed_agenda_documents(demo_network, log=lambda line: None)
    assert MeetingDocument.objects.filter(meeting=meeting).count() == 3
