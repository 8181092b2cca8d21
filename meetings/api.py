"""API of meetings: list and detail, read-only, with the same access rules as the pages.

Times are ISO 8601 with the offset of the caller's zone (the one the pages use);
`time_zone` names the venue's zone. A meeting the caller may not see answers 404.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from . import rules
from .models import AgendaItem, Decision, Delegation, Meeting, Minutes, Participant, numbered_agenda


class ParticipantSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "name", "designation", "role", "rsvp", "attended"]


class DelegationSerializer(serializers.ModelSerializer):
    member_state = serializers.CharField(source="member_state.code", read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)

    class Meta:
        model = Delegation
        fields = ["id", "member_state", "rsvp", "answered_at", "attended", "participants"]


class AgendaItemSerializer(serializers.ModelSerializer):
    number = serializers.SerializerMethodField()
    presenter = serializers.CharField(read_only=True)

    class Meta:
        model = AgendaItem
        fields = ["id", "number", "parent", "title", "purpose", "presenter", "notes", "outcome"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_number(self, item: AgendaItem) -> str:
        """ "3" or "3.1", from the meeting's numbering (computed once per meeting)."""
        return self.context.get("numbers", {}).get(item.pk, "")


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "agenda_item", "kind", "text", "recorded_at"]


class MinutesStatusSerializer(serializers.Serializer):
    status = serializers.CharField()
    latest_revision = serializers.IntegerField(allow_null=True)
    approved_revision = serializers.IntegerField(allow_null=True)
    approved_sha256 = serializers.CharField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)


def _minutes_status(meeting: Meeting, user: object) -> dict | None:
    minutes: Minutes | None = getattr(meeting, "minutes", None)
    if minutes is None:
        return None
    versions = [
        v for v in minutes.versions.all() if v.circulated_at or v.approved_at or rules.can_see_drafts(user, meeting)
    ]
    approved = next((v for v in reversed(versions) if v.approved_at), None)
    return {
        "status": minutes.status,
        "latest_revision": versions[-1].number if versions else None,
        "approved_revision": approved.number if approved else None,
        "approved_sha256": approved.sha256 if approved else None,
        "approved_at": approved.approved_at if approved else None,
    }


class MeetingSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body.code", read_only=True)
    host_state = serializers.CharField(source="host_state.code", allow_null=True, default=None, read_only=True)
    minutes_status = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "body",
            "number",
            "title",
            "format",
            "status",
            "start",
            "end",
            "time_zone",
            "venue",
            "host_state",
            "agenda_status",
            "minutes_status",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_minutes_status(self, meeting: Meeting) -> str | None:
        minutes = getattr(meeting, "minutes", None)
        return minutes.status if minutes is not None else None


class MeetingDetailSerializer(MeetingSerializer):
    chair = serializers.SerializerMethodField()
    agenda_items = serializers.SerializerMethodField()
    delegations = DelegationSerializer(many=True, read_only=True)
    guests = serializers.SerializerMethodField()
    decisions = DecisionSerializer(many=True, read_only=True)
    minutes = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [
            *MeetingSerializer.Meta.fields,
            "status_note",
            "video_link",
            "chair",
            "agenda_adopted_at",
            "agenda_items",
            "delegations",
            "guests",
            "decisions",
            "minutes",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_chair(self, meeting: Meeting) -> str | None:
        return str(meeting.chair) if meeting.chair else None

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_agenda_items(self, meeting: Meeting) -> list[dict]:
        numbered = numbered_agenda(meeting.agenda_items.all())
        context = {**self.context, "numbers": {n.item.pk: n.number for n in numbered}}
        return AgendaItemSerializer([n.item for n in numbered], many=True, context=context).data

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_guests(self, meeting: Meeting) -> list[dict]:
        guests = [p for p in meeting.participants.all() if p.delegation_id is None]
        return ParticipantSerializer(guests, many=True).data

    @extend_schema_field(MinutesStatusSerializer(allow_null=True))
    def get_minutes(self, meeting: Meeting) -> dict | None:
        status = _minutes_status(meeting, self.context["request"].user)
        return MinutesStatusSerializer(status).data if status else None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("body", str, description="Body code, for example ADGSOM."),
            OpenApiParameter("status", str, description="Meeting status."),
            OpenApiParameter("year", int, description="Year of the start."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="Meetings ending on or after this date."),
        ]
    )
)
class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """Meetings the signed-in user may see, soonest last; a meeting it may not see answers 404."""

    lookup_value_regex = r"\d+"

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return MeetingDetailSerializer if self.action == "retrieve" else MeetingSerializer

    def get_queryset(self) -> QuerySet[Meeting]:
        meetings = (
            rules.visible_meetings(self.request.user)
            .select_related("body", "host_state", "minutes", "named_chair")
            .order_by("-start", "pk")
        )
        if self.action == "retrieve":
            return meetings.prefetch_related(
                Prefetch(
                    "agenda_items", queryset=AgendaItem.objects.select_related("presenter_state", "presenter_person")
                ),
                Prefetch("delegations", queryset=Delegation.objects.select_related("member_state")),
                Prefetch("delegations__participants", queryset=Participant.objects.select_related("person")),
                Prefetch("participants", queryset=Participant.objects.select_related("person")),
                "decisions",
                "minutes__versions",
            )
        params = self.request.query_params
        if params.get("body"):
            meetings = meetings.filter(body__code__iexact=params["body"])
        if params.get("status"):
            meetings = meetings.filter(status=params["status"])
        year = params.get("year", "")
        if year.isdigit() and 1 <= int(year) <= 9999:
            meetings = meetings.filter(start__year=int(year))
        since = _date(params.get("from", ""))
        if since is not None:
            meetings = meetings.filter(end__date__gte=since)
        return meetings


def _date(value: str) -> dt.date | None:
    """A date from the query string, or None for anything that is not one."""
    try:
        return parse_date(value)
    except ValueError:
        return None
