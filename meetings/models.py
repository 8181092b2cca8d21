"""Meetings of the bodies: schedule, agenda, delegations, decisions, minutes.

Workflow fields (statuses, approvals, sequence numbers) are written only by
`meetings.services`; models hold data and what can be derived from it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
import uuid
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from secretariat.history import TrackedQuerySet, history
from secretariat.models import Body, Membership, MemberState, Role, User, validate_time_zone
from secretariat.zones import zone_label

if TYPE_CHECKING:
    from collections.abc import Iterable

# Working hours of a delegation, local time: a slot outside them earns a warning.
WORKING_HOURS = (dt.time(8, 0), dt.time(18, 0))
# Minutes longer than this are refused: a Report of the Meeting is a few dozen pages.
MINUTES_MAX_CHARS = 200_000
UID_DOMAIN = "asean-ai-safe.example"


def ordinal(number: int) -> str:
    """'1st', '2nd', '3rd', '4th', '11th', '22nd' — the house style of meeting titles."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")
    HYBRID = "hybrid", _("Hybrid")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held")
    CLOSED = "closed", _("Closed")


# Statuses in which the meeting is still to take place and invitations stand.
GOING_AHEAD = (MeetingStatus.SCHEDULED, MeetingStatus.POSTPONED)


class AgendaStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")


@dataclasses.dataclass(frozen=True)
class LocalTime:
    """A meeting's slot seen from one member state."""

    state: MemberState
    start: dt.datetime
    end: dt.datetime
    label: str
    out_of_hours: bool


