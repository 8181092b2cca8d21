"""API of the work plan: action items (with the list page's filters) and tasks, read-only.

Same access rules as the pages: a record the user may not see answers 404.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from secretariat.models import MemberState

from . import rules
from .forms import OWNER_FILTERS, SORTS, STATUS_FILTERS, WITHIN_CHOICES, ActionItemFilter
from .models import ActionItem, Assignment, Task


class ActionItemSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body.code")
    owner_state = serializers.CharField(source="owner_state.code", allow_null=True, default=None)
    assignees = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(read_only=True, help_text="Derived: open and past its due date.")
    priority = serializers.CharField(source="get_priority_display")
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "description",
            "body",
            "owner_kind",
            "owner_state",
            "assignees",
            "due_date",
            "priority",
            "status",
            "is_overdue",
            "task",
            "meeting",
            "agenda_item",
            "decision",
            "completion_note",
            "drop_reason",
            "created_at",
            "closed_at",
            "url",
        ]

    def get_assignees(self, item: ActionItem) -> list[str]:
        return [str(a.person) for a in item.assignments.all()]


class TaskSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body.code")
    lead_states = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    progress = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Per cent of its live action items done."
    )
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "body",
            "framework",
            "framework_line",
            "lead_states",
            "start",
            "end",
            "status",
            "progress",
            "url",
        ]


def _choices(choices: list) -> str:
    return ", ".join(f"`{value}`" for value, _label in choices if value)


FILTERS = [
    OpenApiParameter("body", OpenApiTypes.INT, description="Body id."),
    OpenApiParameter("state", OpenApiTypes.STR, description="Owner member state, ISO alpha-3 (SGP)."),
    OpenApiParameter("owner", OpenApiTypes.STR, description=f"One of {_choices(OWNER_FILTERS)}."),
    OpenApiParameter("status", OpenApiTypes.STR, description=f"One of {_choices(STATUS_FILTERS)}."),
    OpenApiParameter("within", OpenApiTypes.INT, description=f"Due within days: {_choices(WITHIN_CHOICES)}."),
    OpenApiParameter("due_from", OpenApiTypes.DATE, description="Due on or after."),
    OpenApiParameter("due_to", OpenApiTypes.DATE, description="Due on or before."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only open items past their due date."),
    OpenApiParameter("sort", OpenApiTypes.STR, description=f"One of {', '.join(f'`{k}`' for k in SORTS)}."),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class ActionItemViewSet(viewsets.ReadOnlyModelViewSet):
    """Action items the signed-in user may see, with the filters of /action-items/."""

    serializer_class = ActionItemSerializer

    def get_queryset(self):  # type: ignore[override]
        items = rules.visible_action_items(self.request.user)
        if self.action == "list":
            items = ActionItemFilter(self.request.query_params, user=self.request.user).apply(items)
        return items.select_related("body", "owner_state").prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("person").order_by("pk"))
        )


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """Tasks of the work plans the signed-in user may see."""

    serializer_class = TaskSerializer

    def get_queryset(self):  # type: ignore[override]
        return (
            rules.visible_tasks(self.request.user)
            .with_progress()
            .select_related("body")
            .prefetch_related(Prefetch("lead_states", queryset=MemberState.objects.order_by("code")))
            .order_by("body__code", "start", "pk")
        )
