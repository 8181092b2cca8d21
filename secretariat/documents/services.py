"""Every change to the document register and its circulations goes through a function here.

Each is one transaction (`@service`), takes the actor as `by=`, checks permission
and transition, locks the row two people could change at once, writes with a
change reason, and plans its e-mails as notification rows in the same
transaction (the delivery sweep sends them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from secretariat import delivery, reminder_policy
from secretariat.history import bulk_create_with_history, save_with_reason, service
from secretariat.models import SECRETARIAT_GROUP, Body, Membership, MemberState, User

from . import rules
from .files import check_upload
from .models import (
    NEEDS_TEXT,
    Circulation,
    CirculationAnswer,
    CirculationMode,
    CirculationRecipient,
    CirculationState,
    CirculationStatus,
    Classification,
    Document,
    DocumentOpen,
    DocumentReader,
    DocumentVersion,
    Position,
    VersionKind,
    new_link_nonce,
)

# A silence procedure gives delegations at least this long to consult their capitals.
SILENCE_MINIMUM = dt.timedelta(hours=72)
# The procedures whose waiting delegations are reminded before the deadline.
REMINDED_MODES = (CirculationMode.COMMENTS, CirculationMode.SILENCE, CirculationMode.AD_REFERENDUM)
REMINDED = Q(mode__in=[m.value for m in REMINDED_MODES])


def _manage(by: User) -> None:
    if not rules.can_manage_documents(by):
        raise PermissionDenied(_("Only the secretariat can do this."))


def _when(moment: dt.datetime) -> str:
    """A moment in the secretariat's seat, for change reasons and outcome notes."""
    return formats.date_format(timezone.localtime(moment), "j F Y, H:i e")


# --- Register -------------------------------------------------------------------


def _next_number(body: Body, year: int) -> int:
    """The body's next document number in the year; the body row is locked first."""
    Body.objects.select_for_update().filter(pk=body.pk).first()
    highest = Document.objects.filter(body=body, year=year).aggregate(n=Max("number"))["n"]
    return (highest or 0) + 1


def _store(version: DocumentVersion, upload: IO[bytes], name: str, size: int | None) -> None:
    """Check the upload and store it under a server-generated name (never over another file)."""
    checked = check_upload(upload, name, size)
    version.original_name = checked.name
    version.extension = checked.extension
    version.content_type = checked.content_type
    version.size = checked.size
    version.sha256 = checked.sha256
    version.file.save(checked.name, File(upload, name=checked.name), save=False)


def _set_readers(document: Document, readers: Iterable[User], *, by: User) -> None:
    wanted = {person.pk: person for person in readers}
    current = {row.person_id: row for row in document.reader_rows.all()}
    for person_id, row in current.items():
        if person_id not in wanted:
            row._change_reason = "No longer a named reader"
            row.delete()
    for person_id, person in wanted.items():
        if person_id not in current:
            save_with_reason(DocumentReader(document=document, person=person, added_by=by), "Named as a reader")


def _check_classification(classification: str, readers: Sequence[User]) -> None:
    if classification not in Classification.values:
        raise ValidationError({"classification": _("Choose a classification.")})
    if classification == Classification.CONFIDENTIAL and not readers:
        raise ValidationError(
            {"readers": _("A confidential document needs at least one named reader besides the secretariat.")}
        )


@service
def create_document(
    *,
    by: User,
    body: Body,
    title: str,
    classification: str,
    upload: IO[bytes],
    upload_name: str,
    upload_size: int | None = None,
    description: str = "",
    readers: Sequence[User] = (),
    note: str = "",
) -> Document:
    """Register a document with its symbol (BODY/YEAR/DOC.n) and store its first version, Rev.1."""
    _manage(by)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the document a title.")})
    _check_classification(classification, readers)
    year = timezone.localdate().year
    number = _next_number(body, year)
    document = Document(
        body=body,
        year=year,
        number=number,
        symbol=f"{body.code}/{year}/DOC.{number}",
        title=title,
        description=description.strip(),
        classification=classification,
        created_by=by,
    )
    save_with_reason(document, "Registered")
    _set_readers(document, readers if classification == Classification.CONFIDENTIAL else (), by=by)
    version = DocumentVersion(
        document=document, kind=VersionKind.REVISION, number=1, uploaded_by=by, note=note.strip()[:500]
    )
    _store(version, upload, upload_name, upload_size)
    save_with_reason(version, "Rev.1 uploaded")
    return document


