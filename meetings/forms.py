"""Forms of meetings: they clean input; services act."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from secretariat.forms import FilterSelect, TimeZoneField
from secretariat.models import Body, MemberState, User

from .models import (
    MINUTES_MAX_CHARS,
    AgendaItem,
    Decision,
    DecisionKind,
    Meeting,
    MeetingFormat,
    Purpose,
    Rsvp,
    numbered_agenda,
)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time, read in a zone chosen by the form (the venue's), not the viewer's."""

    widget = LocalDateTimeInput

    def to_python(self, value: object) -> dt.datetime | None:
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            result = timezone.make_naive(result)
        return result


def in_zone(naive: dt.datetime | None, zone_name: str) -> dt.datetime | None:
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(zone_name)) if naive else None


def wall_clock(moment: dt.datetime, zone_name: str) -> dt.datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)


class MeetingForm(forms.Form):
    body = forms.ModelChoiceField(label=_("Body"), queryset=Body.objects.filter(is_active=True))
    number = forms.IntegerField(
        label=_("Number"), min_value=1, required=False, help_text=_("Empty: the next number of the body.")
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Empty: “6th ADGSOM” from the number and body.")
    )
    format = forms.ChoiceField(label=_("Format"), choices=MeetingFormat.choices, initial=MeetingFormat.IN_PERSON)
    time_zone = TimeZoneField(
        label=_("Venue time zone"),
        initial="Asia/Kuala_Lumpur",
        help_text=_("Start and end below are the venue's local time."),
    )
    start = LocalDateTimeField(label=_("Starts (venue's local time)"))
    end = LocalDateTimeField(label=_("Ends (venue's local time)"))
    venue = forms.CharField(
        label=_("Venue"), max_length=200, required=False, help_text=_("Needed for an in-person or hybrid meeting.")
    )
    host_state = forms.ModelChoiceField(
        label=_("Host member state"), queryset=MemberState.objects.all(), required=False
    )
    video_link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")
    named_chair = forms.ModelChoiceField(
        label=_("Chair of this meeting"),
        queryset=User.objects.filter(is_active=True).exclude(email__endswith=".invalid"),
        required=False,
        help_text=_("Empty: the chair of the body on the meeting's date presides."),
    )

    def __init__(self, *args: object, meeting: Meeting | None = None, **kwargs: object) -> None:
        if meeting is not None:
            kwargs.setdefault(
                "initial",
                {
                    "body": meeting.body,
                    "number": meeting.number,
                    "title": meeting.title,
                    "format": meeting.format,
                    "time_zone": meeting.time_zone,
                    "start": wall_clock(meeting.start, meeting.time_zone),
                    "end": wall_clock(meeting.end, meeting.time_zone),
                    "venue": meeting.venue,
                    "host_state": meeting.host_state,
                    "video_link": meeting.video_link,
                    "named_chair": meeting.named_chair,
                },
            )
        super().__init__(*args, **kwargs)
        if meeting is not None:
            # A meeting stays with its body; its number is numbered within it.
            del self.fields["body"]

    def clean(self) -> dict:
        data = super().clean()
        zone = data.get("time_zone")
        if zone:
            data["start"] = in_zone(data.get("start"), zone)
            data["end"] = in_zone(data.get("end"), zone)
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The meeting must end after it starts."))
        if data.get("format") in (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID) and not data.get("venue", "").strip():
            self.add_error("venue", _("An in-person or hybrid meeting needs a venue."))
        return data


