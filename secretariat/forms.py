"""Forms of the base layer: they clean input; services act."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .models import Body, Membership, MemberState, Role, User
from .zones import PLACES, zone_label

ASEAN_ZONES = [name for name in PLACES if name != "UTC"]


def zone_choices(empty_label: str | None = None) -> list[tuple[str, object]]:
    asean = sorted(ASEAN_ZONES, key=lambda name: zone_label(name))
    others = sorted(zoneinfo.available_timezones() - set(asean) - {"localtime"})
    choices: list[tuple[str, object]] = []
    if empty_label is not None:
        choices.append(("", empty_label))
    choices.append((_("ASEAN"), [(name, zone_label(name)) for name in asean]))
    choices.append((_("Elsewhere"), [(name, name) for name in others]))
    return choices


class TimeZoneField(forms.ChoiceField):
    default_error_messages = {
        "invalid_choice": _("“%(value)s” is not a known time zone. Choose one from the list."),
    }

    def __init__(self, *, empty_label: str | None = None, **kwargs: object) -> None:
        super().__init__(choices=lambda: zone_choices(empty_label), **kwargs)


class ProfileForm(forms.ModelForm):
    time_zone = TimeZoneField(
        label=_("Time zone"),
        required=False,
        help_text=_("Meetings and deadlines are shown in this zone."),
    )

    class Meta:
        model = User
        fields = ["display_name", "time_zone"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        state = self.instance.member_state
        default = state.zone_label if state else zone_label("Asia/Kuala_Lumpur")
        self.fields["time_zone"].choices = zone_choices(_("My member state's zone (%(zone)s)") % {"zone": default})


class InvitationAcceptForm(forms.Form):
    display_name = forms.CharField(label=_("Your name as it should appear"), max_length=150)
    time_zone = TimeZoneField(label=_("Your time zone"), required=False)
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: object, default_zone_label: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices(
            _("My member state's zone (%(zone)s)") % {"zone": default_zone_label}
            if default_zone_label
            else _("Kuala Lumpur, UTC+8")
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ. Type the same password twice."))
        return data


class BodyForm(forms.ModelForm):
    class Meta:
        model = Body
        fields = ["code", "name", "description", "parent", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["parent"].queryset = Body.objects.exclude(pk=self.instance.pk)
        self.fields["code"].error_messages["unique"] = _("A body with this code already exists. Choose another code.")

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        qs = Body.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("A body with this code already exists. Choose another code."))
        return code


class FilterSelect(forms.Select):
    """A <select> whose options are joined in Python instead of a template render each.

    Django renders every option through two templates (option and attributes): a
    filter bar of a few selects costs a few hundred template renders on every list
    page, a select of every document or person a few thousand. The markup is the
    same as Django's select.html and select_option.html. Single choice, no option
    groups: what the filter bars and the meeting page's forms use.
    """

    def render(self, name: str, value: object, attrs: dict | None = None, renderer: object = None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        options = [
            f'<option value="{conditional_escape(option["value"])}"{_option_attrs(option["attrs"])}>'
            f"{conditional_escape(option['label'])}</option>"
            for _group, choices, _index in widget["optgroups"]
            for option in choices
        ]
        return format_html(
            '<select name="{}"{}>\n  {}\n</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("\n  ".join(options)),  # noqa: S308 -- value and label escaped above
        )


def _option_attrs(attrs: dict) -> str:
    """flatatt for an option, whose attributes are nearly always none or `selected`."""
    if not attrs:
        return ""
    if attrs == {"selected": True}:
        return " selected"
    return flatatt(attrs)


class DateInput(forms.DateInput):
    input_type = "date"


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["person", "role", "member_state", "start", "end"]
        widgets = {"start": DateInput(), "end": DateInput()}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = (
            User.objects.filter(is_active=True).exclude(email__endswith=".invalid").select_related("member_state")
        )
        self.fields["member_state"].queryset = MemberState.objects.all()

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The term cannot end before it starts."))
        return data

    def _post_clean(self) -> None:
        # Model-level checks (one head per state, one chair) run in the service,
        # where the body row is locked; skip the duplicate run here.
        pass


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    display_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.DELEGATE)
    member_state = forms.ModelChoiceField(
        label=_("Member state"),
        queryset=MemberState.objects.all(),
        required=False,
        help_text=_("Required for heads of delegation and delegates."),
    )

    def __init__(self, *args: object, allowed_states: list[int] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if allowed_states is not None:
            # A head of delegation invites delegates of its own state only.
            self.fields["role"].choices = [(Role.DELEGATE, Role.DELEGATE.label)]
            self.fields["member_state"].queryset = MemberState.objects.filter(pk__in=allowed_states)
            self.fields["member_state"].required = True
            self.fields["member_state"].empty_label = None


class EndMembershipForm(forms.Form):
    end = forms.DateField(label=_("Last day of the term"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Kept in the record. The person's memberships end today and their sessions end at once."),
    )


class AuditFilterForm(forms.Form):
    KIND_CHOICES = [
        ("", _("Any")),
        ("created", _("Created")),
        ("changed", _("Changed")),
        ("deleted", _("Deleted")),
        ("transition", _("Workflow transition")),
    ]

    user = forms.ModelChoiceField(
        label=_("Who"), queryset=User.objects.none(), required=False, empty_label=_("Anyone"), widget=FilterSelect
    )
    model = forms.ChoiceField(label=_("Kind of record"), required=False, widget=FilterSelect)
    object_id = forms.IntegerField(label=_("Record id"), required=False, min_value=1)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until (inclusive)"), required=False, widget=DateInput())
    kind = forms.ChoiceField(label=_("Change"), choices=KIND_CHOICES, required=False, widget=FilterSelect)

    def __init__(self, *args: object, models: dict[str, type] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.order_by("display_name")
        self.fields["model"].choices = [("", _("Any"))] + [
            (label, str(model.instance_type._meta.verbose_name).capitalize()) for label, model in (models or {}).items()
        ]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end of the period is before its start."))
        return data


class NotificationPreferencesForm(forms.Form):
    digest_mode = forms.ChoiceField(
        label=_("How reminders reach you by e-mail"),
        choices=User._meta.get_field("digest_mode").choices,
        widget=forms.RadioSelect,
    )
    enabled = forms.MultipleChoiceField(
        label=_("Optional reminders"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Ticked reminders are e-mailed to you; every one also stays in your notifications here."),
    )

    def __init__(self, *args: object, optional: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enabled"].choices = optional