@service
def add_version(
    document: Document,
    *,
    by: User,
    kind: str,
    upload: IO[bytes],
    upload_name: str,
    upload_size: int | None = None,
    note: str = "",
) -> DocumentVersion:
    """A new revision, corrigendum or addendum, numbered after the last of its kind."""
    _manage(by)
    if kind not in VersionKind.values:
        raise ValidationError({"kind": _("Choose a revision, a corrigendum or an addendum.")})
    Document.objects.select_for_update().filter(pk=document.pk).first()
    highest = document.versions.filter(kind=kind).aggregate(n=Max("number"))["n"] or 0
    version = DocumentVersion(document=document, kind=kind, number=highest + 1, uploaded_by=by, note=note.strip()[:500])
    _store(version, upload, upload_name, upload_size)
    save_with_reason(version, f"{version.label} uploaded")
    return version


@service
def update_document(
    document: Document,
    *,
    by: User,
    title: str,
    description: str,
    classification: str,
    readers: Sequence[User] = (),
) -> Document:
    _manage(by)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the document a title.")})
    _check_classification(classification, readers)
    before = document.classification
    document.title = title
    document.description = description.strip()
    document.classification = classification
    reason = "Details edited"
    if before != classification:
        reason = f"Reclassified from {Classification(before).label} to {Classification(classification).label}"
    save_with_reason(document, reason)
    _set_readers(document, readers if classification == Classification.CONFIDENTIAL else (), by=by)
    return document


@service
def record_open(version: DocumentVersion, *, by: User, via: str = "download") -> DocumentOpen:
    """Record that `by` opened a version: the read receipt shown to the secretariat."""
    if not rules.can_see_document(by, version.document):
        raise PermissionDenied
    opening = DocumentOpen(version=version, person=by, via=via)
    save_with_reason(opening, f"Opened ({via})")
    return opening


# --- Circulation ----------------------------------------------------------------------


def _delegates(body: Body, states: Iterable[int] | None = None):
    rows = Membership.objects.current().filter(body=body, role__in=rules.DELEGATION_ROLES, member_state__isnull=False)
    if states is not None:
        rows = rows.filter(member_state_id__in=list(states))
    return rows.select_related("person", "member_state")


def _resolve(
    document: Document, bodies: Sequence[Body], states: Sequence[MemberState], persons: Sequence[User]
) -> tuple[dict[int, tuple[User, MemberState | None]], dict[int, MemberState], list[str]]:
    """Who receives the circulation, which states must answer, and how it was addressed.

    1. A body: its members (not its observers); its delegations' states answer.
    2. A member state: its heads of delegation and delegates in the owning body; it answers.
    3. A person named: receives it, to read and acknowledge; answers nothing by itself.
    """
    people: dict[int, tuple[User, MemberState | None]] = {}
    asked: dict[int, MemberState] = {}
    labels: list[str] = []
    for body in bodies:
        labels.append(_("%(body)s (members)") % {"body": body.code})
        members = Membership.objects.current().filter(body=body, role__in=rules.MEMBER_ROLES)
        for m in members.select_related("person", "member_state"):
            acts_for = m.member_state if m.role in rules.DELEGATION_ROLES else None
            if acts_for is not None:
                asked[acts_for.pk] = acts_for
            known = people.get(m.person_id, (m.person, None))[1]
            people[m.person_id] = (m.person, known or acts_for)
    missing = []
    for state in states:
        labels.append(state.name)
        asked[state.pk] = state
        delegates = list(_delegates(document.body, [state.pk]))
        if not delegates:
            missing.append(state.name)
        for m in delegates:
            people[m.person_id] = (m.person, m.member_state)
    if missing:
        raise ValidationError(
            {
                "states": _("%(states)s has no head of delegation or delegate in %(body)s to receive it.")
                % {"states": ", ".join(missing), "body": document.body.code}
            }
        )
    for person in persons:
        labels.append(str(person))
        people.setdefault(person.pk, (person, None))
    return people, asked, labels


