"""API of the document register: documents with their versions, circulations and answers.

Same access rules as the pages (`rules`): a document or circulation the user may
not see answers 404. Files are downloaded from the page's permission-checked URL
given in each version's `download_url` (the opening is recorded there).
Answers and acknowledgements go through the same services as the forms.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from secretariat.models import MemberState

from . import rules, services
from .models import (
    Circulation,
    CirculationAnswer,
    CirculationState,
    CirculationStatus,
    Classification,
    Document,
    DocumentVersion,
    Position,
)
from .search import search_documents


class VersionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="Rev.1, Rev.2, Corr.1, Add.1.")
    uploaded_by = serializers.CharField(source="uploaded_by.display_name", read_only=True)
    download_url = serializers.CharField(source="get_download_url", read_only=True)

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "label",
            "kind",
            "number",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "note",
            "uploaded_at",
            "uploaded_by",
            "download_url",
        ]


class DocumentSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body.code", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Document
        fields = ["id", "symbol", "title", "description", "body", "classification", "created_at", "url", "versions"]


class AnswerSerializer(serializers.ModelSerializer):
    member_state = serializers.CharField(source="member_state.code", read_only=True)
    answered_by = serializers.CharField(source="answered_by.display_name", read_only=True)

    class Meta:
        model = CirculationAnswer
        fields = ["member_state", "position", "text", "answered_by", "answered_at"]


class CirculationSerializer(serializers.ModelSerializer):
    document = serializers.IntegerField(source="version.document_id", read_only=True)
    version = serializers.IntegerField(source="version_id", read_only=True)
    symbol = serializers.CharField(source="version.full_symbol", read_only=True)
    states = serializers.SerializerMethodField(help_text="Member states asked to answer (ISO alpha-3).")
    answers = AnswerSerializer(many=True, read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Circulation
        fields = [
            "id",
            "document",
            "version",
            "symbol",
            "mode",
            "status",
            "deadline",
            "addressed_to",
            "message",
            "states",
            "answers",
            "created_at",
            "decided_at",
            "outcome_note",
            "url",
        ]

    def get_states(self, circulation: Circulation) -> list[str]:
        return [row.member_state.code for row in circulation.state_rows.all()]


class AnswerInputSerializer(serializers.Serializer):
    member_state = serializers.SlugRelatedField(
        slug_field="code", queryset=MemberState.objects.all(), help_text="ISO 3166 alpha-3 code of your delegation."
    )
    position = serializers.ChoiceField(choices=Position.choices)
    text = serializers.CharField(
        max_length=10000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for an objection, a reservation, an explanation of position and comments.",
    )


class AcknowledgementSerializer(serializers.Serializer):
    acknowledged_at = serializers.DateTimeField(read_only=True)


class DocumentFilterSerializer(serializers.Serializer):
    """The list's query parameters, checked (a NUL byte or an unknown value answers 400)."""

    body = serializers.CharField(required=False, max_length=20)
    classification = serializers.ChoiceField(choices=Classification.choices, required=False)
    q = serializers.CharField(required=False, max_length=200, allow_blank=True)


class CirculationFilterSerializer(serializers.Serializer):
    document = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=CirculationStatus.choices, required=False)


def _filters(serializer_class: type[serializers.Serializer], params: object) -> dict:
    checked = serializer_class(data=params)
    checked.is_valid(raise_exception=True)
    return checked.validated_data


def _drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"non_field_errors": exc.messages})


DOCUMENT_FILTERS = [
    OpenApiParameter("body", OpenApiTypes.STR, description="Owning body's code (WG-AI)."),
    OpenApiParameter("classification", OpenApiTypes.STR, enum=Classification.values),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text search over symbol, title and description."),
]


@extend_schema_view(list=extend_schema(parameters=DOCUMENT_FILTERS))
class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """Documents the signed-in user may read, each with its versions."""

    serializer_class = DocumentSerializer

    def get_queryset(self):  # type: ignore[override]
        documents = (
            rules.visible_documents(self.request.user).select_related("body").order_by("-year", "body__code", "-number")
        )
        if self.action == "list":
            params = _filters(DocumentFilterSerializer, self.request.query_params)
            if params.get("body"):
                documents = documents.filter(body__code=params["body"])
            if params.get("classification"):
                documents = documents.filter(classification=params["classification"])
            if params.get("q", "").strip():
                documents = search_documents(documents, params["q"])
        return documents.prefetch_related(
            Prefetch(
                "versions",
                queryset=DocumentVersion.objects.select_related("uploaded_by", "document").order_by(
                    "uploaded_at", "pk"
                ),
            )
        )


CIRCULATION_FILTERS = [
    OpenApiParameter("document", OpenApiTypes.INT, description="Document id."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=CirculationStatus.values),
]


@extend_schema_view(list=extend_schema(parameters=CIRCULATION_FILTERS))
class CirculationViewSet(viewsets.ReadOnlyModelViewSet):
    """Circulations of the documents the signed-in user may read, with the member states' answers."""

    serializer_class = CirculationSerializer

    def get_queryset(self):  # type: ignore[override]
        circulations = rules.visible_circulations(self.request.user).order_by("-created_at", "-pk")
        if self.action == "list":
            params = _filters(CirculationFilterSerializer, self.request.query_params)
            if params.get("document"):
                circulations = circulations.filter(version__document_id=params["document"])
            if params.get("status"):
                circulations = circulations.filter(status=params["status"])
        return circulations.select_related("version__document").prefetch_related(
            Prefetch("state_rows", queryset=CirculationState.objects.select_related("member_state")),
            Prefetch("answers", queryset=CirculationAnswer.objects.select_related("member_state", "answered_by")),
        )

    @extend_schema(request=AnswerInputSerializer, responses={201: AnswerSerializer})
    @action(detail=True, methods=["post"], url_path="answers", url_name="answer")
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """Answer for your member state; a second answer from the state replaces the first."""
        circulation = self.get_object()
        data = AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answer = services.answer_circulation(circulation, by=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        return Response(AnswerSerializer(answer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AcknowledgementSerializer})
    @action(detail=True, methods=["post"], url_path="acknowledge", url_name="acknowledge")
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge receipt of a document circulated to you for information."""
        circulation = self.get_object()
        try:
            row = services.acknowledge_circulation(circulation, by=request.user)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        return Response(AcknowledgementSerializer(row).data)
