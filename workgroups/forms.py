"""Forms of the work plan and action items: they clean input; services act.

`ActionItemFilter` is shared by the list page, its CSV export and the API, so
the three always filter alike.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat import rules as network_rules
from secretariat.forms import FilterSelect
from secretariat.models import SECRETARIAT_GROUP, Body, Membership, MemberState, User

from . import rules
from .models import (
    NOTE_MAX,
    OUTCOMES_FOR,
    TEXT_MAX,
    TITLE_MAX,
    ActionItem,
    ActionItemStatus,
    OwnerKind,
    Priority,
    ReferralPurpose,
    Task,
)


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _people_for(body: Body | None) -> QuerySet[User]:
    """Who can be named on an item: current members of the body (not observers) and the secretariat."""
    members = Membership.objects.current().exclude(role="observer")
    if body is not None:
        members = members.filter(body=body)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=members.values("person_id")) | Q(groups__name=SECRETARIAT_GROUP))
        .distinct()
        .order_by("display_name")
    )


class OwnerFieldsMixin(forms.Form):
    owner_kind = forms.ChoiceField(
        label=_("Owner"), choices=OwnerKind.choices, widget=forms.RadioSelect, initial=OwnerKind.STATE
    )
    owner_state = forms.ModelChoiceField(
        label=_("Member state"),
        queryset=MemberState.objects.all(),
        required=False,
        help_text=_("When a delegation owns the item: the state must have a delegation in the body."),
    )
    assignees = forms.ModelMultipleChoiceField(
        label=_("Named persons"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Required when named persons own the item; otherwise optional focal points."),
    )

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("owner_kind")
        if kind == OwnerKind.STATE and not data.get("owner_state"):
            self.add_error("owner_state", _("Choose the member state whose delegation owns the item."))
        if kind == OwnerKind.PERSONS and not data.get("assignees"):
            self.add_error("assignees", _("Name at least one person to own the item."))
        return data


class ActionItemForm(OwnerFieldsMixin):
    """Record an action item; the body is fixed by the origin or chosen here."""

    body = forms.ModelChoiceField(label=_("Body"), queryset=Body.objects.none())
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, help_text=_("What is to be done, in a line."))
    description = forms.CharField(
        label=_("Description"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    task = forms.ModelChoiceField(label=_("Task of the work plan"), queryset=Task.objects.none(), required=False)
    shared_with_observers = forms.BooleanField(label=_("Share with the body's observers"), required=False)

    field_order = ["body", "title", "description", "owner_kind", "owner_state", "assignees", "due_date", "priority"]

    def __init__(self, *args: object, user: User, body: Body | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = rules.creatable_bodies(user).order_by("code")
        if body is not None:
            self.fields["body"].initial = body.pk
            self.fields["body"].widget = forms.HiddenInput()
        self.fields["assignees"].queryset = _people_for(body)
        self.fields["task"].queryset = Task.objects.filter(body=body) if body else Task.objects.none()
        if body is None:
            del self.fields["task"]


class ActionItemEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    task = forms.ModelChoiceField(label=_("Task of the work plan"), queryset=Task.objects.none(), required=False)
    shared_with_observers = forms.BooleanField(label=_("Share with the body's observers"), required=False)

    def __init__(self, *args: object, item: ActionItem, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": item.title,
                "description": item.description,
                "due_date": item.due_date,
                "priority": item.priority,
                "task": item.task_id,
                "shared_with_observers": item.shared_with_observers,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = Task.objects.filter(body_id=item.body_id)


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=_("Completion note"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was delivered, and where the record of it is (a document symbol, a link)."),
        error_messages={"required": _("Enter a completion note: say what was delivered.")},
    )


class DropForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for dropping"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("It is kept in the record and shown to the owner."),
        error_messages={"required": _("Enter the reason for dropping the item.")},
    )


class ProgressUpdateForm(forms.Form):
    text = forms.CharField(
        label=_("Progress update"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the update before posting it.")},
    )


class ReassignForm(OwnerFieldsMixin):
    note = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: object, item: ActionItem, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial",
            {
                "owner_kind": item.owner_kind,
                "owner_state": item.owner_state_id,
                "assignees": [a.person_id for a in item.assignments.all()],
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["assignees"].queryset = _people_for(item.body)


class ReferForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Referred"), choices=ReferralPurpose.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note to the receiving body"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=(), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the work is returned: say what is expected."),
    )

    def __init__(self, *args: object, purpose: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(o.value, o.label) for o in OUTCOMES_FOR[ReferralPurpose(purpose)]]


class TaskForm(forms.ModelForm):
    lead_states = forms.ModelMultipleChoiceField(
        label=_("Lead member states"),
        queryset=MemberState.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Task
        fields = [
            "title",
            "description",
            "framework",
            "framework_line",
            "lead_states",
            "start",
            "end",
            "status",
            "shared_with_observers",
        ]
        widgets = {"start": DateInput(), "end": DateInput(), "description": forms.Textarea(attrs={"rows": 4})}


# --- Filters ---------------------------------------------------------------------------------

SORTS = {
    "due": (_("Due date, soonest first"), ["due_date", "priority", "pk"]),
    "-due": (_("Due date, latest first"), ["-due_date", "priority", "-pk"]),
    "priority": (_("Priority, highest first"), ["priority", "due_date", "pk"]),
    "-created": (_("Newest first"), ["-created_at", "-pk"]),
    "status": (_("Status"), ["status", "due_date", "pk"]),
}
STATUS_FILTERS = [
    ("", _("Any status")),
    ("live", _("Open or in progress")),
    *ActionItemStatus.choices,
]
OWNER_FILTERS = [("", _("Anyone")), ("me", _("Me or my state")), *OwnerKind.choices]
WITHIN_CHOICES = [("", _("Any time")), ("7", _("Next 7 days")), ("30", _("Next 30 days")), ("90", _("Next 90 days"))]


class ActionItemFilter(forms.Form):
    """The filters of /action-items/, its CSV export and /api/v1/action-items/ (query parameters)."""

    body = forms.ModelChoiceField(
        label=_("Body"), queryset=Body.objects.none(), required=False, empty_label=_("Any body"), widget=FilterSelect
    )
    state = forms.ModelChoiceField(
        label=_("Member state"),
        queryset=MemberState.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("Any member state"),
        widget=FilterSelect,
    )
    owner = forms.ChoiceField(label=_("Owner"), choices=OWNER_FILTERS, required=False, widget=FilterSelect)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False, widget=FilterSelect)
    within = forms.ChoiceField(label=_("Due"), choices=WITHIN_CHOICES, required=False, widget=FilterSelect)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("Due until"), required=False, widget=DateInput())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[(k, v[0]) for k, v in SORTS.items()],
        required=False,
        initial="due",
        widget=FilterSelect,
    )

    def __init__(self, data: object = None, *, user: User, **kwargs: object) -> None:
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["body"].queryset = network_rules.visible_bodies(user).order_by("code")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("due_from"), data.get("due_to")
        if start and end and end < start:
            self.add_error("due_to", _("The end of the due window comes before its start."))
        return data

    def apply(self, items: QuerySet[ActionItem], today: dt.date | None = None) -> QuerySet[ActionItem]:
        """Narrow `items` by the valid filters (invalid ones are ignored and shown as errors)."""
        today = today or timezone.localdate()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("body"):
            items = items.filter(body=data["body"])
        if data.get("state"):
            items = items.filter(owner_kind=OwnerKind.STATE, owner_state=data["state"])
        owner = data.get("owner")
        if owner == "me":
            items = items.owned_by_or_assigned_to(self.user)
        elif owner:
            items = items.filter(owner_kind=owner)
        status = data.get("status")
        if status == "live":
            items = items.open()
        elif status:
            items = items.filter(status=status)
        if data.get("within"):
            items = items.due_within(int(data["within"]), today)
        if data.get("due_from"):
            items = items.filter(due_date__gte=data["due_from"])
        if data.get("due_to"):
            items = items.filter(due_date__lte=data["due_to"])
        if data.get("overdue"):
            items = items.overdue(today)
        return items.order_by(*SORTS[data.get("sort") or "due"][1])

    @property
    def current_sort(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("sort") or "due"