class PostponeForm(forms.Form):
    start = LocalDateTimeField(label=_("New start (venue's local time)"))
    end = LocalDateTimeField(label=_("New end (venue's local time)"))
    reason = forms.CharField(
        label=_("Reason"), max_length=500, help_text=_("Delegations read it in the update they receive.")
    )

    def __init__(self, *args: object, meeting: Meeting, **kwargs: object) -> None:
        self.meeting = meeting
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        data["start"] = in_zone(data.get("start"), self.meeting.time_zone)
        data["end"] = in_zone(data.get("end"), self.meeting.time_zone)
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The meeting must end after it starts."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class GuestForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Person"),
        queryset=User.objects.filter(is_active=True).exclude(email__endswith=".invalid"),
        help_text=_("An observer or invited expert: they see this meeting only."),
        widget=FilterSelect,  # every person is an option
    )


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Will your delegation attend?"),
        choices=[(Rsvp.ATTENDING, Rsvp.ATTENDING.label), (Rsvp.NOT_ATTENDING, Rsvp.NOT_ATTENDING.label)],
        widget=forms.RadioSelect,
    )
    people = forms.ModelMultipleChoiceField(
        label=_("Who will attend"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of your delegation in this body; the head of delegation is listed first."),
    )
    note = forms.CharField(label=_("Note to the secretariat"), max_length=500, required=False)

    def __init__(self, *args: object, members: list[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = User.objects.filter(pk__in=[m.pk for m in members])
        order = {m.pk: i for i, m in enumerate(members)}
        self.fields["people"].choices = sorted(
            ((m.pk, m.display_name) for m in members), key=lambda choice: order[choice[0]]
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("answer") == Rsvp.ATTENDING and not data.get("people"):
            self.add_error("people", _("Name at least one delegate who will attend."))
        return data


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["title", "purpose", "parent", "presenter_state", "presenter_person", "notes", "outcome"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "outcome": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, meeting: Meeting, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        tops = meeting.agenda_items.filter(parent__isnull=True).exclude(pk=self.instance.pk)
        numbers = {n.item.pk: n.number for n in numbered_agenda(meeting.agenda_items.all())}
        self.fields["parent"].queryset = tops
        self.fields["parent"].label_from_instance = lambda item: f"{numbers.get(item.pk, '')} {item.title}"
        self.fields["parent"].help_text = _("Empty: a top-level item. Otherwise a sub-item (3.1, 3.2) under it.")
        self.fields["presenter_person"].queryset = User.objects.filter(is_active=True).exclude(
            email__endswith=".invalid"
        )
        if not self.instance.pk:
            self.fields["purpose"].initial = Purpose.NOTING

    def _post_clean(self) -> None:
        # The service checks and saves; the form only cleans.
        pass


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ["agenda_item", "kind", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: object, meeting: Meeting, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        numbered = numbered_agenda(meeting.agenda_items.all())
        self.fields["agenda_item"].queryset = meeting.agenda_items.all()
        self.fields["agenda_item"].choices = [("", "---------")] + [
            (n.item.pk, f"{n.number}. {n.item.title}") for n in numbered
        ]
        self.fields["kind"].initial = DecisionKind.NOTED

    def _post_clean(self) -> None:
        pass


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Minutes (Markdown)"),
        max_length=MINUTES_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "class": "minutes-editor"}),
        help_text=_(
            "Paragraphs separated by a blank line are numbered for comments; headings start with #. "
            "HTML is not rendered."
        ),
    )


class CirculateForm(forms.Form):
    deadline = LocalDateTimeField(
        label=_("Comments due by"), help_text=_("In your own time zone. Delegations see it in theirs.")
    )

    def clean_deadline(self) -> dt.datetime:
        value = timezone.make_aware(self.cleaned_data["deadline"])  # the viewer's zone, as the help says
        if value <= timezone.now():
            raise forms.ValidationError(_("The deadline for comments must be in the future."))
        return value


class CommentForm(forms.Form):
    member_state = forms.ModelChoiceField(
        label=_("For the delegation of"), queryset=MemberState.objects.none(), empty_label=None
    )
    paragraph = forms.IntegerField(
        label=_("Paragraph"), min_value=1, required=False, help_text=_("Empty: a comment on the whole text.")
    )
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: object, states: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member_state"].queryset = MemberState.objects.filter(pk__in=states)


class ReturnForm(forms.Form):
    comments = forms.CharField(
        label=_("What should change"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The secretariat reads these comments and prepares a new version."),
    )


class FilterForm(forms.Form):
    body = forms.ModelChoiceField(
        label=_("Body"), queryset=Body.objects.none(), required=False, empty_label=_("All"), widget=FilterSelect
    )
    status = forms.ChoiceField(label=_("Status"), required=False, widget=FilterSelect)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None, widget=FilterSelect)

    def __init__(self, *args: object, bodies: object, years: list[int], statuses: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies
        self.fields["status"].choices = [("", _("All")), *statuses]
        self.fields["year"].choices = [("", _("All")), *[(y, str(y)) for y in years]]


class DecisionSearchForm(forms.Form):
    q = forms.CharField(label=_("Search the decisions"), required=False, max_length=200)
    body = forms.ModelChoiceField(label=_("Body"), queryset=Body.objects.none(), required=False, empty_label=_("All"))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *DecisionKind.choices])

    def __init__(self, *args: object, bodies: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies


class DocumentLinkForm(forms.Form):
    """Put a document of the register on the agenda (the secretariat's page of its own)."""

    # FilterSelect: the register's every document is an option (joined in Python, not rendered each).
    document = forms.ModelChoiceField(label=_("Document"), queryset=None, widget=FilterSelect)
    agenda_item = forms.ModelChoiceField(
        label=_("Under agenda item"),
        queryset=AgendaItem.objects.none(),
        required=False,
        empty_label=_("The meeting as a whole"),
        widget=FilterSelect,
    )

    def __init__(self, *args: object, meeting: Meeting, documents, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents
        self.fields["document"].label_from_instance = lambda d: f"{d.symbol} — {d.title}"
        numbered = numbered_agenda(meeting.agenda_items.all())
        field = self.fields["agenda_item"]
        field.queryset = meeting.agenda_items.all()
        labels = {n.item.pk: f"{n.number} {n.item.title}" for n in numbered}
        field.label_from_instance = lambda item: labels.get(item.pk, item.title)
