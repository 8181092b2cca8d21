"""API of the base layer: the bodies a user can see, with their current members."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from . import rules
from .models import Body, Membership


class MembershipSerializer(serializers.ModelSerializer):
    person = serializers.CharField(source="person.display_name")
    member_state = serializers.CharField(source="member_state.code", allow_null=True, default=None)

    class Meta:
        model = Membership
        fields = ["id", "person", "member_state", "role", "start", "end"]


class BodySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)

    class Meta:
        model = Body
        fields = ["id", "code", "name", "description", "parent", "is_active"]


class BodyViewSet(viewsets.ReadOnlyModelViewSet):
    """Bodies the signed-in user may see (404 for the others)."""

    serializer_class = BodySerializer

    def get_queryset(self):  # type: ignore[override]
        return rules.visible_bodies(self.request.user).select_related("parent").order_by("code")
