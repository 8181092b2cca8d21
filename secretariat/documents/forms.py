"""Forms of the document register: they clean input; services act."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat.forms import FilterSelect
from secretariat.models import Body, MemberState, User
from secretariat.zones import zone_label

from .files import ACCEPT, allowed_summary
from .models import (
    CLASSIFICATION_HELP,
    Circulation,
    CirculationMode,
    Classification,
    DocumentVersion,
    Position,
    VersionKind,
)


def _people() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Named readers"),
        queryset=User.objects.filter(is_active=True).exclude(email__endswith=".invalid").select_related("member_state"),
        required=False,
        help_text=_("Confidential documents only: the people who may read it besides the secretariat."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )


def _file_field(label: str) -> forms.FileField:
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat

    return forms.FileField(
        label=label,
        help_text=_("%(types)s; at most %(size)s. The content must match the file's type.")
        % {"types": allowed_summary(), "size": filesizeformat(settings.DOCUMENT_MAX_UPLOAD_BYTES)},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        allow_empty_file=True,  # the service refuses it with a clearer message
    )


class ClassificationField(forms.ChoiceField):
    widget = forms.RadioSelect

    def __init__(self, **kwargs: object) -> None:
        choices = [(value, f"{label} — {CLASSIFICATION_HELP[value]}") for value, label in Classification.choices]
        super().__init__(label=_("Classification"), choices=choices, initial=Classification.RESTRICTED, **kwargs)


class DocumentForm(forms.Form):
    body = forms.ModelChoiceField(label=_("Body"), queryset=Body.objects.filter(is_active=True))
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    classification = ClassificationField()
    readers = _people()
    file = _file_field(_("File (Rev.1)"))
    note = forms.CharField(label=_("Note on this version"), max_length=500, required=False)


class DocumentEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    classification = ClassificationField()
    readers = _people()


class VersionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of version"), choices=VersionKind.choices, initial=VersionKind.REVISION, widget=forms.RadioSelect
    )
    file = _file_field(_("File"))
    note = forms.CharField(label=_("What changed"), max_length=500, required=False)


class DeadlineInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class CirculateForm(forms.Form):
    version = forms.ModelChoiceField(label=_("Version"), queryset=DocumentVersion.objects.none(), empty_label=None)
    mode = forms.ChoiceField(
        label=_("Procedure"),
        choices=CirculationMode.choices,
        widget=forms.RadioSelect,
        initial=CirculationMode.INFORMATION,
    )
    deadline = forms.DateTimeField(label=_("Deadline"), required=False, widget=DeadlineInput())
    bodies = forms.ModelMultipleChoiceField(
        label=_("Bodies"),
        queryset=Body.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every member of the body receives it (not its observers); its delegations answer."),
    )
    states = forms.ModelMultipleChoiceField(
        label=_("Member states"),
        queryset=MemberState.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The state's heads of delegation and delegates in the owning body receive it; the state answers."),
    )
    persons = forms.ModelMultipleChoiceField(
        label=_("People named"),
        queryset=User.objects.filter(is_active=True).exclude(email__endswith=".invalid").select_related("member_state"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Observers and experts receive it to read and acknowledge; they answer for no state."),
    )
    message = forms.CharField(
        label=_("Covering note"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )

    def __init__(self, *args: object, document, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        versions = document.versions.order_by("-uploaded_at", "-pk")
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: f"{v.label} — {v.original_name}"
        self.fields["version"].initial = versions.first()
        self.fields["deadline"].help_text = _(
            "In your time zone (%(zone)s). Required for comments and adoption; a silence procedure runs at least 72 hours."
        ) % {"zone": zone_label(timezone.get_current_timezone_name())}


class AnswerForm(forms.Form):
    member_state = forms.ModelChoiceField(label=_("Answer for"), queryset=MemberState.objects.none(), empty_label=None)
    position = forms.ChoiceField(label=_("Answer"), widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Reason, comments or explanation"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10000,
        help_text=_("Required for an objection, a reservation, an explanation of position and comments."),
    )

    def __init__(self, *args: object, circulation: Circulation, state_ids: set[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member_state"].queryset = MemberState.objects.filter(pk__in=state_ids)
        self.fields["position"].choices = [(p.value, Position(p).label) for p in circulation.positions]
        if len(state_ids) == 1:
            self.fields["member_state"].widget = forms.HiddenInput()
            self.fields["member_state"].initial = next(iter(state_ids))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search symbol, title or description"), required=False, max_length=200)
    body = forms.ModelChoiceField(
        label=_("Body"), queryset=Body.objects.none(), required=False, empty_label=_("All"), widget=FilterSelect
    )
    classification = forms.ChoiceField(label=_("Classification"), required=False, widget=FilterSelect)
    meeting = forms.TypedChoiceField(
        label=_("Meeting"), required=False, coerce=int, empty_value=None, widget=FilterSelect
    )

    def __init__(self, *args: object, bodies, meetings: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies
        self.fields["classification"].choices = [("", _("All")), *Classification.choices]
        if meetings:
            self.fields["meeting"].choices = [("", _("All")), *meetings]
        else:
            del self.fields["meeting"]
