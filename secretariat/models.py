"""The network and its shared record: people, member states, bodies, memberships,
invitations, and the delivery queue every e-mail goes through."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .history import TrackedQuerySet, history
from .zones import zone_label

if TYPE_CHECKING:
    from collections.abc import Iterable

SECRETARIAT_GROUP = "secretariat"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone. Use an IANA name such as Asia/Jakarta."),
            params={"value": value},
            code="unknown_zone",
        )


class MemberState(models.Model):
    """An ASEAN member state, the principal in every delegation's act."""

    code = models.CharField(_("ISO 3166 alpha-3 code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("default time zone"), max_length=64, validators=[validate_time_zone])
    # ISO 3166 alpha-2, the code the `holidays` library knows the country by.
    holidays_code = models.CharField(_("holidays code"), max_length=2)

    objects = models.Manager.from_queryset(TrackedQuerySet)()
    history = history()

    class Meta:
        ordering = ["name"]
        verbose_name = _("member state")

    def __str__(self) -> str:
        return self.name

    @property
    def zone_label(self) -> str:
        return zone_label(self.time_zone)


class UserManager(BaseUserManager.from_queryset(TrackedQuerySet)):  # type: ignore[misc]
    # Migrations get a plain manager: data migrations of other apps (allauth
    # lowercases addresses with update()) must not trip the history guard.
    use_in_migrations = False

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The e-mail address is the login."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    member_state = models.ForeignKey(
        MemberState,
        verbose_name=_("member state"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        help_text=_("Empty for the secretariat and for observers from outside ASEAN."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("IANA name, for example Asia/Makassar. Empty: your member state's zone."),
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    digest_mode = models.CharField(
        _("e-mail reminders"),
        max_length=10,
        choices=[("immediate", _("As they come, inside my working hours")), ("daily", _("One daily digest at 09:00"))],
        default="immediate",
    )
    # Optional notification kinds this person switched off (kind names).
    muted_kinds = models.JSONField(_("switched-off reminders"), default=list, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()
    # The password hash and the last login stay out of history.
    history = history(excluded_fields=["password", "last_login"])

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.display_name or self.email

    @staticmethod
    def history_label(record: models.Model) -> str:
        return record.display_name or record.email

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)

    @property
    def zone_name(self) -> str:
        if self.time_zone:
            return self.time_zone
        if self.member_state_id:
            return self.member_state.time_zone
        return settings.DEFAULT_USER_TIME_ZONE

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone_name)

    @property
    def zone_label(self) -> str:
        return zone_label(self.zone_name)

    @cached_property
    def is_secretariat(self) -> bool:
        return self.is_active and (self.is_superuser or self.groups.filter(name=SECRETARIAT_GROUP).exists())

    def current_memberships(self) -> models.QuerySet[Membership]:
        return Membership.objects.current().filter(person=self)

    @cached_property
    def chaired_body_ids(self) -> frozenset[int]:
        return frozenset(self.current_memberships().filter(role=Role.CHAIR).values_list("body_id", flat=True))

    @property
    def requires_second_factor(self) -> bool:
        """Secretariat officers and chairs must use a second factor."""
        return self.is_secretariat or bool(self.chaired_body_ids)


class Body(models.Model):
    """A body of the network: ADGMIN, ADGSOM, WG-AI, task forces."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Short name used in document symbols, for example WG-AI."),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent body"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("Where this body refers its work: WG-AI → ADGSOM → ADGMIN."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = models.Manager.from_queryset(TrackedQuerySet)()
    history = history()

    class Meta:
        ordering = ["code"]
        verbose_name = _("body")
        verbose_name_plural = _("bodies")

    def __str__(self) -> str:
        return self.code

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"{record.code} — {record.name}"

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("A body cannot be its own ancestor.")})
            ancestor = ancestor.parent

    def chair_on(self, day: dt.date) -> User | None:
        """The person chairing this body on `day` (membership terms decide)."""
        membership = (
            Membership.objects.on(day)
            .filter(body=self, role=Role.CHAIR)
            .select_related("person")
            .order_by("-start")
            .first()
        )
        return membership.person if membership else None


class Role(models.TextChoices):
    CHAIR = "chair", _("Chair")
    VICE_CHAIR = "vice_chair", _("Vice-Chair")
    HEAD = "head", _("Head of delegation")
    DELEGATE = "delegate", _("Delegate")
    RAPPORTEUR = "rapporteur", _("Rapporteur")
    OBSERVER = "observer", _("Observer")


# Roles that act for a member state, and so need one.
STATE_ROLES = {Role.HEAD, Role.DELEGATE}
# Display order inside a delegation: head of delegation first.
ROLE_ORDER = [Role.CHAIR, Role.VICE_CHAIR, Role.HEAD, Role.DELEGATE, Role.RAPPORTEUR, Role.OBSERVER]


class MembershipQuerySet(TrackedQuerySet):
    def on(self, day: dt.date) -> MembershipQuerySet:
        return self.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)

    def current(self) -> MembershipQuerySet:
        return self.on(timezone.localdate()).filter(person__is_active=True)


class Membership(models.Model):
    """A person's role in a body for a member state, over a term."""

    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="memberships")
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        help_text=_("The delegation this person sits in. Empty for observers and officers of the body."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.DELEGATE)
    start = models.DateField(_("term starts"), default=timezone.localdate)
    end = models.DateField(_("term ends"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["body__code", "member_state__name", "role", "person__display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="membership_term_ends_after_start",
                violation_error_message=_("The term cannot end before it starts."),
            ),
        ]
        indexes = [
            # Body pages and "who chairs body X on date D": filter by body and role.
            models.Index(fields=["body", "role", "start"], name="membership_body_role"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}, {self.body}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"{record.person} — {Role(record.role).label}, {record.body}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.end and self.start and self.end < self.start:
            errors["end"] = _("The term cannot end before it starts.")
        if self.role in STATE_ROLES and not self.member_state_id:
            errors["member_state"] = _("A head of delegation or delegate acts for a member state: choose one.")
        if errors:
            raise ValidationError(errors)

    def overlapping(self, others: Iterable[Membership]) -> list[Membership]:
        far = dt.date.max
        return [m for m in others if m.pk != self.pk and m.start <= (self.end or far) and self.start <= (m.end or far)]

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.start <= today and (self.end is None or self.end >= today)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class InvitationQuerySet(TrackedQuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An invitation of an e-mail address to a body, with a role and a member state."""

    email = models.EmailField(_("e-mail address"))
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="invitations")
    member_state = models.ForeignKey(
        MemberState, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.DELEGATE)
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Part of the signed link; rotating it invalidates links already sent.
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="invitation_accepted"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()
    history = history(excluded_fields=["nonce"])

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Pending invitations of a body page and duplicate checks by address.
            models.Index(fields=["body", "email"], name="invitation_body_email"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.body}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Invitation of {record.email}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    QUEUED = "queued", _("In a message")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    RETIRED = "retired", _("Retired")


class NotificationQuerySet(models.QuerySet):
    def due(self, now: dt.datetime) -> NotificationQuerySet:
        return self.filter(status=NotificationStatus.PENDING, due_at__lte=now)

    def inbox(self, user: User) -> NotificationQuerySet:
        """What the person has been told in the app: due, not retired."""
        return self.filter(recipient=user, due_at__lte=timezone.now()).exclude(status=NotificationStatus.RETIRED)


class Notification(models.Model):
    """One thing to tell one recipient, once.

    The unique key (kind, object, recipient address, occurrence) makes "sent once"
    a constraint rather than a hope: planning the same reminder twice is a no-op.
    """

    kind = models.CharField(max_length=64)
    # No index of its own: every lookup names the kind too, and notification_once leads with
    # (kind, content_type, object_id). One index fewer to write for each row a sweep plans.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    # No index of its own: notification_inbox leads with it.
    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications", db_index=False
    )
    address = models.EmailField()
    occurrence = models.CharField(max_length=64, default="once")
    due_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    message = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # In-app: when the recipient marked it read (the bell counts the others).
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "address", "occurrence"],
                name="notification_once",
            ),
        ]
        indexes = [
            # The sweep's bundling query: pending rows whose due time has come.
            models.Index(fields=["due_at"], name="notification_pending_due", condition=Q(status="pending")),
            # The bell's unread count and the in-app list: a recipient's rows, newest first.
            models.Index(fields=["recipient", "-due_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.address} ({self.occurrence})"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One e-mail to one address, carrying one notification (or, as a digest, several).

    The sweep builds it unwritten; the first sender to claim it renders its content
    and stores it before sending, so a resend after a crash sends the very same text.
    """

    recipient = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    address = models.EmailField()
    subject_line = models.CharField(max_length=250)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # [{"filename": ..., "content": ..., "mimetype": ...}] — text attachments (.ics).
    attachments = models.JSONField(default=list, blank=True)
    # False from bundling until its first sender has rendered and stored the content above.
    rendered = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The claim query: queued messages whose next attempt has come.
            models.Index(fields=["next_attempt_at"], name="message_queued_due", condition=Q(status="queued")),
            # Lease recovery: messages whose sender may have died.
            models.Index(fields=["lease_expires_at"], name="message_sending_lease", condition=Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.subject_line} → {self.address}"


def secretariat_group() -> Group:
    group, _created = Group.objects.get_or_create(name=SECRETARIAT_GROUP)
    return group


class SecurityEvent(models.Model):
    """Sign-ins, sign-outs, failed sign-ins and second-factor changes (append-only)."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGNED_OUT = "signed_out", _("Signed out")
        SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
        MFA_ADDED = "mfa_added", _("Second factor added")
        MFA_REMOVED = "mfa_removed", _("Second factor removed")
        MFA_RESET = "mfa_reset", _("Recovery codes regenerated")
        MFA_FAILED = "mfa_failed", _("Failed second-factor code")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="security_events")
    # The address typed at a failed sign-in, kept even when no account matches.
    login = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = models.Manager.from_queryset(TrackedQuerySet)()
    history = history()

    class Meta:
        ordering = ["-at"]
        indexes = [
            # A person's sign-in history on the audit pages: by user, newest first.
            models.Index(fields=["user", "-at"], name="securityevent_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user or self.login}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"{SecurityEvent.Kind(record.kind).label}: {record.login}"


class AuditSeal(models.Model):
    """The seal of one historical row: its place in its object's hash chain.

    Written with the row it seals (secretariat.audit_chain); checked by
    `manage.py verify_audit`. It carries no history of its own: it is the
    integrity record of the history itself.
    """

    model = models.CharField(max_length=100)
    history_id = models.BigIntegerField()
    object_id = models.CharField(max_length=64)
    previous = models.CharField(max_length=64)
    seal = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "history_id"], name="auditseal_one_per_row"),
        ]
        indexes = [
            # The tip of an object's chain when a new row is sealed.
            models.Index(fields=["model", "object_id", "-history_id"], name="auditseal_chain_tip"),
        ]

    def __str__(self) -> str:
        return f"{self.model} #{self.object_id} row {self.history_id}"


class SourceCursor(models.Model):
    """When the sweep next needs to run one of its derived sources (secretariat.delivery).

    A source that derives reminders from other rows (meetings, minutes,
    circulations) says, each time it runs, the earliest moment at which it could
    plan something new; the sweep skips it until then, or until a `SourceWake`
    row says that a row it watches changed. Only the sweep writes cursors.
    """

    # The source's dotted path, e.g. "meetings.reminder_sources.plan_meeting_reminders".
    name = models.CharField(max_length=200, unique=True)
    next_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.next_run_at or 'next sweep'}"


class SourceWake(models.Model):
    """ "Run this source at the next sweep": written by a change to a row it watches.

    An INSERT in the writer's transaction, so it commits or rolls back with the
    change, and takes no lock another writer waits for (an UPDATE of the cursor
    row would queue every writer of meetings behind each other until commit).
    The sweep deletes a source's wakes just before running it: a change committed
    before that delete is seen by the run, one committed after it leaves its wake
    for the next sweep.
    """

    # Looked up by the sweep's cursor query (EXISTS per source name).
    name = models.CharField(max_length=200, db_index=True)

    def __str__(self) -> str:
        return f"wake {self.name}"


# The document register lives in a sub-package; importing it here keeps its models
# in this app (one app label, one migrations folder).
from .documents.models import *  # noqa: E402, F403