def _check_readers(document: Document, people: dict[int, tuple[User, MemberState | None]]) -> None:
    """Circulating never widens access: every recipient must already be allowed to read it."""
    outside = [person for person, _state in people.values() if not rules.can_see_document(person, document)]
    if not outside:
        return
    names = ", ".join(sorted(str(p) for p in outside))
    if document.classification == Classification.RESTRICTED:
        message = _("%(symbol)s is restricted to members of %(body)s; these recipients are outside it: %(names)s.") % {
            "symbol": document.symbol,
            "body": document.body.code,
            "names": names,
        }
    elif document.classification == Classification.CONFIDENTIAL:
        message = _("%(symbol)s is confidential; name these recipients as its readers first: %(names)s.") % {
            "symbol": document.symbol,
            "names": names,
        }
    else:
        message = _("These recipients cannot read %(symbol)s: %(names)s.") % {
            "symbol": document.symbol,
            "names": names,
        }
    raise ValidationError({"persons": message})


def _check_deadline(mode: str, deadline: dt.datetime | None, now: dt.datetime) -> None:
    if deadline is None:
        if mode != CirculationMode.INFORMATION:
            raise ValidationError({"deadline": _("Set a deadline: delegations answer by it.")})
        return
    if deadline <= now:
        raise ValidationError({"deadline": _("The deadline has already passed. Choose a moment in the future.")})
    if mode == CirculationMode.SILENCE and deadline < now + SILENCE_MINIMUM:
        raise ValidationError(
            {
                "deadline": _(
                    "A silence procedure runs for at least 72 hours, so that delegations can consult their "
                    "capitals. Choose %(earliest)s or later."
                )
                % {"earliest": _when(now + SILENCE_MINIMUM)}
            }
        )


@service
def circulate_document(
    version: DocumentVersion,
    *,
    by: User,
    mode: str,
    deadline: dt.datetime | None = None,
    bodies: Sequence[Body] = (),
    states: Sequence[MemberState] = (),
    persons: Sequence[User] = (),
    message: str = "",
) -> Circulation:
    """Send one version to its recipients for information, comments, or adoption.

    1. Check the mode, the deadline (future; 72 hours at least for silence) and
       that no other adoption procedure is open on the same version.
    2. Resolve bodies, states and persons into recipients and the states asked,
       and check every recipient may already read the document.
    3. Write the circulation, its states and recipients, and one e-mail each.
    """
    _manage(by)
    now = timezone.now()
    if mode not in CirculationMode.values:
        raise ValidationError({"mode": _("Choose how the document is circulated.")})
    _check_deadline(mode, deadline, now)
    document = version.document
    Document.objects.select_for_update().filter(pk=document.pk).first()
    if mode in (CirculationMode.SILENCE, CirculationMode.AD_REFERENDUM):
        running = Circulation.objects.open().filter(
            version=version, mode__in=[CirculationMode.SILENCE, CirculationMode.AD_REFERENDUM]
        )
        if running.exists():
            raise ValidationError(
                _("%(symbol)s is already under an adoption procedure; wait for its outcome or withdraw it.")
                % {"symbol": version.full_symbol}
            )
    if not (bodies or states or persons):
        raise ValidationError({"bodies": _("Choose at least one recipient: a body, a member state or a person.")})
    people, asked, labels = _resolve(document, bodies, states, persons)
    if mode != CirculationMode.INFORMATION and not asked:
        raise ValidationError(
            {"states": _("Member states answer this procedure: address at least one, directly or through a body.")}
        )
    _check_readers(document, people)
    circulation = Circulation(
        version=version,
        mode=mode,
        deadline=deadline,
        message=message.strip(),
        addressed_to="; ".join(labels)[:1000],
        created_by=by,
    )
    save_with_reason(circulation, f"Circulated {CirculationMode(mode).label.lower()}")
    reason = "Circulated"
    if mode != CirculationMode.INFORMATION:
        bulk_create_with_history(
            [CirculationState(circulation=circulation, member_state=state) for state in asked.values()], reason=reason
        )
    bulk_create_with_history(
        [
            CirculationRecipient(
                circulation=circulation, person=person, member_state=state, link_nonce=new_link_nonce()
            )
            for person, state in people.values()
        ],
        reason=reason,
    )
    for row in circulation.recipients.select_related("person"):
        if row.person.is_active:
            delivery.notify("circulation_sent", row, recipient=row.person)
    return circulation