def outside_working_hours(start: dt.datetime, end: dt.datetime, zone_name: str) -> bool:
    """True when the slot starts or ends outside 08:00 to 18:00 in the zone.

    A meeting over several days is one interval from the first morning to the
    last afternoon: its nights are not counted, its opening and closing times are.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    opens, closes = WORKING_HOURS
    starts, ends = start.astimezone(zone).time(), end.astimezone(zone).time()
    return not (opens <= starts <= closes and opens <= ends <= closes)


class MeetingQuerySet(TrackedQuerySet):
    def upcoming(self) -> MeetingQuerySet:
        return self.filter(status__in=GOING_AHEAD, end__gte=timezone.now())

    def past(self) -> MeetingQuerySet:
        return self.filter(end__lt=timezone.now()).exclude(status=MeetingStatus.DRAFT)

    def upcoming_for(self, user: User) -> MeetingQuerySet:
        """The meetings still to come that `user` may see, soonest first."""
        from .rules import visible_meetings

        return visible_meetings(user).upcoming().select_related("body", "host_state").order_by("start")


class Meeting(models.Model):
    """A meeting of a body, such as "6th ADGSOM"."""

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="meetings")
    number = models.PositiveIntegerField(_("number"), help_text=_("The meetings of a body are numbered in order."))
    title = models.CharField(_("title"), max_length=200)
    format = models.CharField(
        _("format"), max_length=10, choices=MeetingFormat.choices, default=MeetingFormat.IN_PERSON
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    host_state = models.ForeignKey(
        MemberState,
        verbose_name=_("host member state"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_meetings",
    )
    video_link = models.URLField(_("video link"), blank=True)
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    time_zone = models.CharField(
        _("venue time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("Start and end are entered in this zone."),
    )
    named_chair = models.ForeignKey(
        User,
        verbose_name=_("chair of this meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings_chaired",
        help_text=_("Leave empty: the chair of the body on the meeting's date presides."),
    )
    status = models.CharField(_("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    # Why it was postponed or cancelled, shown on the page and in the e-mails.
    status_note = models.CharField(_("reason"), max_length=500, blank=True)
    # iCalendar SEQUENCE: raised on every change of date, so calendars replace the event.
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agenda_status = models.CharField(
        _("agenda status"), max_length=10, choices=AgendaStatus.choices, default=AgendaStatus.DRAFT
    )
    agenda_adopted_at = models.DateTimeField(_("agenda adopted at"), null=True, blank=True)
    agenda_adopted_by = models.ForeignKey(
        User, verbose_name=_("agenda adopted by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = MeetingQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["-start"]
        verbose_name = _("meeting")
        constraints = [
            models.UniqueConstraint(
                fields=["body", "number"],
                name="meeting_number_per_body",
                violation_error_message=_("This body already has a meeting with this number."),
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="meeting_ends_after_start",
                violation_error_message=_("The meeting must end after it starts."),
            ),
        ]
        indexes = [
            # The meeting list: filtered by body, ordered by start.
            models.Index(fields=["body", "start"], name="meeting_body_start"),
            # Upcoming meetings (home page, calendar feed): status and start.
            models.Index(fields=["status", "start"], name="meeting_status_start"),
            # used by the meetings list's upcoming and past tabs (end ≥ or < now, by start) and
            # /api/v1/meetings/?since=… (end on or after a day).
            models.Index(fields=["end", "start"], name="meeting_end_start"),
            # used by /meetings/?when=all and /api/v1/meetings/ unfiltered: every body, newest first.
            models.Index(fields=["-start"], name="meeting_newest"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", args=[self.pk])

    @staticmethod
    def history_label(record: models.Model) -> str:
        return record.title

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The meeting must end after it starts.")})

    # --- Time ---------------------------------------------------------------

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def zone_label(self) -> str:
        return zone_label(self.time_zone, self.start)

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.zone)

    def local_times(self, states: Iterable[MemberState]) -> list[LocalTime]:
        """The slot in each state's zone, with a flag when it leaves 08:00 to 18:00."""
        return [
            LocalTime(
                state=state,
                start=self.start.astimezone(zoneinfo.ZoneInfo(state.time_zone)),
                end=self.end.astimezone(zoneinfo.ZoneInfo(state.time_zone)),
                label=zone_label(state.time_zone, self.start),
                out_of_hours=outside_working_hours(self.start, self.end, state.time_zone),
            )
            for state in states
        ]

    # --- Status -----------------------------------------------------------------

    @property
    def is_going_ahead(self) -> bool:
        return self.status in GOING_AHEAD

    @property
    def has_started(self) -> bool:
        return self.start <= timezone.now()

    @property
    def accepts_rsvp(self) -> bool:
        return self.is_going_ahead and self.end > timezone.now()

    @property
    def ical_uid(self) -> str:
        return f"meeting-{self.uid}@{UID_DOMAIN}"

    @cached_property
    def chair(self) -> User | None:
        """The meeting's own chair if it names one, else the body's chair on the day."""
        if self.named_chair_id:
            return self.named_chair
        return self.body.chair_on(self.local_start.date())

    def matters_arising(self, user: User | None = None, *, limit: int | None = None) -> list[Any]:
        """Seam: the body's open action items, through a reverse relation a later app adds.

        The workgroups app gives `Body` an `action_items` relation; until then the
        section renders nothing. Its `open_at(moment)` queryset method (items open
        when the meeting starts) is used when present, else `open()`; with a user,
        its `visible_to(user)` keeps out what that user may not read. With `limit`,
        the first that many in the items' own order (soonest due first), each
        annotated with `arising_total` (how many there are in all; one query).
        """
        manager = getattr(self.body, "action_items", None)
        if manager is None:
            return []
        items = manager.all()
        if hasattr(items, "open_at"):
            items = items.open_at(self.start)
        elif hasattr(items, "open"):
            items = items.open()
        if user is not None and hasattr(items, "visible_to"):
            items = items.visible_to(user)
        if limit is not None:
            items = items.annotate(arising_total=Window(Count("pk")))[:limit]  # in the items' own order
        return list(items)

    def actions_arising(self, user: User) -> list[Any] | None:
        """Seam: the action items arising from this meeting, through the workgroups app's
        `action_items` relation (None while there is none), as `user` may see them."""
        manager = getattr(self, "action_items", None)
        if manager is None:
            return None
        items = manager.all()
        if hasattr(items, "visible_to"):
            items = items.visible_to(user)
        return list(items.select_related("owner_state", "agenda_item").prefetch_related("assignments__person"))


