from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import Body, Invitation, Membership, MemberState, Message, Notification, User


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    ordering = ["display_name"]
    list_display = ["display_name", "email", "member_state", "is_active"]
    list_filter = ["is_active", "member_state", "groups"]
    search_fields = ["display_name", "email"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["display_name", "member_state", "time_zone", "organisation"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]})]


@admin.register(MemberState)
class MemberStateAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "time_zone"]


@admin.register(Body)
class BodyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "parent", "is_active"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["person", "body", "member_state", "role", "start", "end"]
    list_filter = ["body", "role", "member_state"]


@admin.register(Invitation)
class InvitationAdmin(SimpleHistoryAdmin):
    list_display = ["email", "body", "role", "member_state", "created_at", "accepted_at", "revoked_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "address", "occurrence", "due_at", "status"]
    list_filter = ["status", "kind"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject_line", "address", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    readonly_fields = ["last_error"]


# The document register's admin (read only) lives with it.
from .documents import admin as documents_admin  # noqa: E402, F401