def _lock_circulation(circulation: Circulation) -> None:
    circulation.refresh_from_db(from_queryset=Circulation.objects.select_for_update())


def _closed_message(circulation: Circulation) -> str:
    if circulation.status == CirculationStatus.SILENCE_BROKEN:
        return _("Silence was broken on %(when)s; the procedure is over.") % {"when": _when(circulation.decided_at)}
    if circulation.status == CirculationStatus.OPEN:
        return _("The deadline passed on %(when)s; answers are closed.") % {"when": _when(circulation.deadline)}
    return _("This circulation is over (%(status)s); answers are closed.") % {
        "status": circulation.get_status_display().lower()
    }


@service
def answer_circulation(
    circulation: Circulation, *, by: User, member_state: MemberState, position: str, text: str = ""
) -> CirculationAnswer:
    """Record a member state's answer; a second answer from the state replaces the first.

    An objection under silence procedure breaks silence at once: the chair of the
    owning body and the secretariat are alerted, and every recipient is told.
    Under ad referendum, the last confirmation adopts the text at once.
    """
    _lock_circulation(circulation)
    document = circulation.version.document
    if not rules.can_see_document(by, document):
        raise PermissionDenied
    if not circulation.asks_states:
        raise ValidationError(_("This circulation is for information: acknowledge receipt instead."))
    if not circulation.accepts_answers:
        raise ValidationError(_closed_message(circulation))
    if member_state.pk not in rules.answer_state_ids(by, circulation):
        raise ValidationError(
            {
                "member_state": _(
                    "You cannot answer for %(state)s: answer only for a delegation you belong to that was asked."
                )
                % {"state": member_state.name}
            }
        )
    if position not in circulation.positions:
        raise ValidationError({"position": _("Choose one of the answers this procedure allows.")})
    text = text.strip()
    if position in NEEDS_TEXT and not text:
        label = Position(position).label.lower()
        raise ValidationError(
            {"text": _("Give the text of your %(answer)s; it is part of the record.") % {"answer": label}}
        )
    answer = CirculationAnswer.objects.filter(circulation=circulation, member_state=member_state).first()
    if answer is None:
        answer = CirculationAnswer(circulation=circulation, member_state=member_state)
        reason = f"{member_state.code} answered: {Position(position).label}"
    else:
        reason = (
            f"{member_state.code} replaced its answer ({Position(answer.position).label} → {Position(position).label})"
        )
    answer.position = position
    answer.text = text
    answer.answered_by = by
    answer.answered_at = timezone.now()
    save_with_reason(answer, reason)

    if circulation.mode == CirculationMode.SILENCE and position == Position.OBJECTION:
        _break_silence(circulation, answer)
    elif circulation.mode == CirculationMode.AD_REFERENDUM and position == Position.CONFIRMED:
        asked = set(circulation.state_rows.values_list("member_state_id", flat=True))
        confirmed = set(
            circulation.answers.filter(position=Position.CONFIRMED).values_list("member_state_id", flat=True)
        )
        if asked <= confirmed:
            _decide(circulation, CirculationStatus.CONFIRMED, _("Confirmed by every member state asked."))
    return answer


