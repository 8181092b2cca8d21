"""Who may see and do what with documents and circulations, in one place.

Pages, downloads, meeting packs, search, the API and e-mail links all ask here.

- The secretariat sees every document and manages the register.
- Public: every signed-in person of the network.
- Restricted: members of the owning body (chair, vice-chair, rapporteur, heads of
  delegation, delegates); observers see only what is shared with them by name.
- Confidential: the persons named as its readers.
- A circulation is seen by whoever sees its document. A member state answers
  through its own heads of delegation and delegates; a recipient acknowledges
  for itself.

What a user may not see answers 404; what it may see but not do, 403.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from secretariat.models import Body, Membership, MemberState, Role, User

from .models import (
    Circulation,
    CirculationAnswer,
    CirculationMode,
    CirculationRecipient,
    CirculationState,
    CirculationStatus,
    Classification,
    Document,
    DocumentReader,
    DocumentVersion,
)

# Roles that read a body's restricted documents (observers do not).
MEMBER_ROLES = [Role.CHAIR, Role.VICE_CHAIR, Role.HEAD, Role.DELEGATE, Role.RAPPORTEUR]
# Roles that act for a member state.
DELEGATION_ROLES = [Role.HEAD, Role.DELEGATE]


def can_manage_documents(user: User) -> bool:
    return user.is_authenticated and user.is_secretariat


def member_body_ids(user: User) -> QuerySet:
    return Membership.objects.current().filter(person=user, role__in=MEMBER_ROLES).values("body_id")


def visible_documents(user: User) -> QuerySet[Document]:
    if not user.is_authenticated:
        return Document.objects.none()
    if user.is_secretariat:
        return Document.objects.all()
    return Document.objects.filter(
        Q(classification=Classification.PUBLIC)
        | Q(classification=Classification.RESTRICTED, body__in=member_body_ids(user))
        | Q(
            classification=Classification.CONFIDENTIAL,
            pk__in=DocumentReader.objects.filter(person=user).values("document_id"),
        )
    )


def can_see_document(user: User, document: Document) -> bool:
    """The same rule as `visible_documents`, for one document and any person (recipients too)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_secretariat or document.classification == Classification.PUBLIC:
        return True
    if document.classification == Classification.RESTRICTED:
        return (
            Membership.objects.current().filter(person=user, body_id=document.body_id, role__in=MEMBER_ROLES).exists()
        )
    return DocumentReader.objects.filter(document=document, person=user).exists()


def get_document_for_user(user: User, pk: int, *, write: bool = False) -> Document:
    document = visible_documents(user).filter(pk=pk).select_related("body", "created_by").first()
    if document is None:
        raise Http404("No such document.")
    if write and not can_manage_documents(user):
        raise PermissionDenied
    return document


def get_version_for_user(user: User, document: Document, pk: int) -> DocumentVersion:
    """A version of a document the user may see (fetched with `get_document_for_user`)."""
    version = document.versions.filter(pk=pk).select_related("uploaded_by").first()
    if version is None:
        raise Http404("No such version.")
    version.document = document
    return version


def visible_versions(user: User) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(document__in=visible_documents(user))


# --- Circulations -------------------------------------------------------------------


def visible_circulations(user: User) -> QuerySet[Circulation]:
    return Circulation.objects.filter(version__document__in=visible_documents(user))


def get_circulation_for_user(user: User, document: Document, pk: int, *, write: bool = False) -> Circulation:
    circulation = (
        Circulation.objects.filter(pk=pk, version__document=document)
        .select_related("version", "version__uploaded_by", "created_by")
        .first()
    )
    if circulation is None:
        raise Http404("No such circulation.")
    circulation.version.document = document
    if write and not can_manage_documents(user):
        raise PermissionDenied
    return circulation


def delegation_state_ids(user: User) -> set[int]:
    """Member states for which `user` currently acts as head of delegation or delegate, in any body."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.current()
        .filter(person=user, role__in=DELEGATION_ROLES, member_state__isnull=False)
        .values_list("member_state_id", flat=True)
    )


def answer_state_ids(user: User, circulation: Circulation) -> set[int]:
    """States `user` may answer for in this circulation: asked, and it acts for them."""
    if not circulation.asks_states:
        return set()
    mine = delegation_state_ids(user)
    if not mine:
        return set()
    asked = set(circulation.state_rows.values_list("member_state_id", flat=True))
    return mine & asked


def can_answer(user: User, circulation: Circulation) -> bool:
    return bool(answer_state_ids(user, circulation))


def recipient_row(user: User, circulation: Circulation) -> CirculationRecipient | None:
    if not user.is_authenticated:
        return None
    return CirculationRecipient.objects.filter(circulation=circulation, person=user).first()


def can_see_receipts(user: User) -> bool:
    """Who opened what, and the per-state matrix: the secretariat's working view."""
    return can_manage_documents(user)


def chairs_of(body: Body) -> list[User]:
    chair = body.chair_on(timezone.localdate())
    return [chair] if chair is not None else []


@dataclasses.dataclass(frozen=True)
class Awaiting:
    """An open circulation waiting for the user: its state's answer, or its own acknowledgement."""

    circulation: Circulation
    member_state: MemberState | None

    @property
    def document(self) -> Document:
        return self.circulation.version.document


def circulations_awaiting(user: User, *, delegations: bool = True) -> list[Awaiting]:
    """For "my work": open circulations that a state the user acts for has not answered,
    and those circulated to the user for information not yet acknowledged; soonest deadline first.

    Two queries whatever the number of circulations; one if the caller knows that
    the user acts for no state (`delegations=False`).
    """
    if not user.is_authenticated:
        return []
    now = timezone.now()
    documents = visible_documents(user)
    related = ("circulation__version__document", "member_state")
    answered = CirculationAnswer.objects.filter(
        circulation=OuterRef("circulation"), member_state=OuterRef("member_state")
    )
    asked = (
        CirculationState.objects.filter(
            member_state_id__in=Membership.objects.current()
            .filter(person=user, role__in=DELEGATION_ROLES, member_state__isnull=False)
            .values("member_state_id"),
            circulation__status=CirculationStatus.OPEN,
            circulation__deadline__gt=now,
            circulation__version__document__in=documents,
        )
        .exclude(Exists(answered))
        .select_related(*related)
    )
    unacknowledged = CirculationRecipient.objects.filter(
        person=user,
        acknowledged_at__isnull=True,
        circulation__mode=CirculationMode.INFORMATION,
        circulation__status=CirculationStatus.OPEN,
        circulation__version__document__in=documents,
    ).select_related("circulation__version__document")
    rows = [Awaiting(row.circulation, row.member_state) for row in asked] if delegations else []
    rows += [Awaiting(row.circulation, None) for row in unacknowledged]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda a: (a.circulation.deadline or far, a.circulation.pk))
