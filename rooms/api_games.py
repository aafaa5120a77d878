"""HTTP API of games: create, look up, results (JSON or CSV), gateway."""

from __future__ import annotations

import csv
import io
import socket
from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzone.workers import worker_pick, workers_live

from . import game_records, game_selectors
from .models import Game, Quiz


class GameCreateInput(serializers.Serializer):
    quiz = serializers.IntegerField()


class GameCreated(serializers.Serializer):
    pin = serializers.CharField()
    status = serializers.CharField()
    quiz = serializers.IntegerField()
    play_ws = serializers.CharField()
    host_ws = serializers.CharField()
    chat_ws = serializers.CharField()
    join_url = serializers.CharField()


class GamePublic(serializers.Serializer):
    pin = serializers.CharField()
    status = serializers.CharField()
    quiz_title = serializers.CharField()
    players = serializers.IntegerField()
    phase = serializers.CharField(required=False)
    round = serializers.IntegerField(required=False)
    total_rounds = serializers.IntegerField(required=False)
    locked = serializers.BooleanField(required=False)


def _urls(request: Request, pin: str) -> dict[str, str]:
    host = request.get_host()
    ws = "wss" if request.is_secure() else "ws"
    return {
        "play_ws": f"{ws}://{host}/ws/play/{pin}/",
        "host_ws": f"{ws}://{host}/ws/host/{pin}/",
        "chat_ws": f"{ws}://{host}/ws/chat/{pin}/",
        "join_url": f"{request.scheme}://{host}/join/?pin={pin}",
    }


class GameCreateView(APIView):
    @extend_schema(request=GameCreateInput, responses={201: GameCreated}, summary="Start a game from a quiz")
    def post(self, request: Request) -> Response:
        data = GameCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        quiz = get_object_or_404(Quiz, pk=data.validated_data["quiz"], owner=request.user)
        if not quiz.questions.exists():
            raise serializers.ValidationError({"quiz": ["The quiz has no questions."]})
        game = game_records.game_create(quiz=quiz, host=request.user)
        body = {"pin": game.pin, "status": game.status, "quiz": quiz.id, **_urls(request, game.pin)}
        return Response(body, status=status.HTTP_201_CREATED)


class GameDetailView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: GamePublic}, summary="Look up a game by PIN")
    def get(self, request: Request, pin: str) -> Response:
        game = game_selectors.game_live_get(pin)
        if game is None:
            return Response({"detail": "No game with that PIN."}, status=status.HTTP_404_NOT_FOUND)
        return Response(game_selectors.game_public(game))


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        out = io.StringIO()
        if isinstance(data, dict) and "rows" in data:
            writer = csv.DictWriter(out, fieldnames=game_selectors.CSV_FIELDS)
            writer.writeheader()
            writer.writerows(data["rows"])
        else:
            out.write(f"error\n{data}\n")
        return out.getvalue().encode()


class GameResultsView(APIView):
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], required=False)],
        responses={
            200: inline_serializer(
                "GameResults",
                {
                    "pin": serializers.CharField(),
                    "standings": serializers.ListField(),
                    "questions": serializers.ListField(),
                },
            )
        },
        summary="Final standings and every answer (host only)",
    )
    def get(self, request: Request, pin: str) -> Response:
        game = get_object_or_404(Game.objects.select_related("quiz"), pk=_game_pk(pin, request.user))
        if game.status != Game.Status.FINISHED:
            return Response({"detail": "The game has not finished yet."}, status=status.HTTP_409_CONFLICT)
        results = game_selectors.game_results(game)
        if request.accepted_renderer.format == "csv":
            response = Response({"rows": game_selectors.game_results_rows(results)})
            response["Content-Disposition"] = f'attachment; filename="quizzone-{pin}-results.csv"'
            return response
        return Response(results)


def _game_pk(pin: str, user: Any) -> int | None:
    games = Game.objects.filter(pin=pin)
    if not user.is_superuser:
        games = games.filter(host=user)
    return games.order_by("-created_at").values_list("pk", flat=True).first()


class GatewayView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        parameters=[OpenApiParameter("pin", str, required=True)],
        responses={
            200: inline_serializer(
                "Gateway", {"url": serializers.CharField(), "worker": serializers.CharField()}
            )
        },
        summary="The WebSocket URL a player should connect to",
    )
    def get(self, request: Request) -> Response:
        pin = request.query_params.get("pin", "")
        if game_selectors.game_live_get(pin) is None:
            return Response({"detail": "No game with that PIN."}, status=status.HTTP_404_NOT_FOUND)
        chosen = worker_pick(workers_live())
        if chosen is None:  # no registered worker (e.g. plain daphne): the one that answered
            worker = settings.WORKER_ID or socket.gethostname()
            return Response({"url": _urls(request, pin)["play_ws"], "worker": worker})
        return Response({"url": f"{chosen.url}/ws/play/{pin}/", "worker": chosen.id})