def _break_silence(circulation: Circulation, objection: CirculationAnswer) -> None:
    note = _("Silence broken by %(state)s on %(when)s: %(reason)s") % {
        "state": objection.member_state.name,
        "when": _when(objection.answered_at),
        "reason": objection.text,
    }
    alerted = {u.pk: u for u in [*rules.chairs_of(circulation.version.document.body), *secretariat_officers()]}
    alerted.setdefault(circulation.created_by_id, circulation.created_by)
    for person in alerted.values():
        if person.is_active:
            delivery.notify("circulation_objection", circulation, recipient=person)
    _decide(circulation, CirculationStatus.SILENCE_BROKEN, note[:1000], skip=set(alerted))


def secretariat_officers() -> list[User]:
    return list(User.objects.filter(groups__name=SECRETARIAT_GROUP, is_active=True))


def _decide(circulation: Circulation, status: str, note: str, *, skip: set[int] = frozenset()) -> int:
    """Record the outcome and tell every recipient (and whoever circulated it)."""
    circulation.status = status
    circulation.decided_at = timezone.now()
    circulation.outcome_note = note
    save_with_reason(circulation, f"Outcome: {CirculationStatus(status).label}")
    if circulation.mode == CirculationMode.INFORMATION:
        return 0
    told = 0
    people = {r.person_id: r.person for r in circulation.recipients.select_related("person")}
    people.setdefault(circulation.created_by_id, circulation.created_by)
    for person_id, person in people.items():
        if person_id in skip or not person.is_active:
            continue
        if delivery.notify("circulation_outcome", circulation, recipient=person, occurrence=status):
            told += 1
    return told


def outcome_at_deadline(circulation: Circulation) -> tuple[str, str]:
    """What the deadline decides, from the answers as they stand."""
    answers = list(circulation.answers.select_related("member_state"))
    asked = list(circulation.state_rows.select_related("member_state"))
    by_position: dict[str, list[str]] = {}
    for a in answers:
        by_position.setdefault(a.position, []).append(a.member_state.name)
    if circulation.mode == CirculationMode.SILENCE:
        note = _("Adopted by silence procedure: no member state objected by the deadline.")
        for position in (Position.RESERVATION, Position.EXPLANATION):
            if by_position.get(position):
                note += " " + _("%(what)s: %(states)s.") % {
                    "what": Position(position).label,
                    "states": ", ".join(by_position[position]),
                }
        return CirculationStatus.ADOPTED, note
    if circulation.mode == CirculationMode.AD_REFERENDUM:
        confirmed = set(by_position.get(Position.CONFIRMED, []))
        missing = [row.member_state.name for row in asked if row.member_state.name not in confirmed]
        if not missing:
            return CirculationStatus.CONFIRMED, _("Confirmed by every member state asked.")
        return CirculationStatus.NOT_ADOPTED, _("Not adopted: not confirmed by %(states)s by the deadline.") % {
            "states": ", ".join(missing)
        }
    if circulation.mode == CirculationMode.COMMENTS:
        return CirculationStatus.CLOSED, _("Comments closed: %(n)s of %(total)s delegations answered.") % {
            "n": len(answers),
            "total": len(asked),
        }
    acknowledged = circulation.recipients.filter(acknowledged_at__isnull=False).count()
    return CirculationStatus.CLOSED, _("Closed: %(n)s of %(total)s recipients acknowledged receipt.") % {
        "n": acknowledged,
        "total": circulation.recipients.count(),
    }


@service
def decide_circulation(circulation: Circulation, *, by: User, now: dt.datetime | None = None) -> int:
    """The sweep's step for a circulation whose deadline has passed. Safe to run twice."""
    now = now or timezone.now()
    _lock_circulation(circulation)
    if circulation.status != CirculationStatus.OPEN or circulation.deadline is None or circulation.deadline > now:
        return 0
    status, note = outcome_at_deadline(circulation)
    return _decide(circulation, status, note)


