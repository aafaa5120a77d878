"""Quiz authoring API: tokens, and each author's own quizzes (another author's quiz is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from realtime.throttles import TokenThrottle
from realtime.tokens import token_expires_at, token_for

from .models import Quiz
from .packages import PACKAGE_MAX, ZIP_TYPE, PackageError, quiz_package, quiz_package_import
from .selectors import quiz_get_for, quiz_list_for
from .serializers import QuizExchangeSerializer, QuizSerializer
from .services import QuizInUseError, quiz_create, quiz_delete, quiz_export, quiz_import, quiz_update

TAG = "quizzes"
QUIZ_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The quiz's id.")


class QuizInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This quiz has been played; its games keep it."
    default_code = "quiz_in_use"


class TokenView(ObtainAuthToken):
    """Trade a username and password for the user's API token (`Authorization: Token <t>`)."""

    authentication_classes = ()  # a login needs no session, and so no CSRF token
    throttle_classes = [TokenThrottle]

    @extend_schema(
        tags=["auth"],
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "AuthToken",
                {
                    "token": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(
                        allow_null=True, help_text="When it stops working; a login then gives a new one."
                    ),
                },
            ),
            400: OpenApiResponse(description="Wrong username or password."),
        },
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = token_for(serializer.validated_data["user"])
        expires_at = token_expires_at(token)
        return Response({"token": token.key, "expires_at": expires_at.isoformat() if expires_at else None})


@extend_schema_view(
    list=extend_schema(tags=[TAG], summary="Your quizzes"),
    retrieve=extend_schema(tags=[TAG], summary="One of your quizzes", parameters=[QUIZ_ID]),
    create=extend_schema(tags=[TAG], summary="Create a quiz", responses={201: QuizSerializer}),
    update=extend_schema(
        tags=[TAG], summary="Replace a quiz, its whole question list included", parameters=[QUIZ_ID]
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Change quiz fields; `questions`, when given, replaces the whole list",
        parameters=[QUIZ_ID],
    ),
    destroy=extend_schema(
        tags=[TAG],
        summary="Delete a quiz",
        parameters=[QUIZ_ID],
        responses={204: None, 409: OpenApiResponse(description="The quiz has games and stays.")},
    ),
)
class QuizViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = QuizSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Quiz]:
        return quiz_list_for(self.request.user)

    def get_object(self) -> Quiz:
        quiz = quiz_get_for(self.request.user, self.kwargs[self.lookup_field])
        if quiz is None:
            raise Http404
        self.check_object_permissions(self.request, quiz)
        return quiz

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quiz = quiz_create(owner=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(quiz).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        quiz = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        quiz = quiz_update(quiz, serializer.validated_data)
        return Response(self.get_serializer(quiz).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        try:
            quiz_delete(self.get_object())
        except QuizInUseError as exc:
            raise QuizInUse from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=[TAG],
        summary="Download the quiz as an import file",
        parameters=[QUIZ_ID],
        responses={200: QuizExchangeSerializer},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer])
    def export(self, request: Request, pk: str) -> Response:
        quiz = self.get_object()
        disposition = f'attachment; filename="quiz-{quiz.pk}.json"'
        return Response(quiz_export(quiz), headers={"Content-Disposition": disposition})

    @extend_schema(
        tags=[TAG],
        summary="Create a quiz from an export file",
        request=QuizExchangeSerializer,
        responses={201: QuizSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_quiz(self, request: Request) -> Response:
        quiz = quiz_import(owner=request.user, data=request.data)
        return Response(self.get_serializer(quiz).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=[TAG],
        summary="Download the quiz with its pictures (.zip: quiz.json and images/<n>.<ext>)",
        parameters=[QUIZ_ID],
        responses={(200, ZIP_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def package(self, request: Request, pk: str) -> HttpResponse:
        quiz = self.get_object()
        response = HttpResponse(quiz_package(quiz), content_type=ZIP_TYPE)
        response["Content-Disposition"] = f'attachment; filename="quiz-{quiz.pk}.zip"'
        return response

    @extend_schema(
        tags=[TAG],
        summary="Create a quiz from a .zip package (multipart, field `file`)",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={
            201: QuizSerializer,
            400: OpenApiResponse(description='`{"file": [problems]}` or quiz.json\'s errors.'),
        },
    )
    @action(detail=False, methods=["post"], url_path="import-package", parser_classes=[MultiPartParser])
    def import_package(self, request: Request) -> Response:
        upload = request.data.get("file")
        if not hasattr(upload, "read"):
            raise ValidationError({"file": ["Send the package as the multipart field `file`."]})
        if upload.size > PACKAGE_MAX:
            raise ValidationError({"file": ["The package is larger than a quiz may hold."]})
        try:
            quiz = quiz_package_import(request.user, upload)
        except PackageError as exc:
            raise ValidationError({"file": exc.problems}) from None
        return Response(self.get_serializer(quiz).data, status=status.HTTP_201_CREATED)
