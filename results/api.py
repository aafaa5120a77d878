"""HTTP API of game records: a finished game's results, as JSON or CSV (host only)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime.throttles import PinGuessThrottle, pin_missed

from .models import Game
from .selectors import CSV_FIELDS, game_by_pin, game_results, game_results_rows


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        out = io.StringIO()
        if isinstance(data, dict) and "rows" in data:
            writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
            writer.writeheader()
            writer.writerows(data["rows"])
        else:
            detail = data.get("detail", data) if isinstance(data, dict) else data
            csv.writer(out).writerows([["error"], [str(detail)]])
        return out.getvalue().encode()


class GameResultsView(APIView):
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]
    throttle_classes = [PinGuessThrottle]

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
        game = game_by_pin(pin, host=request.user, live_first=False)
        if game is None:
            pin_missed(request)
            raise Http404("No game with that PIN.")
        if game.status != Game.Status.FINISHED:
            return Response({"detail": "The game has not finished yet."}, status=status.HTTP_409_CONFLICT)
        results = game_results(game)
        if request.accepted_renderer.format == "csv":
            response = Response({"rows": game_results_rows(results)})
            response["Content-Disposition"] = f'attachment; filename="quizzone-{pin}-results.csv"'
            return response
        return Response(results)