@service
def acknowledge_circulation(circulation: Circulation, *, by: User) -> CirculationRecipient:
    """A recipient confirms receipt of a document circulated for information."""
    row = CirculationRecipient.objects.select_for_update().filter(circulation=circulation, person=by).order_by().first()
    if row is None or not rules.can_see_document(by, circulation.version.document):
        raise PermissionDenied(_("This circulation was not sent to you."))
    if circulation.mode != CirculationMode.INFORMATION:
        raise ValidationError(_("This circulation asks for your delegation's answer, not an acknowledgement."))
    if circulation.status != CirculationStatus.OPEN:
        raise ValidationError(_closed_message(circulation))
    if row.acknowledged_at is None:
        row.acknowledged_at = timezone.now()
        save_with_reason(row, "Receipt acknowledged")
    return row


@service
def withdraw_circulation(circulation: Circulation, *, by: User, reason: str) -> Circulation:
    _manage(by)
    _lock_circulation(circulation)
    if circulation.status != CirculationStatus.OPEN:
        raise ValidationError(_closed_message(circulation))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; recipients are told it.")})
    _decide(
        circulation, CirculationStatus.WITHDRAWN, _("Withdrawn by the secretariat: %(reason)s") % {"reason": reason}
    )
    return circulation


@service
def use_link(row: CirculationRecipient, *, by: User, action: str, text: str = "") -> None:
    """Carry out a one-click link (already checked by `tokens`) and make it single use."""
    circulation = row.circulation
    if action == "acknowledge":
        acknowledge_circulation(circulation, by=by)
    elif action == "no_objection":
        answer_circulation(circulation, by=by, member_state=row.member_state, position=Position.NO_OBJECTION)
    elif action == "confirm":
        answer_circulation(circulation, by=by, member_state=row.member_state, position=Position.CONFIRMED)
    else:
        raise ValidationError(_("This link does not do anything we know."))
    row.refresh_from_db()
    row.link_nonce = new_link_nonce()
    save_with_reason(row, f"One-click link used ({action})")


def reminded(now: dt.datetime) -> QuerySet[Circulation]:
    """Open circulations whose waiting delegations are reminded, with a deadline after `now`."""
    return Circulation.objects.open().filter(REMINDED, deadline__gt=now)


def plan_deadline_reminders(now: dt.datetime) -> int:
    """Remind the delegations that have not answered, before the deadline (settings.REMINDERS:
    by default 48 and 24 hours before).

    Each circulation gets the reminder of the latest lead it has reached ("2d", then
    "1d"): a sweep that comes late sends one, not each one it missed. A lead whose
    moment came before the circulation was sent is skipped: the circulation e-mail
    itself has just told them. Every sweep of the window reads the waiting rows again
    (two queries, however many circulations are closing) and plans them in one bulk step: rows
    planned by an earlier sweep are skipped by the INSERT itself (`delivery.notify_many`).
    """
    longest = reminder_policy.before("circulation_deadline")[0]
    labels = {}
    for pk, deadline, sent in (
        reminded(now).filter(deadline__lte=now + longest).values_list("pk", "deadline", "created_at")
    ):
        lead = reminder_policy.latest_lead("circulation_deadline", deadline, now, since=sent)
        if lead is not None:
            labels[pk] = reminder_policy.label(lead)
    if not labels:
        return 0
    answered = CirculationAnswer.objects.filter(
        circulation_id=OuterRef("circulation_id"), member_state_id=OuterRef("member_state_id")
    )
    waiting = (
        CirculationRecipient.objects.filter(
            circulation_id__in=labels, member_state__isnull=False, person__is_active=True
        )
        .exclude(Exists(answered))
        .select_related("person__member_state")
        .order_by("circulation_id", "pk")
    )
    plans = [delivery.Planned("circulation_deadline", row, row.person, labels[row.circulation_id]) for row in waiting]
    return delivery.notify_many(plans, now=now)
