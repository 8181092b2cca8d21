"""The admin is a back office for the secretariat; workflow changes go through the pages."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AgendaItem, CalendarFeed, Decision, Delegation, Meeting, Minutes, MinutesComment, MinutesVersion


class ReadOnlyWorkflowAdmin(SimpleHistoryAdmin):
    """Workflow fields are read-only here: every transition goes through a service."""

    workflow_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: object, obj: object = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), *self.workflow_fields)


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyWorkflowAdmin):
    list_display = ["title", "body", "start", "status", "agenda_status"]
    list_filter = ["status", "body", "format"]
    search_fields = ["title", "venue"]
    date_hierarchy = "start"
    workflow_fields = ("status", "status_note", "agenda_status", "agenda_adopted_at", "agenda_adopted_by")


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyWorkflowAdmin):
    list_display = ["meeting", "member_state", "rsvp", "attended"]
    list_filter = ["rsvp", "member_state"]
    workflow_fields = ("rsvp", "answered_at", "answered_by", "attended")


@admin.register(AgendaItem)
class AgendaItemAdmin(SimpleHistoryAdmin):
    list_display = ["title", "meeting", "parent", "position", "purpose"]
    list_filter = ["purpose"]


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    list_display = ["meeting", "agenda_item", "kind", "recorded_at"]
    list_filter = ["kind"]
    search_fields = ["text"]


@admin.register(Minutes)
class MinutesAdmin(ReadOnlyWorkflowAdmin):
    list_display = ["meeting", "status", "comment_deadline", "submitted_at"]
    list_filter = ["status"]
    workflow_fields = ("status", "submitted_at", "submitted_by")


@admin.register(MinutesVersion)
class MinutesVersionAdmin(ReadOnlyWorkflowAdmin):
    list_display = ["minutes", "number", "created_at", "approved_at"]
    workflow_fields = (
        "text",
        "circulated_at",
        "submitted_at",
        "returned_at",
        "approved_at",
        "approved_by",
        "sha256",
    )


@admin.register(MinutesComment)
class MinutesCommentAdmin(SimpleHistoryAdmin):
    list_display = ["version", "member_state", "paragraph", "created_at"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(SimpleHistoryAdmin):
    list_display = ["user", "created_at", "revoked_at"]
    readonly_fields = ["revoked_at"]
