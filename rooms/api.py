"""HTTP API of live games: create one, look one up by PIN, and the gateway to a worker."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.models import Quiz
from realtime import network
from realtime.gateway import fallback_base, gateway_choice
from realtime.throttles import GameCreateThrottle, PinGuessThrottle, pin_missed
from results.selectors import game_by_pin

from . import selectors, services


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
    late_join = serializers.BooleanField(required=False)


def _urls(request: Request, pin: str) -> dict[str, str]:
    """Addresses phones reach: settings.PUBLIC_URL (classroom mode) when set, else the request's host."""
    base = settings.PUBLIC_URL or f"{request.scheme}://{request.get_host()}"
    ws = network.ws_url(base)
    return {
        "play_ws": f"{ws}/ws/play/{pin}/",
        "host_ws": f"{ws}/ws/host/{pin}/",
        "chat_ws": f"{ws}/ws/chat/{pin}/",
        "join_url": f"{base}/join/?pin={pin}",
    }


class GameCreateView(APIView):
    throttle_classes = [GameCreateThrottle]

    @extend_schema(request=GameCreateInput, responses={201: GameCreated}, summary="Start a game from a quiz")
    def post(self, request: Request) -> Response:
        data = GameCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        quiz = get_object_or_404(Quiz, pk=data.validated_data["quiz"], owner=request.user)
        if not quiz.questions.exists():
            raise serializers.ValidationError({"quiz": ["The quiz has no questions."]})
        game = services.game_create(quiz=quiz, host=request.user)
        body = {"pin": game.pin, "status": game.status, "quiz": quiz.id, **_urls(request, game.pin)}
        return Response(body, status=status.HTTP_201_CREATED)


class GameDetailView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [PinGuessThrottle]

    @extend_schema(responses={200: GamePublic}, summary="Look up a game by PIN")
    def get(self, request: Request, pin: str) -> Response:
        game = game_by_pin(pin)
        if game is None:
            pin_missed(request)
            return Response({"detail": "No game with that PIN."}, status=status.HTTP_404_NOT_FOUND)
        return Response(selectors.game_public(game))


class GatewayView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [PinGuessThrottle]

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
        """Served by realtime.gateway before Django in the workers; here for the schema and test clients."""
        fallback = fallback_base(request.is_secure(), request.get_host())
        choice = async_to_sync(gateway_choice)(request.query_params.get("pin", ""), fallback)
        if choice is None:
            pin_missed(request)
            return Response({"detail": "No game with that PIN."}, status=status.HTTP_404_NOT_FOUND)
        return Response(choice)