class Rsvp(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    ATTENDING = "attending", _("Attending")
    NOT_ATTENDING = "not_attending", _("Not attending")


class Delegation(models.Model):
    """A member state's delegation to a meeting: invited, answering, attending."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="delegations")
    member_state = models.ForeignKey(
        MemberState, verbose_name=_("member state"), on_delete=models.PROTECT, related_name="meeting_delegations"
    )
    rsvp = models.CharField(_("answer"), max_length=15, choices=Rsvp.choices, default=Rsvp.PENDING)
    rsvp_note = models.CharField(_("note"), max_length=500, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        User, verbose_name=_("answered by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Recorded by the secretariat after the meeting; None until then.
    attended = models.BooleanField(_("attended"), null=True, blank=True)

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["member_state__name"]
        verbose_name = _("delegation")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member_state"], name="delegation_once_per_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.member_state} — {self.meeting}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Delegation #{record.member_state_id} to meeting #{record.meeting_id}"


class ParticipantRole(models.TextChoices):
    HEAD = "head", _("Head of delegation")
    DELEGATE = "delegate", _("Delegate")
    GUEST = "guest", _("Invited guest")


class Participant(models.Model):
    """A person at a meeting: in a delegation, or invited by name (observers, experts)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    delegation = models.ForeignKey(
        Delegation, on_delete=models.CASCADE, null=True, blank=True, related_name="participants"
    )
    person = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.PROTECT, null=True, blank=True, related_name="participations"
    )
    # For a participant without an account (an adviser named by the delegation).
    name = models.CharField(_("name"), max_length=150, blank=True)
    designation = models.CharField(_("designation"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=ParticipantRole.choices, default=ParticipantRole.DELEGATE)
    # Guests answer for themselves; delegates through their delegation's answer.
    rsvp = models.CharField(_("answer"), max_length=15, choices=Rsvp.choices, default=Rsvp.PENDING)
    attended = models.BooleanField(_("attended"), null=True, blank=True)

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = _("participant")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"], condition=Q(person__isnull=False), name="participant_once_per_meeting"
            ),
            models.CheckConstraint(condition=Q(person__isnull=False) | ~Q(name=""), name="participant_has_a_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @staticmethod
    def history_label(record: models.Model) -> str:
        return record.name or f"Participant #{record.id}"

    @property
    def display_name(self) -> str:
        return self.person.display_name if self.person_id else self.name

    @property
    def is_guest(self) -> bool:
        return self.role == ParticipantRole.GUEST


class Purpose(models.TextChoices):
    INFORMATION = "information", _("For information")
    NOTING = "noting", _("For noting")
    ENDORSEMENT = "endorsement", _("For endorsement")
    APPROVAL = "approval", _("For approval")


class AgendaItem(models.Model):
    """An item of a meeting's agenda; sub-items (3.1, 3.2) hang under a top-level item."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("under item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=300)
    purpose = models.CharField(_("purpose"), max_length=15, choices=Purpose.choices, default=Purpose.NOTING)
    presenter_state = models.ForeignKey(
        MemberState,
        verbose_name=_("presented by (member state)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    presenter_person = models.ForeignKey(
        User, verbose_name=_("presented by (person)"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    outcome = models.TextField(_("outcome"), blank=True, max_length=5000)

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("agenda item")

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Agenda item: {record.title}"

    @property
    def presenter(self) -> str:
        names = [str(x) for x in (self.presenter_person, self.presenter_state) if x is not None]
        return ", ".join(names)


@dataclasses.dataclass
class NumberedItem:
    item: AgendaItem
    number: str
    depth: int
    first: bool
    last: bool


def numbered_agenda(items: Iterable[AgendaItem]) -> list[NumberedItem]:
    """Number a meeting's items in order: 1, 2, 2.1, 2.2, 3 (one query's worth of rows)."""
    items = list(items)
    tops = sorted((i for i in items if i.parent_id is None), key=lambda i: (i.position, i.pk))
    children: dict[int, list[AgendaItem]] = {}
    for item in items:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    result = []
    for n, top in enumerate(tops, start=1):
        result.append(NumberedItem(top, str(n), 0, n == 1, n == len(tops)))
        subs = sorted(children.get(top.pk, []), key=lambda i: (i.position, i.pk))
        for m, sub in enumerate(subs, start=1):
            result.append(NumberedItem(sub, f"{n}.{m}", 1, m == 1, m == len(subs)))
    return result


class DecisionKind(models.TextChoices):
    NOTED = "noted", _("Noted")
    ENDORSED = "endorsed", _("Endorsed")
    APPROVED = "approved", _("Approved")
    AD_REFERENDUM = "ad_referendum", _("Agreed ad referendum")


class Decision(models.Model):
    """What the meeting decided under an agenda item."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), on_delete=models.PROTECT, related_name="decisions"
    )
    kind = models.CharField(_("kind"), max_length=15, choices=DecisionKind.choices, default=DecisionKind.NOTED)
    text = models.TextField(_("decision"), max_length=5000)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["meeting", "agenda_item__position", "pk"]
        verbose_name = _("decision")
        indexes = [
            # The decisions of a body, newest first.
            models.Index(fields=["meeting", "recorded_at"], name="decision_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Decision: {record.text[:60]}"


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CIRCULATED = "circulated", _("Circulated for comments")
    SUBMITTED = "submitted", _("Submitted to the chair")
    APPROVED = "approved", _("Approved")


class MinutesQuerySet(TrackedQuerySet):
    def awaiting_approval_by(self, user: User) -> list[Minutes]:
        """Minutes submitted to `user` as the chair of their meeting.

        The database narrows to meetings `user` names as chair or whose body it has
        chaired at some time; the exact chair on the meeting's date is checked here.
        """
        if not user.is_authenticated:
            return []
        chaired = Membership.objects.filter(person=user, role=Role.CHAIR).values("body_id")
        candidates = self.filter(status=MinutesStatus.SUBMITTED).filter(
            Q(meeting__named_chair=user) | Q(meeting__named_chair__isnull=True, meeting__body__in=chaired)
        )
        candidates = candidates.select_related("meeting", "meeting__body", "meeting__named_chair")
        return [m for m in candidates.order_by("submitted_at") if m.meeting.chair == user]


class Minutes(models.Model):
    """The Report of the Meeting: versions (Rev.1, Rev.2) and where approval stands."""

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="minutes")
    status = models.CharField(_("status"), max_length=10, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    comment_deadline = models.DateTimeField(_("comments due by"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, verbose_name=_("submitted by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = MinutesQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return f"Minutes of the {self.meeting}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Minutes of meeting #{record.meeting_id}"

    @property
    def comments_open(self) -> bool:
        return self.status == MinutesStatus.CIRCULATED and (
            self.comment_deadline is None or self.comment_deadline > timezone.now()
        )


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MinutesVersion(models.Model):
    """One revision of the minutes. Once approved it is frozen: its text never changes."""

    minutes = models.ForeignKey(Minutes, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("revision"))
    text = models.TextField(_("text (Markdown)"), max_length=MINUTES_MAX_CHARS)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(User, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+")
    circulated_at = models.DateTimeField(_("circulated at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_comments = models.TextField(_("chair's comments on return"), blank=True, max_length=5000)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        User, verbose_name=_("approved by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # SHA-256 of the UTF-8 text, fixed at approval: the seal shown on the page and the PDF.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["minutes", "number"]
        verbose_name = _("minutes version")
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_version_number"),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse any change to the text of an approved version (defence in depth)."""
        stored = getattr(self, "_stored", None)
        if stored and stored["approved_at"] is not None and self.text != stored["text"]:
            raise ValidationError(
                _("Rev.%(n)s was approved and is frozen; a correction is a new version.") % {"n": self.number}
            )
        super().save(*args, **kwargs)
        self._stored = {"text": self.text, "approved_at": self.approved_at}

    @classmethod
    def from_db(cls, db: str | None, field_names: list[str], values: list[Any]) -> MinutesVersion:
        instance = super().from_db(db, field_names, values)
        instance._stored = {"text": instance.__dict__.get("text"), "approved_at": instance.__dict__.get("approved_at")}
        return instance

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Minutes Rev.{record.number}"

    @property
    def label(self) -> str:
        return f"Rev.{self.number}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def is_locked(self) -> bool:
        """Circulated, submitted or approved: the text stays as it was read."""
        return bool(self.circulated_at or self.submitted_at or self.approved_at)

    def computed_sha256(self) -> str:
        return text_sha256(self.text)


class MinutesComment(models.Model):
    """A delegation's comment on a circulated version: on the whole, or on one paragraph."""

    version = models.ForeignKey(MinutesVersion, on_delete=models.PROTECT, related_name="comments")
    member_state = models.ForeignKey(
        MemberState, verbose_name=_("delegation"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(User, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    paragraph = models.PositiveIntegerField(
        _("paragraph"), null=True, blank=True, help_text=_("Empty: a comment on the whole text.")
    )
    text = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(_("made at"), default=timezone.now)

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["paragraph", "member_state__name", "created_at"]
        verbose_name = _("comment on minutes")

    def __str__(self) -> str:
        return f"{self.member_state}: {self.text[:60]}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Comment on minutes Rev. #{record.version_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's secret calendar feed address; revoking it kills the address for good."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="calendar_feed")
    # The secret stays out of history: the audit trail must not leak a live address.
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TrackedQuerySet.as_manager()
    history = history(excluded_fields=["token"])

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Calendar feed #{record.id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class MeetingDocument(models.Model):
    """A document of the register on a meeting's agenda: under one item, or for the meeting as a whole.

    Who may read the document is decided by the register's rules, not by the
    meeting: a link never shows a document to someone who may not read it.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="document_links")
    agenda_item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="document_links",
    )
    document = models.ForeignKey(
        "secretariat.Document", verbose_name=_("document"), on_delete=models.PROTECT, related_name="meeting_links"
    )
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["meeting", "agenda_item__position", "document__symbol"]
        verbose_name = _("meeting document")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "agenda_item", "document"],
                condition=Q(agenda_item__isnull=False),
                name="meeting_document_once_per_item",
            ),
            models.UniqueConstraint(
                fields=["meeting", "document"],
                condition=Q(agenda_item__isnull=True),
                name="meeting_document_once_per_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"Document #{self.document_id} on {self.meeting}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Document #{record.document_id} linked to meeting #{record.meeting_id}"
