"""Demo documents and circulations: each classification in each body, several versions,
and circulations in every procedure and state.

- ADGSOM and ADGMIN have restricted documents that WG-AI-only delegates (delegate.mmr)
  cannot see; each body has a confidential one with named readers.
- Circulations: silence procedure open (Myanmar has not answered: sign in as
  delegate.mmr to object), silence broken by an objection, adopted by silence,
  ad referendum open and confirmed by all, comments open, information with
  acknowledgements.

Idempotent: documents are found by body and title, circulations by version and
procedure. Files go through the same checks and storage as uploads. Past
circulations are written as the record of what happened (no e-mails planned).
`--scale N` adds SYNTHETIC_PER_SCALE × (N - 1) synthetic documents (ten years of
them) through the bulk path, registered on days of their year; the public ones
were registered restricted and declassified a quarter later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from secretariat import demo
from secretariat.history import Step, bulk_create_with_history, bulk_create_with_past, save_with_reason
from secretariat.models import Body, Membership, MemberState, Role, User

from . import services
from .models import (
    Circulation,
    CirculationAnswer,
    CirculationMode,
    CirculationRecipient,
    CirculationState,
    CirculationStatus,
    Classification,
    Document,
    DocumentVersion,
    Position,
    VersionKind,
)

SYNTHETIC = "Synthetic paper"
# About 20,000 documents at --scale 100 (issue 8).
SYNTHETIC_PER_SCALE = 202


def text_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF with text (Helvetica), written by hand: no renderer needed."""

    def escape(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    rows = [f"BT /F1 16 Tf 56 780 Td ({escape(title)}) Tj ET"]
    for i, line in enumerate(lines):
        rows.append(f"BT /F1 11 Tf 56 {744 - 18 * i} Td ({escape(line)}) Tj ET")
    stream = "\n".join(rows).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _paper(title: str, body: str, version: str) -> bytes:
    return text_pdf(
        title,
        [
            f"{body} — {version}",
            "",
            "1. This paper is presented for the consideration of the delegations.",
            "2. It builds on the ASEAN Guide on AI Governance and Ethics (2024)",
            "   and the ASEAN Responsible AI Roadmap 2025-2030.",
            "3. Delegations are invited to note, comment on or endorse it as set out.",
            "",
            "Demo data: sample text only.",
        ],
    )


# (body, title, classification, readers (demo person keys), versions: [(kind, name, note)])
DOCUMENTS = [
    (
        "WG-AI",
        "Implementation report on the ASEAN Guide on AI Governance and Ethics",
        Classification.PUBLIC,
        (),
        [
            (VersionKind.REVISION, "implementation-report.pdf", ""),
        ],
    ),
    (
        "WG-AI",
        "Draft action plan under the ASEAN Responsible AI Roadmap 2026-2027",
        Classification.RESTRICTED,
        (),
        [
            (VersionKind.REVISION, "action-plan-draft.pdf", ""),
            (VersionKind.REVISION, "action-plan-rev2.pdf", "Comments of Singapore and Viet Nam taken in"),
            (VersionKind.CORRIGENDUM, "action-plan-rev2-corr1.pdf", "Table 2: dates corrected"),
        ],
    ),
    (
        "WG-AI",
        "Terms of reference of the Task Force on AI Safety Evaluation",
        Classification.RESTRICTED,
        (),
        [
            (VersionKind.REVISION, "tor-task-force.md", ""),
        ],
    ),
    (
        "WG-AI",
        "Protocol for notifying serious AI incidents (draft)",
        Classification.CONFIDENTIAL,
        ("delegate_mmr", "delegate_sgp", "chair_wgai"),
        [
            (VersionKind.REVISION, "incident-protocol.pdf", ""),
            (VersionKind.ADDENDUM, "incident-protocol-add1.pdf", "Annex: contact points"),
        ],
    ),
    (
        "ADGSOM",
        "ADGSOM work plan 2026",
        Classification.PUBLIC,
        (),
        [
            (VersionKind.REVISION, "adgsom-work-plan.pdf", ""),
            (VersionKind.REVISION, "adgsom-work-plan-rev2.pdf", "Adjusted after the 6th ADGSOM"),
        ],
    ),
    (
        "ADGSOM",
        "Draft joint statement on safe and responsible AI",
        Classification.RESTRICTED,
        (),
        [
            (VersionKind.REVISION, "joint-statement.pdf", ""),
        ],
    ),
    (
        "ADGSOM",
        "Budget of the AI Safety Network secretariat for 2027",
        Classification.CONFIDENTIAL,
        ("chair_adgsom", "delegate_sgp"),
        [
            (VersionKind.REVISION, "budget-2027.pdf", ""),
        ],
    ),
    (
        "ADGMIN",
        "Chair's statement of the 6th ADGMIN",
        Classification.PUBLIC,
        (),
        [
            (VersionKind.REVISION, "chairs-statement.pdf", ""),
        ],
    ),
    (
        "ADGMIN",
        "Draft ministerial declaration on AI safety",
        Classification.RESTRICTED,
        (),
        [
            (VersionKind.REVISION, "ministerial-declaration.pdf", ""),
            (VersionKind.REVISION, "ministerial-declaration-rev2.pdf", "As agreed ad referendum"),
        ],
    ),
    (
        "ADGMIN",
        "Note by the Chair on ministerial consultations",
        Classification.CONFIDENTIAL,
        ("chair_adgmin",),
        [
            (VersionKind.REVISION, "chairs-note.txt", ""),
        ],
    ),
]


def _content(name: str, title: str, body: str, label: str) -> bytes:
    if name.endswith(".pdf"):
        return _paper(title, body, label)
    heading = "# " if name.endswith(".md") else ""
    return f"{heading}{title}\n\n{body} — {label}\n\nDemo data: sample text only.\n".encode()


def _documents(network: demo.Network, officer: User) -> dict[str, Document]:
    found: dict[str, Document] = {}
    for body_code, title, classification, reader_keys, versions in DOCUMENTS:
        body = network.bodies[body_code]
        document = Document.objects.filter(body=body, title=title).first()
        readers = [network.people[key] for key in reader_keys]
        if document is None:
            kind, name, note = versions[0]
            document = services.create_document(
                by=officer,
                body=body,
                title=title,
                description=f"Demo document of {body_code}.",
                classification=classification,
                readers=readers,
                upload=ContentFile(_content(name, title, body_code, "Rev.1"), name=name),
                upload_name=name,
                note=note,
            )
        have = document.versions.count()
        for kind, name, note in versions[have:]:
            label = f"{kind}.{document.versions.filter(kind=kind).count() + 1}"
            services.add_version(
                document,
                by=officer,
                kind=kind,
                upload=ContentFile(_content(name, title, body_code, label), name=name),
                upload_name=name,
                note=note,
            )
        found[title] = document
    return found


def _heads(body: Body) -> dict[str, tuple[User, MemberState]]:
    """The head of each delegation in the body today, by state code."""
    return {
        m.member_state.code: (m.person, m.member_state)
        for m in Membership.objects.current().filter(body=body, role=Role.HEAD).select_related("person", "member_state")
    }


def _past_circulation(
    version: DocumentVersion,
    *,
    officer: User,
    mode: str,
    body: Body,
    created: dt.datetime,
    deadline: dt.datetime,
    status: str,
    decided: dt.datetime | None,
    note: str,
    answers: list[tuple[str, str, str, dt.datetime]],
) -> Circulation:
    """The record of a circulation that ran in the past: rows only, no e-mails."""
    people, asked, labels = services._resolve(version.document, [body], [], [])
    circulation = Circulation(
        version=version,
        mode=mode,
        deadline=deadline,
        addressed_to="; ".join(labels),
        status=status,
        decided_at=decided,
        outcome_note=note,
        created_at=created,
        created_by=officer,
    )
    save_with_reason(circulation, "Demo: a past circulation")
    bulk_create_with_history(
        [CirculationState(circulation=circulation, member_state=state) for state in asked.values()], reason="Demo"
    )
    bulk_create_with_history(
        [CirculationRecipient(circulation=circulation, person=p, member_state=s) for p, s in people.values()],
        reason="Demo",
    )
    heads = _heads(body)
    for code, position, text, when in answers:
        person, state = heads[code]
        answer = CirculationAnswer(
            circulation=circulation,
            member_state=state,
            position=position,
            text=text,
            answered_by=person,
            answered_at=when,
        )
        save_with_reason(answer, f"Demo: {code} answered")
    return circulation


def _answer(circulation: Circulation, body: Body, code: str, position: str, text: str = "") -> None:
    person, state = _heads(body)[code]
    services.answer_circulation(circulation, by=person, member_state=state, position=position, text=text)


def _circulations(network: demo.Network, officer: User, docs: dict[str, Document]) -> None:
    now = timezone.now()
    day = dt.timedelta(days=1)
    wgai, adgsom, adgmin = (network.bodies[c] for c in ("WG-AI", "ADGSOM", "ADGMIN"))

    def latest(title: str, kind: str = VersionKind.REVISION) -> DocumentVersion:
        return docs[title].versions.filter(kind=kind).order_by("-number").first()

    def missing(version: DocumentVersion, mode: str) -> bool:
        return not Circulation.objects.filter(version=version, mode=mode).exists()

    # Open silence procedure: Singapore has no objection; Myanmar has not answered.
    plan = latest("Draft action plan under the ASEAN Responsible AI Roadmap 2026-2027")
    if missing(plan, CirculationMode.SILENCE):
        circulation = services.circulate_document(
            plan,
            by=officer,
            mode=CirculationMode.SILENCE,
            deadline=now + 5 * day,
            bodies=[wgai],
            message="Delegations are invited to adopt Rev.2 by silence procedure.",
        )
        _answer(circulation, wgai, "SGP", Position.NO_OBJECTION)
        _answer(circulation, wgai, "THA", Position.RESERVATION, "Thailand reserves its position on action 4.2.")

    # Silence broken by an objection (past).
    tor = latest("Terms of reference of the Task Force on AI Safety Evaluation")
    if missing(tor, CirculationMode.SILENCE):
        created = now - 12 * day
        _past_circulation(
            tor,
            officer=officer,
            mode=CirculationMode.SILENCE,
            body=wgai,
            created=created,
            deadline=created + 4 * day,
            status=CirculationStatus.SILENCE_BROKEN,
            decided=created + 2 * day,
            note="Silence broken by Viet Nam: the mandate should cover evaluation of general-purpose models.",
            answers=[
                ("IDN", Position.NO_OBJECTION, "", created + day),
                (
                    "VNM",
                    Position.OBJECTION,
                    "The mandate should cover evaluation of general-purpose models.",
                    created + 2 * day,
                ),
            ],
        )

    # Adopted by silence (past), with a reservation on record.
    statement = latest("Draft joint statement on safe and responsible AI")
    if missing(statement, CirculationMode.SILENCE):
        created = now - 9 * day
        _past_circulation(
            statement,
            officer=officer,
            mode=CirculationMode.SILENCE,
            body=adgsom,
            created=created,
            deadline=created + 4 * day,
            status=CirculationStatus.ADOPTED,
            decided=created + 4 * day,
            note="Adopted by silence procedure: no member state objected by the deadline. Reservation: Thailand.",
            answers=[
                ("SGP", Position.NO_OBJECTION, "", created + day),
                ("MYS", Position.NO_OBJECTION, "", created + day),
                ("THA", Position.RESERVATION, "Thailand reserves its position on paragraph 7.", created + 3 * day),
            ],
        )

    # Confirmed ad referendum by every capital (past).
    declaration = latest("Draft ministerial declaration on AI safety")
    if missing(declaration, CirculationMode.AD_REFERENDUM):
        created = now - 20 * day
        heads = _heads(adgmin)
        _past_circulation(
            declaration,
            officer=officer,
            mode=CirculationMode.AD_REFERENDUM,
            body=adgmin,
            created=created,
            deadline=created + 14 * day,
            status=CirculationStatus.CONFIRMED,
            decided=created + 10 * day,
            note="Confirmed by every member state asked.",
            answers=[
                (code, Position.CONFIRMED, "", created + dt.timedelta(days=1 + i))
                for i, code in enumerate(sorted(heads))
            ],
        )

    # Open ad referendum: some capitals have confirmed.
    work_plan = latest("ADGSOM work plan 2026")
    if missing(work_plan, CirculationMode.AD_REFERENDUM):
        circulation = services.circulate_document(
            work_plan, by=officer, mode=CirculationMode.AD_REFERENDUM, deadline=now + 10 * day, bodies=[adgsom]
        )
        for code in ("SGP", "IDN", "PHL"):
            _answer(circulation, adgsom, code, Position.CONFIRMED)

    # Open for comments: the budget, to Singapore's head (a named reader).
    budget = latest("Budget of the AI Safety Network secretariat for 2027")
    if missing(budget, CirculationMode.COMMENTS):
        services.circulate_document(
            budget,
            by=officer,
            mode=CirculationMode.COMMENTS,
            deadline=now + 7 * day,
            states=[network.states["SGP"]],
            persons=[network.people["chair_adgsom"]],
        )

    # For information, with acknowledgements.
    report = latest("Implementation report on the ASEAN Guide on AI Governance and Ethics")
    if missing(report, CirculationMode.INFORMATION):
        circulation = services.circulate_document(
            report, by=officer, mode=CirculationMode.INFORMATION, bodies=[wgai], persons=[network.people["observer"]]
        )
        services.acknowledge_circulation(circulation, by=network.people["delegate_sgp"])
        services.acknowledge_circulation(circulation, by=network.people["observer"])


def _synthetic(network: demo.Network, officer: User, scale: int) -> None:
    """SYNTHETIC_PER_SCALE × (scale - 1) plain-text documents over ten years, through the bulk path."""
    wanted = SYNTHETIC_PER_SCALE * (scale - 1)
    have = Document.objects.filter(title__startswith=SYNTHETIC).count()
    if have >= wanted:
        return
    bodies = [network.bodies[c] for c in ("WG-AI", "ADGSOM", "ADGMIN")]
    year = timezone.localdate().year
    classifications = [Classification.PUBLIC, Classification.RESTRICTED, Classification.RESTRICTED]
    new = []
    for i in range(have + 1, wanted + 1):
        body = bodies[i % len(bodies)]
        new.append((body, i, classifications[i % len(classifications)]))
    numbers: dict[tuple[int, int], int] = {}
    documents = []
    for body, i, classification in new:
        issued = year - (i // len(bodies)) % 10
        key = (body.pk, issued)
        if key not in numbers:
            numbers[key] = services._next_number(body, issued) - 1
        numbers[key] += 1
        documents.append(
            Document(
                body=body,
                year=issued,
                number=numbers[key],
                symbol=f"{body.code}/{issued}/DOC.{numbers[key]}",
                title=f"{SYNTHETIC} {i}: {('risk assessment', 'testing regime', 'incident reporting')[i % 3]}",
                description="Synthetic volume for benchmarks.",
                classification=classification,
                created_at=_registered(issued, i),
                created_by=officer,
            )
        )
    bulk_create_with_past(documents, _document_steps)
    versions = []
    for document in documents:
        content = f"{document.title}\n\nSynthetic text.\n".encode()
        name = default_storage.save(f"documents/{document.pk}/synthetic-rev1.txt", ContentFile(content))
        versions.append(
            DocumentVersion(
                document=document,
                kind=VersionKind.REVISION,
                number=1,
                file=name,
                original_name="paper.txt",
                extension="txt",
                content_type="text/plain; charset=utf-8",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                uploaded_at=document.created_at,
                uploaded_by=officer,
            )
        )
    bulk_create_with_past(versions, lambda v: [Step(v.uploaded_at, "Rev.1 uploaded")])


def _registered(year: int, i: int) -> dt.datetime:
    """A moment in `year` (this year's papers: in its past), spread over the year's days."""
    start = dt.datetime(year, 1, 5, 9, tzinfo=dt.UTC)
    moment = start + dt.timedelta(days=(i * 7) % 340)
    return min(moment, timezone.now() - dt.timedelta(days=1 + i % 30))


def _document_steps(document: Document) -> list[Step]:
    """Registered restricted; a public paper was declassified a quarter later (as papers are, once noted)."""
    if document.classification != Classification.PUBLIC:
        return [Step(document.created_at, "Registered")]
    restricted, public = Classification.RESTRICTED.label, Classification.PUBLIC.label
    return [
        Step(document.created_at, "Registered", {"classification": Classification.RESTRICTED}),
        Step(document.created_at + dt.timedelta(days=90), f"Reclassified from {restricted} to {public}"),
    ]


def seed_documents(network: demo.Network, *, scale: int = 1, log: Callable[[str], object] = print) -> None:
    officer = network.people["secretariat"]
    docs = _documents(network, officer)
    _circulations(network, officer, docs)
    if scale > 1:
        _synthetic(network, officer, scale)
    log(f"Documents: {Document.objects.count()}, circulations: {Circulation.objects.count()}.")


demo.register(seed_documents)
