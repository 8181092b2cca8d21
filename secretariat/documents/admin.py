"""The register in the Django admin: read only. Every change goes through the services
(checked uploads, never-overwritten files, answers per state), so the admin only looks."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import Circulation, CirculationAnswer, Document, DocumentVersion


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.is_secretariat

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["symbol", "title", "body", "classification", "created_at"]
    list_filter = ["body", "classification"]
    search_fields = ["symbol", "title"]


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdmin):
    list_display = ["document", "kind", "number", "original_name", "size", "uploaded_at", "uploaded_by"]
    list_select_related = ["document", "uploaded_by"]


@admin.register(Circulation)
class CirculationAdmin(ReadOnlyAdmin):
    list_display = ["version", "mode", "status", "deadline", "created_at"]
    list_filter = ["mode", "status"]
    list_select_related = ["version__document"]


@admin.register(CirculationAnswer)
class CirculationAnswerAdmin(ReadOnlyAdmin):
    list_display = ["circulation", "member_state", "position", "answered_by", "answered_at"]
    list_filter = ["position", "member_state"]
