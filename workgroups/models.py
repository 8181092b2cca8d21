"""The work of the bodies: the work plan (tasks), action items, their thread, referrals.

Workflow fields (status, owner, closing notes, referral outcomes) are written only
by `workgroups.services`; models hold data and what can be derived from it.
Overdue is derived from the due date (`ActionItem.is_overdue`,
`ActionItemQuerySet.overdue()`), never stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections, models, router
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat import reminder_policy
from secretariat.history import TrackedQuerySet, history
from secretariat.models import Body, MemberState
from secretariat.sqlrows import json_rows

if TYPE_CHECKING:
    from secretariat.models import User

# Sane limits for text typed by people: a title fits a line, a note a few paragraphs.
TITLE_MAX = 200
TEXT_MAX = 5000
NOTE_MAX = 2000


class Framework(models.TextChoices):
    ROADMAP = "roadmap_2025_2030", _("ASEAN Responsible AI Roadmap 2025-2030")
    GUIDE = "guide_ai_governance", _("ASEAN Guide on AI Governance and Ethics")
    GENAI = "guide_generative_ai", _("Expanded ASEAN Guide on AI Governance and Ethics – Generative AI")
    MASTERPLAN = "digital_masterplan_2025", _("ASEAN Digital Masterplan 2025")
    DEFA = "defa", _("ASEAN Digital Economy Framework Agreement (DEFA)")
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Under way")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")


class TaskQuerySet(TrackedQuerySet):
    def visible_to(self, user: User) -> TaskQuerySet:
        from .rules import visible_tasks

        return self & visible_tasks(user)

    def with_progress(self) -> TaskQuerySet:
        """Annotate the action item counts that `Task.progress` derives from (one query)."""
        return self.annotate(
            items_total=Count("action_items", filter=~Q(action_items__status=ActionItemStatus.DROPPED)),
            items_done=Count("action_items", filter=Q(action_items__status=ActionItemStatus.DONE)),
        )


class Task(models.Model):
    """A deliverable of a body's work plan, serving a line of a regional framework."""

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX)
    framework = models.CharField(_("framework"), max_length=30, choices=Framework.choices, default=Framework.ROADMAP)
    framework_line = models.CharField(
        _("framework line"),
        max_length=200,
        blank=True,
        help_text=_("The line of the framework it serves, for example “Action line 2.3: AI safety testing”."),
    )
    lead_states = models.ManyToManyField(
        MemberState, verbose_name=_("lead member states"), through="TaskLeadState", related_name="led_tasks"
    )
    start = models.DateField(_("starts"))
    end = models.DateField(_("ends"))
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.PLANNED)
    shared_with_observers = models.BooleanField(
        _("shared with observers"), default=False, help_text=_("Observers of the body may read it.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )

    objects = TaskQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["start", "end", "pk"]
        verbose_name = _("task")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="task_ends_after_start",
                violation_error_message=_("The task cannot end before it starts."),
            ),
        ]
        indexes = [
            # The body page's work plan: a body's tasks in timeline order.
            models.Index(fields=["body", "start"], name="task_body_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("workgroups:task", args=[self.pk])

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Task: {record.title}"

    @property
    def progress(self) -> int | None:
        """Per cent of its live action items done (dropped ones do not count); None without items.

        Uses the counts of `TaskQuerySet.with_progress()` when present, else counts.
        """
        total = getattr(self, "items_total", None)
        done = getattr(self, "items_done", None)
        if total is None:
            live = self.action_items.exclude(status=ActionItemStatus.DROPPED)
            total, done = live.count(), live.filter(status=ActionItemStatus.DONE).count()
        if not total:
            return None
        return round(100 * done / total)


class TaskLeadState(models.Model):
    """A member state leading a task of the work plan."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="leads")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = _("lead member state")
        constraints = [models.UniqueConstraint(fields=["task", "member_state"], name="task_lead_once")]

    def __str__(self) -> str:
        return f"{self.member_state_id} leads task #{self.task_id}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Lead state #{record.member_state_id} of task #{record.task_id}"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


OPEN_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)
CLOSED_STATUSES = (ActionItemStatus.DONE, ActionItemStatus.DROPPED)


class Priority(models.IntegerChoices):
    # Numbers sort: high first.
    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class OwnerKind(models.TextChoices):
    STATE = "state", _("A member state's delegation")
    PERSONS = "persons", _("Named persons")
    SECRETARIAT = "secretariat", _("The secretariat")


def start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the project's zone (not the viewer's): the sweep's calendar."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def first_reminder_at(due_date: dt.date, status: str) -> dt.datetime | None:
    """When the sweep first looks at an item: the day of its first "due" reminder
    (settings.REMINDERS, the longest lead); never once it is closed."""
    if status not in OPEN_STATUSES:
        return None
    return start_of(due_date - reminder_policy.before("action_item_due")[0])


class ActionItemQuerySet(TrackedQuerySet):
    def visible_to(self, user: User) -> ActionItemQuerySet:
        from .rules import visible_action_items

        return self & visible_action_items(user)

    def open(self) -> ActionItemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def open_at(self, moment: dt.datetime) -> ActionItemQuerySet:
        """Items that were open at `moment`: created before it, not closed by then.

        "Matters arising" of a meeting are the body's items open when it starts.
        """
        return self.filter(created_at__lte=moment).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=moment))

    def overdue(self, today: dt.date | None = None) -> ActionItemQuerySet:
        """Open items whose due date has passed (today: in the active zone, the viewer's)."""
        return self.open().filter(due_date__lt=today or timezone.localdate())

    def due_within(self, days: int, today: dt.date | None = None) -> ActionItemQuerySet:
        today = today or timezone.localdate()
        return self.open().filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=days))

    def owned_by_or_assigned_to(self, user: User) -> ActionItemQuerySet:
        """ "My work": items of my member state's delegation in my bodies, or assigned to me."""
        from .rules import delegation_bodies

        mine = Q(assignments__person=user)
        if user.is_secretariat:
            mine |= Q(owner_kind=OwnerKind.SECRETARIAT)
        pairs = delegation_bodies(user)
        for body_id, state_id in pairs:
            mine |= Q(body_id=body_id, owner_kind=OwnerKind.STATE, owner_state_id=state_id)
        return self.filter(pk__in=ActionItem.objects.filter(mine).values("pk"))


class ActionItem(models.Model):
    """Something a body asked someone to do, by a date.

    It arises from a meeting (its agenda item, possibly a decision), from a task
    of the work plan, or stands alone. Its owner is a member state's delegation,
    named persons, or the secretariat.
    """

    # No index of its own: action_item_body_status_due and action_item_body_open_at lead with
    # it (a third index would only slow every write, the reminder sweep's included).
    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="action_items", db_index=False
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX)
    # Origin: a meeting (agenda item, decision), a task, or none (standalone).
    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("arising from meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    agenda_item = models.ForeignKey(
        "meetings.AgendaItem",
        verbose_name=_("agenda item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    decision = models.ForeignKey(
        "meetings.Decision",
        verbose_name=_("decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    task = models.ForeignKey(
        Task,
        verbose_name=_("task of the work plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    owner_kind = models.CharField(_("owner"), max_length=12, choices=OwnerKind.choices, default=OwnerKind.STATE)
    owner_state = models.ForeignKey(
        MemberState,
        verbose_name=_("member state"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
        db_index=False,  # action_item_state_status_due leads with it
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        through="Assignment",
        related_name="assigned_action_items",
        blank=True,
    )
    due_date = models.DateField(_("due date"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    shared_with_observers = models.BooleanField(
        _("shared with observers"), default=False, help_text=_("Observers of the body may read it.")
    )
    completion_note = models.TextField(_("completion note"), blank=True, max_length=NOTE_MAX)
    drop_reason = models.TextField(_("reason for dropping"), blank=True, max_length=NOTE_MAX)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # When the reminder sweep next looks at the item is kept in a table of its own
    # (ReminderPlan), not here: moving it would rewrite every index of this table.

    objects = ActionItemQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["due_date", "priority", "pk"]
        verbose_name = _("action item")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_kind=OwnerKind.STATE, owner_state__isnull=False)
                | (~Q(owner_kind=OwnerKind.STATE) & Q(owner_state__isnull=True)),
                name="action_item_state_owner_has_a_state",
            ),
            models.CheckConstraint(
                condition=~Q(status=ActionItemStatus.DONE) | ~Q(completion_note=""),
                name="action_item_done_has_a_note",
                violation_error_message=_("An item marked done needs a completion note."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ActionItemStatus.DROPPED) | ~Q(drop_reason=""),
                name="action_item_dropped_has_a_reason",
                violation_error_message=_("A dropped item needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["done", "dropped"], closed_at__isnull=False)
                | (~Q(status__in=["done", "dropped"]) & Q(closed_at__isnull=True)),
                name="action_item_closed_when_done_or_dropped",
            ),
            models.CheckConstraint(
                condition=Q(agenda_item__isnull=True) | Q(meeting__isnull=False),
                name="action_item_agenda_item_names_its_meeting",
            ),
        ]
        indexes = [
            # /action-items/?body=… (and the body's work plan, matters arising), sorted by due date.
            models.Index(fields=["body", "status", "due_date"], name="action_item_body_status_due"),
            # /action-items/?state=… and "my state's items" on the home page, by due date.
            models.Index(fields=["owner_state", "status", "due_date"], name="action_item_state_status_due"),
            # /action-items/?status=… and ?due_from/due_to (due window), default sort by due date.
            models.Index(fields=["status", "due_date"], name="action_item_status_due"),
            # /action-items/?overdue=1 and the sweep's due/overdue reminders: open items by due date.
            models.Index(
                fields=["due_date"], name="action_item_open_due", condition=Q(status__in=["open", "in_progress"])
            ),
            # /action-items/?owner=state|persons|secretariat.
            models.Index(fields=["owner_kind", "status"], name="action_item_owner_kind"),
            # /action-items/?sort=priority (then due date).
            models.Index(fields=["priority", "due_date"], name="action_item_priority_due"),
            # /action-items/?sort=-created (newest first).
            models.Index(fields=["created_at"], name="action_item_created"),
            # Matters arising: the body's items open at a meeting's start (created before, closed after).
            models.Index(fields=["body", "created_at", "closed_at"], name="action_item_body_open_at"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        # A new item gets its reminder plan whichever path creates it (services, admin,
        # demo; the bulk helpers through workgroups.receivers); later changes are the
        # services' bookkeeping (workgroups.reminders.replan). loaddata saves raw, without
        # this: a fixture of action items carries their workgroups.reminderplan rows too.
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            ReminderPlan.first_for([self])

    def get_absolute_url(self) -> str:
        return reverse("workgroups:action_item", args=[self.pk])

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Action item: {record.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Derived, never stored: still open and its due date has passed (in the active zone)."""
        return self.is_open and self.due_date < timezone.localdate()

    @property
    def days_left(self) -> int:
        return (self.due_date - timezone.localdate()).days

    @property
    def origin_kind(self) -> str:
        if self.meeting_id:
            return "meeting"
        if self.task_id:
            return "task"
        return "standalone"

    def origin_date(self) -> dt.date:
        """The day the item arose: its meeting's (local) start, its task's start, or its creation."""
        if self.meeting_id:
            return self.meeting.local_start.date()
        if self.task_id:
            return self.task.start
        return timezone.localdate(self.created_at)

    @property
    def owner_label(self) -> str:
        """The owner in words: "Singapore", "Tan Mei Hua, Aung Ko Ko", "The secretariat"."""
        if self.owner_kind == OwnerKind.STATE:
            return str(self.owner_state)
        if self.owner_kind == OwnerKind.SECRETARIAT:
            return str(OwnerKind.SECRETARIAT.label)
        # Through the assignments, which the lists prefetch with their persons.
        return ", ".join(str(a.person) for a in self.assignments.all()) or str(_("Nobody yet"))


class ReminderPlan(models.Model):
    """When the reminder sweep next has something to do for an action item: a plan, not derived
    state (healthchecks' alert_after). NULL once nothing is left to remind; no row at all for
    items closed before the plans had this table (migration 0004 copied the plans there were).

    A narrow table of its own: a catch-up sweep moves hundreds of plans, and moving a column
    of the action item would write a new entry in each of that table's indexes (a change of
    an indexed column is never a HOT update), where here it writes two. Kept by the services
    (created, due date moved, closed: workgroups.reminders.replan) and advanced by the
    sweep's source (workgroups.reminders.plan_due_reminders). No history: it changes behind
    no one's action, derived from the item's due date and status and settings.REMINDERS.
    """

    action_item = models.OneToOneField(
        ActionItem, on_delete=models.CASCADE, primary_key=True, related_name="reminder_plan"
    )
    next_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            # The sweep's pulse and source: plans whose moment has come. Partial: most
            # items have nothing left to remind.
            models.Index(fields=["next_at"], name="reminder_plan_next", condition=Q(next_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"action item #{self.action_item_id}: {self.next_at or 'nothing left'}"

    @classmethod
    def first_for(cls, items: Iterable[ActionItem]) -> None:
        """Plan new items' first look (`first_reminder_at`; closed ones: none), in one statement."""
        cls.move({item.pk: first_reminder_at(item.due_date, item.status) for item in items})

    @classmethod
    def move(cls, plans: dict[int, dt.datetime | None]) -> None:
        """Set these items' next look (item id → moment; None: nothing left to remind), in one
        INSERT ... ON CONFLICT DO UPDATE whatever their number (on PostgreSQL, the rows as one
        JSON parameter: `secretariat.sqlrows`)."""
        if not plans:
            return
        connection = connections[router.db_for_write(cls)]
        if connection.vendor == "postgresql":
            select, document = json_rows(sorted(plans.items()), ("bigint", "timestamptz"))
            quote = connection.ops.quote_name
            table, item, moment = (quote(name) for name in (cls._meta.db_table, cls._meta.pk.column, "next_at"))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({item}, {moment}) {select}"
                    f" ON CONFLICT ({item}) DO UPDATE SET {moment} = EXCLUDED.{moment}",
                    [document],
                )
        else:
            cls.objects.bulk_create(
                [cls(action_item_id=pk, next_at=moment) for pk, moment in plans.items()],
                update_conflicts=True,
                unique_fields=["action_item"],
                update_fields=["next_at"],
            )


class Assignment(models.Model):
    """A named person an action item is assigned to (owner or focal point)."""

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_item_assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = _("assignment")
        constraints = [models.UniqueConstraint(fields=["action_item", "person"], name="assignment_once")]
        indexes = [
            # /action-items/?owner=me and "assigned to me" on the home page and in the access rules.
            models.Index(fields=["person", "action_item"], name="assignment_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.action_item}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Assignment of person #{record.person_id} to action item #{record.action_item_id}"


class UpdateKind(models.TextChoices):
    NOTE = "note", _("Progress update")
    STATUS = "status", _("Status change")
    REASSIGNED = "reassigned", _("Reassigned")
    HANDOVER = "handover", _("Handed over")
    REFERRAL = "referral", _("Referral")


class ProgressUpdate(models.Model):
    """One dated entry of an action item's thread: a note, a status change, a hand-over."""

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(_("kind"), max_length=12, choices=UpdateKind.choices, default=UpdateKind.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    member_state = models.ForeignKey(
        MemberState,
        verbose_name=_("for the delegation of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("new status"), max_length=12, choices=ActionItemStatus.choices, blank=True)
    text = models.TextField(_("text"), max_length=TEXT_MAX)
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("progress update")
        indexes = [
            # The thread on the action item page, oldest first.
            models.Index(fields=["action_item", "created_at"], name="progress_update_thread"),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Update on action item #{record.action_item_id}"


class ReferralPurpose(models.TextChoices):
    NOTING = "noting", _("For noting")
    ENDORSEMENT = "endorsement", _("For endorsement")
    APPROVAL = "approval", _("For approval")


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    NOTED = "noted", _("Noted")
    ENDORSED = "endorsed", _("Endorsed")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for further work")


# What the receiving body may answer to each purpose.
OUTCOMES_FOR = {
    ReferralPurpose.NOTING: [ReferralOutcome.NOTED, ReferralOutcome.RETURNED],
    ReferralPurpose.ENDORSEMENT: [ReferralOutcome.ENDORSED, ReferralOutcome.RETURNED],
    ReferralPurpose.APPROVAL: [ReferralOutcome.APPROVED, ReferralOutcome.RETURNED],
}


class ReferralQuerySet(TrackedQuerySet):
    def pending(self) -> ReferralQuerySet:
        return self.filter(outcome=ReferralOutcome.PENDING)


class Referral(models.Model):
    """An action item or task referred up the pipeline (WG-AI → ADGSOM → ADGMIN)."""

    action_item = models.ForeignKey(
        ActionItem, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    task = models.ForeignKey(Task, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    from_body = models.ForeignKey(
        Body, verbose_name=_("referred by body"), on_delete=models.PROTECT, related_name="referrals_made"
    )
    to_body = models.ForeignKey(
        Body, verbose_name=_("referred to body"), on_delete=models.PROTECT, related_name="referrals_received"
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=ReferralPurpose.choices)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX)
    referred_at = models.DateTimeField(_("referred at"), default=timezone.now)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred by"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ReferralOutcome.choices, default=ReferralOutcome.PENDING
    )
    outcome_note = models.TextField(_("outcome note"), blank=True, max_length=NOTE_MAX)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("outcome recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReferralQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["-referred_at", "pk"]
        verbose_name = _("referral")
        constraints = [
            models.CheckConstraint(
                condition=Q(action_item__isnull=False, task__isnull=True)
                | Q(action_item__isnull=True, task__isnull=False),
                name="referral_of_an_item_or_a_task",
            ),
            models.UniqueConstraint(
                fields=["action_item", "to_body"],
                condition=Q(outcome="pending"),
                name="referral_item_pending_once",
                violation_error_message=_("This item already waits for an answer from that body."),
            ),
            models.UniqueConstraint(
                fields=["task", "to_body"],
                condition=Q(outcome="pending"),
                name="referral_task_pending_once",
                violation_error_message=_("This task already waits for an answer from that body."),
            ),
        ]
        indexes = [
            # The receiving body's page: referrals it received, pending first.
            models.Index(fields=["to_body", "outcome"], name="referral_to_body"),
            # The referring body's page: referrals it made.
            models.Index(fields=["from_body", "outcome"], name="referral_from_body"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_body_id}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Referral #{record.id}"

    @property
    def subject(self) -> ActionItem | Task:
        return self.action_item if self.action_item_id else self.task

    @property
    def is_pending(self) -> bool:
        return self.outcome == ReferralOutcome.PENDING

    def allowed_outcomes(self) -> list[ReferralOutcome]:
        return OUTCOMES_FOR[ReferralPurpose(self.purpose)]
