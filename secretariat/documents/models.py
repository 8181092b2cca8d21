"""The document register: documents, their versions, who opened them, and circulations.

A document (`WG-AI/2026/DOC.3`) belongs to a body and has a classification that
decides who may see it everywhere (`rules.py`). Its versions (Rev.1, Rev.2, Corr.1,
Add.1) each hold one uploaded file that is never overwritten. A circulation sends
one version to recipients for information, comments, or adoption by silence
procedure or ad referendum; member states answer, and the outcome is recorded.

Workflow fields (statuses, answers, acknowledgements) are written only by
`services.py`; these models hold data and what can be derived from it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat.history import TrackedQuerySet, history
from secretariat.models import Body, MemberState, User

__all__ = [
    "Circulation",
    "CirculationAnswer",
    "CirculationMode",
    "CirculationRecipient",
    "CirculationState",
    "CirculationStatus",
    "Classification",
    "Document",
    "DocumentOpen",
    "DocumentReader",
    "DocumentVersion",
    "Position",
    "VersionKind",
]


class Classification(models.TextChoices):
    PUBLIC = "public", _("Public")
    RESTRICTED = "restricted", _("Restricted")
    CONFIDENTIAL = "confidential", _("Confidential")


CLASSIFICATION_HELP = {
    Classification.PUBLIC: _("Every signed-in person of the network may read it."),
    Classification.RESTRICTED: _("Members of the owning body only (not its observers)."),
    Classification.CONFIDENTIAL: _("Named readers only; PDF copies carry the reader's name on every page."),
}


class Document(models.Model):
    """A document of a body, known by its symbol such as WG-AI/2026/DOC.3."""

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="documents")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    # Fixed at creation: a body's code may change, a symbol once cited may not.
    symbol = models.CharField(_("symbol"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, default=Classification.RESTRICTED
    )
    readers = models.ManyToManyField(
        User, through="DocumentReader", through_fields=("document", "person"), related_name="readable_documents"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["-year", "body__code", "-number"]
        verbose_name = _("document")
        constraints = [
            models.UniqueConstraint(fields=["body", "year", "number"], name="document_number_per_body_year"),
        ]
        indexes = [
            # The register, newest first, filtered by body and classification.
            models.Index(fields=["body", "year", "number"], name="document_body_year"),
            models.Index(fields=["classification"], name="document_classification"),
            # used by the register's default order, unfiltered (/documents/, /api/v1/documents/):
            # newest year first, then number.
            models.Index(fields=["-year", "-number"], name="document_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.pk])

    @staticmethod
    def history_label(record: models.Model) -> str:
        return record.symbol

    @property
    def is_confidential(self) -> bool:
        return self.classification == Classification.CONFIDENTIAL


class DocumentReader(models.Model):
    """A person named as a reader of a confidential document."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reader_rows")
    person = models.ForeignKey(User, verbose_name=_("reader"), on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = _("named reader")
        constraints = [models.UniqueConstraint(fields=["document", "person"], name="document_reader_once")]

    def __str__(self) -> str:
        return f"{self.person} may read {self.document.symbol}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Named reader #{record.person_id} of document #{record.document_id}"


class VersionKind(models.TextChoices):
    REVISION = "rev", _("Revision (Rev.)")
    CORRIGENDUM = "corr", _("Corrigendum (Corr.)")
    ADDENDUM = "add", _("Addendum (Add.)")


VERSION_PREFIX = {VersionKind.REVISION: "Rev", VersionKind.CORRIGENDUM: "Corr", VersionKind.ADDENDUM: "Add"}


def version_path(instance: DocumentVersion, filename: str) -> str:
    """Server-generated: the uploaded name never reaches the file system."""
    return f"documents/{instance.document_id}/{secrets.token_hex(16)}.{instance.extension}"


class DocumentVersion(models.Model):
    """One version of a document and its file: Rev.1, Rev.2, Corr.1, Add.1. Never overwritten."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    kind = models.CharField(_("kind"), max_length=4, choices=VersionKind.choices, default=VersionKind.REVISION)
    number = models.PositiveSmallIntegerField(_("number"))
    file = models.FileField(_("file"), upload_to=version_path, max_length=200)
    # The name the uploader's computer gave the file, cleaned; shown and offered on download.
    original_name = models.CharField(_("file name"), max_length=255)
    extension = models.CharField(_("type"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    note = models.CharField(_("what changed"), max_length=500, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.ForeignKey(User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["document", "uploaded_at", "pk"]
        verbose_name = _("document version")
        constraints = [
            models.UniqueConstraint(fields=["document", "kind", "number"], name="document_version_number"),
        ]

    def __str__(self) -> str:
        return self.full_symbol

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse to point a stored version at another file (defence in depth)."""
        stored = getattr(self, "_stored_file", None)
        if stored is not None and self.file.name != stored:
            raise ValidationError(_("A version's file is never replaced; upload a new version instead."))
        super().save(*args, **kwargs)
        self._stored_file = self.file.name

    @classmethod
    def from_db(cls, db: str | None, field_names: list[str], values: list[Any]) -> DocumentVersion:
        instance = super().from_db(db, field_names, values)
        instance._stored_file = instance.__dict__.get("file")
        if instance._stored_file is not None:
            instance._stored_file = str(instance._stored_file)
        return instance

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"{VERSION_PREFIX.get(record.kind, record.kind)}.{record.number} of document #{record.document_id}"

    @property
    def label(self) -> str:
        return f"{VERSION_PREFIX.get(self.kind, self.kind)}.{self.number}"

    @property
    def full_symbol(self) -> str:
        return f"{self.document.symbol}/{self.label}"

    def get_download_url(self) -> str:
        return reverse("documents:download", args=[self.document_id, self.pk])


class DocumentOpen(models.Model):
    """A person opened (downloaded) a version: the read receipt. Only ever added."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="opens")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="document_opens")
    opened_at = models.DateTimeField(default=timezone.now)
    # How it was opened: the download link, or inside a meeting pack.
    via = models.CharField(max_length=20, default="download")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("opening of a document")
        indexes = [
            # "Who opened which version" on a document page and a circulation's matrix.
            models.Index(fields=["version", "person"], name="document_open_version"),
        ]

    def __str__(self) -> str:
        return f"{self.person} opened {self.version_id} at {self.opened_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Opening of version #{record.version_id}"


# --- Circulation -----------------------------------------------------------------


class CirculationMode(models.TextChoices):
    INFORMATION = "information", _("For information")
    COMMENTS = "comments", _("For comments")
    SILENCE = "silence", _("Adoption by silence procedure")
    AD_REFERENDUM = "ad_referendum", _("Confirmation ad referendum")


# Modes in which member states answer (information asks each recipient to acknowledge).
STATE_MODES = (CirculationMode.COMMENTS, CirculationMode.SILENCE, CirculationMode.AD_REFERENDUM)


class CirculationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    ADOPTED = "adopted", _("Adopted by silence")
    SILENCE_BROKEN = "silence_broken", _("Silence broken")
    CONFIRMED = "confirmed", _("Confirmed by all")
    NOT_ADOPTED = "not_adopted", _("Not adopted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Position(models.TextChoices):
    NO_OBJECTION = "no_objection", _("No objection")
    OBJECTION = "objection", _("Objection")
    RESERVATION = "reservation", _("Reservation")
    EXPLANATION = "explanation", _("Explanation of position")
    CONFIRMED = "confirmed", _("Confirmed")
    COMMENTS = "comments", _("Comments")
    NO_COMMENTS = "no_comments", _("No comments")


# What a state may answer in each mode, and which answers need a text.
POSITIONS = {
    CirculationMode.COMMENTS: [Position.COMMENTS, Position.NO_COMMENTS],
    CirculationMode.SILENCE: [Position.NO_OBJECTION, Position.OBJECTION, Position.RESERVATION, Position.EXPLANATION],
    CirculationMode.AD_REFERENDUM: [Position.CONFIRMED, Position.OBJECTION],
}
NEEDS_TEXT = {Position.OBJECTION, Position.RESERVATION, Position.EXPLANATION, Position.COMMENTS}


class CirculationQuerySet(TrackedQuerySet):
    def open(self) -> CirculationQuerySet:
        return self.filter(status=CirculationStatus.OPEN)

    def due(self, now: Any) -> CirculationQuerySet:
        """Open circulations whose deadline has passed: the sweep decides them."""
        return self.open().filter(deadline__isnull=False, deadline__lte=now)


class Circulation(models.Model):
    """One version sent to recipients in one mode, with a deadline and an outcome."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="circulations")
    mode = models.CharField(_("procedure"), max_length=15, choices=CirculationMode.choices)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    message = models.TextField(_("covering note"), blank=True, max_length=5000)
    # "WG-AI (all members); Myanmar; Dr Sato": who it was addressed to, as entered.
    addressed_to = models.CharField(_("addressed to"), max_length=1000)
    states = models.ManyToManyField(MemberState, through="CirculationState", related_name="+")
    status = models.CharField(
        _("status"), max_length=15, choices=CirculationStatus.choices, default=CirculationStatus.OPEN
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    outcome_note = models.CharField(_("outcome"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("circulated at"), default=timezone.now)
    created_by = models.ForeignKey(User, verbose_name=_("circulated by"), on_delete=models.PROTECT, related_name="+")

    objects = CirculationQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("circulation")
        indexes = [
            # The sweep: open circulations by deadline.
            models.Index(fields=["deadline"], name="circulation_open_deadline", condition=Q(status="open")),
            # used by /api/v1/circulations/?status=…, newest first.
            models.Index(fields=["status", "-created_at"], name="circulation_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()}: {self.version_id}"

    def get_absolute_url(self) -> str:
        return reverse("documents:circulation", args=[self.version.document_id, self.pk])

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Circulation #{record.id} ({CirculationMode(record.mode).label})"

    @property
    def is_open(self) -> bool:
        return self.status == CirculationStatus.OPEN

    @property
    def accepts_answers(self) -> bool:
        return self.is_open and (self.deadline is None or self.deadline > timezone.now())

    @property
    def asks_states(self) -> bool:
        return self.mode in STATE_MODES

    @property
    def positions(self) -> list[Position]:
        return POSITIONS.get(self.mode, [])


class CirculationState(models.Model):
    """A member state asked to answer a circulation (fixed when it is sent)."""

    circulation = models.ForeignKey(Circulation, on_delete=models.CASCADE, related_name="state_rows")
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["member_state__name"]
        verbose_name = _("member state asked")
        constraints = [
            models.UniqueConstraint(fields=["circulation", "member_state"], name="circulation_state_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_state} asked in circulation #{self.circulation_id}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"State #{record.member_state_id} asked in circulation #{record.circulation_id}"


def new_link_nonce() -> str:
    return secrets.token_urlsafe(12)


class CirculationRecipient(models.Model):
    """A person a circulation was sent to, and whether they acknowledged it."""

    circulation = models.ForeignKey(Circulation, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="circulations_received")
    # The delegation the person received it for (empty: chairs, observers, persons named).
    member_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    # Part of every one-click link sent to this person; rotated when a link is used.
    link_nonce = models.CharField(max_length=24, default=new_link_nonce, editable=False)

    objects = TrackedQuerySet.as_manager()
    history = history(excluded_fields=["link_nonce"])

    class Meta:
        ordering = ["member_state__name", "person__display_name"]
        verbose_name = _("recipient")
        constraints = [
            models.UniqueConstraint(fields=["circulation", "person"], name="circulation_recipient_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} received circulation #{self.circulation_id}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Recipient #{record.person_id} of circulation #{record.circulation_id}"


class CirculationAnswer(models.Model):
    """A member state's answer. One per state: a second answer replaces the first (history keeps both)."""

    circulation = models.ForeignKey(Circulation, on_delete=models.CASCADE, related_name="answers")
    member_state = models.ForeignKey(
        MemberState, verbose_name=_("member state"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.CharField(_("answer"), max_length=15, choices=Position.choices)
    text = models.TextField(_("reason or comments"), blank=True, max_length=10000)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    answered_by = models.ForeignKey(User, verbose_name=_("answered by"), on_delete=models.PROTECT, related_name="+")

    objects = TrackedQuerySet.as_manager()
    history = history()

    class Meta:
        ordering = ["member_state__name"]
        verbose_name = _("answer")
        constraints = [
            models.UniqueConstraint(fields=["circulation", "member_state"], name="circulation_answer_per_state"),
        ]

    def __str__(self) -> str:
        return f"{self.member_state}: {self.get_position_display()}"

    @staticmethod
    def history_label(record: models.Model) -> str:
        return f"Answer of state #{record.member_state_id} to circulation #{record.circulation_id}"
