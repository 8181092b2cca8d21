"""The admin is a back office for the secretariat; workflow changes go through the pages."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ActionItem, Assignment, ProgressUpdate, Referral, Task, TaskLeadState


class ReadOnlyWorkflowAdmin(SimpleHistoryAdmin):
    """Workflow fields are read-only here: every transition goes through a service."""

    workflow_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: object, obj: object = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), *self.workflow_fields)


class TaskLeadStateInline(admin.TabularInline):
    model = TaskLeadState
    extra = 0


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["title", "body", "framework", "start", "end", "status"]
    list_filter = ["body", "framework", "status"]
    search_fields = ["title"]
    inlines = [TaskLeadStateInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyWorkflowAdmin):
    list_display = ["title", "body", "owner_kind", "owner_state", "due_date", "priority", "status"]
    list_filter = ["status", "body", "owner_kind", "owner_state", "priority"]
    search_fields = ["title"]
    date_hierarchy = "due_date"
    raw_id_fields = ["meeting", "agenda_item", "decision", "task"]
    workflow_fields = (
        "status",
        "owner_kind",
        "owner_state",
        "completion_note",
        "drop_reason",
        "started_at",
        "closed_at",
    )


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["action_item", "person", "assigned_at"]
    raw_id_fields = ["action_item", "person"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(SimpleHistoryAdmin):
    list_display = ["action_item", "kind", "author", "member_state", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["action_item"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyWorkflowAdmin):
    list_display = ["__str__", "from_body", "to_body", "purpose", "outcome", "referred_at"]
    list_filter = ["outcome", "purpose", "to_body"]
    raw_id_fields = ["action_item", "task"]
    workflow_fields = ("outcome", "outcome_note", "decided_at", "decided_by")
