"""Access rules of meetings, in one place: pages, API, .ics, PDFs and e-mails ask here.

- The secretariat sees and manages every meeting.
- Members of a body (chair, vice-chair, rapporteur, heads of delegation,
  delegates) see its meetings once scheduled; its chair sees drafts too.
- Observers and other guests see only the meetings they are invited to by name.
- A meeting's named chair sees it.
- Only the chair of the meeting approves or returns its minutes; the chair or
  the secretariat adopts the agenda.
- A delegation answers through its own head or delegates, for its own state only.

What a user may not see answers 404; what it may see but not change, 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from secretariat.models import Membership, Role, User

from .models import (
    AgendaItem,
    Decision,
    Delegation,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    MinutesVersion,
    Participant,
)

# Roles that see all of a body's meetings (observers see those they are invited to).
MEMBER_ROLES = [Role.CHAIR, Role.VICE_CHAIR, Role.HEAD, Role.DELEGATE, Role.RAPPORTEUR]
# Roles that act for a delegation.
DELEGATION_ROLES = [Role.HEAD, Role.DELEGATE]


def can_manage_meetings(user: User) -> bool:
    return user.is_authenticated and user.is_secretariat


def visible_meetings(user: User) -> QuerySet[Meeting]:
    if not user.is_authenticated:
        return Meeting.objects.none()
    if user.is_secretariat:
        return Meeting.objects.all()
    current = Membership.objects.current().filter(person=user)
    member_of = current.filter(role__in=MEMBER_ROLES).values("body_id")
    chair_of = current.filter(role=Role.CHAIR).values("body_id")
    invited = Participant.objects.filter(person=user).values("meeting_id")
    scheduled_for_me = (Q(body__in=member_of) | Q(pk__in=invited) | Q(named_chair=user)) & ~Q(
        status=MeetingStatus.DRAFT
    )
    return Meeting.objects.filter(scheduled_for_me | Q(body__in=chair_of))


def get_meeting_for_user(user: User, pk: int, *, write: bool = False) -> Meeting:
    meeting = (
        visible_meetings(user)
        .filter(pk=pk)
        .select_related("body", "host_state", "named_chair", "agenda_adopted_by", "minutes")
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting.")
    if write and not can_manage_meetings(user):
        raise PermissionDenied
    return meeting


def is_chair(user: User, meeting: Meeting) -> bool:
    return user.is_authenticated and meeting.chair is not None and meeting.chair.pk == user.pk


def can_adopt_agenda(user: User, meeting: Meeting) -> bool:
    return can_manage_meetings(user) or is_chair(user, meeting)


def can_decide_on_minutes(user: User, meeting: Meeting) -> bool:
    """Approve or return: the chair's act alone, not the secretariat's."""
    return is_chair(user, meeting)


def delegation_states(user: User, meeting: Meeting) -> set[int]:
    """Member states for which `user` may act in this meeting (head or delegate in its body)."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.current()
        .filter(person=user, body_id=meeting.body_id, role__in=DELEGATION_ROLES)
        .values_list("member_state_id", flat=True)
    )


def meeting_roles(user: User, meeting: Meeting) -> set[int]:
    """delegation_states(user, meeting), and meeting.chair settled, in one query (the meeting page).

    The body's memberships that are either the user's delegation roles today or
    its chair on the meeting's day; the chair is chosen as Body.chair_on does.
    """
    if not user.is_authenticated:
        return set()
    today, day = timezone.localdate(), meeting.local_start.date()
    mine = Q(person=user, role__in=DELEGATION_ROLES, person__is_active=True, start__lte=today) & (
        Q(end__isnull=True) | Q(end__gte=today)
    )
    chair = Q(role=Role.CHAIR, start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))
    rows = Membership.objects.filter(mine | chair, body_id=meeting.body_id).select_related("person").order_by("-start")
    states: set[int] = set()
    chair_row = None
    for m in rows:
        if m.role == Role.CHAIR and m.start <= day and (m.end is None or m.end >= day) and chair_row is None:
            chair_row = m
        if (
            m.person_id == user.pk
            and m.role in DELEGATION_ROLES
            and m.start <= today
            and (m.end is None or m.end >= today)
        ):
            states.add(m.member_state_id)
    if not meeting.named_chair_id:
        meeting.__dict__["chair"] = chair_row.person if chair_row else None  # the cached_property's value
    return states


def can_answer_for(user: User, delegation: Delegation) -> bool:
    return delegation.member_state_id in delegation_states(user, delegation.meeting)


def guest_invitation(user: User, meeting: Meeting) -> Participant | None:
    if not user.is_authenticated:
        return None
    return Participant.objects.filter(meeting=meeting, person=user, delegation__isnull=True).first()


def get_delegation_for_user(user: User, meeting: Meeting, pk: int, *, write: bool = False) -> Delegation:
    delegation = meeting.delegations.filter(pk=pk).select_related("member_state").first()
    if delegation is None:
        raise Http404("No such delegation.")
    if write and not (can_answer_for(user, delegation) or can_manage_meetings(user)):
        raise PermissionDenied
    return delegation


def get_agenda_item_for_user(user: User, meeting: Meeting, pk: int, *, write: bool = False) -> AgendaItem:
    item = meeting.agenda_items.filter(pk=pk).first()
    if item is None:
        raise Http404("No such agenda item.")
    if write and not can_manage_meetings(user):
        raise PermissionDenied
    return item


def visible_decisions(user: User) -> QuerySet[Decision]:
    return Decision.objects.filter(meeting__in=visible_meetings(user))


# --- Minutes ------------------------------------------------------------------


def can_see_drafts(user: User, meeting: Meeting) -> bool:
    """The secretariat and the chair read every version; others, circulated and approved ones."""
    return can_manage_meetings(user) or is_chair(user, meeting)


def visible_versions(user: User, minutes: Minutes) -> QuerySet[MinutesVersion]:
    versions = minutes.versions.all()
    if can_see_drafts(user, minutes.meeting):
        return versions
    return versions.filter(Q(circulated_at__isnull=False) | Q(approved_at__isnull=False))


def get_minutes(meeting: Meeting) -> Minutes:
    """The minutes of a meeting the user may see (fetched with `get_meeting_for_user`), or 404."""
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is None:
        raise Http404("No minutes yet.")
    minutes.meeting = meeting
    return minutes


def get_version_for_user(user: User, minutes: Minutes, number: int) -> MinutesVersion:
    version = visible_versions(user, minutes).filter(number=number).select_related("created_by", "approved_by").first()
    if version is None:
        raise Http404("No such version.")
    return version


def can_comment(user: User, minutes: Minutes) -> bool:
    return minutes.status == MinutesStatus.CIRCULATED and bool(comment_states(user, minutes))


def comment_states(user: User, minutes: Minutes) -> set[int]:
    """States for which `user` may comment: its delegations invited to the meeting."""
    states = delegation_states(user, minutes.meeting)
    invited = set(minutes.meeting.delegations.values_list("member_state_id", flat=True))
    return states & invited


def can_see_comment_matrix(user: User, meeting: Meeting) -> bool:
    return can_see_drafts(user, meeting)
