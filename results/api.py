"""HTTP API of game records: a finished game's results as JSON (paged on request), CSV or .xlsx, host only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import renderers, serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from realtime.throttles import PinGuessThrottle, pin_missed

from .exports import XLSX_MEDIA_TYPE, csv_bytes, error_workbook, results_workbook
from .models import Game, GameWorkbook
from .reports import CSV_FIELDS, game_results_grid, game_results_rows
from .selectors import game_by_pin, game_results
from .workbooks import workbook_kept, workbook_request

LIMIT_MAX = 1000  # players per page of the JSON standings
PAGE_SIZE = 100  # with ?page= and no ?limit=
FALSE = ("0", "false", "no")


def _error_text(data: Any) -> str:
    return str(data.get("detail", data) if isinstance(data, dict) else data)


class CSVRenderer(renderers.BaseRenderer):
    """`{"rows": [...]}` (every answer, CSV_FIELDS) or `{"header": [...], "grid": [...]}`; UTF-8, BOM."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, dict) and "rows" in data:
            return csv_bytes(CSV_FIELDS, ([row[f] for f in CSV_FIELDS] for row in data["rows"]))
        if isinstance(data, dict) and "grid" in data:
            return csv_bytes(data["header"], data["grid"])
        return csv_bytes(["error"], [[_error_text(data)]])


class XLSXRenderer(renderers.BaseRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, dict) and isinstance(data.get("xlsx"), bytes):
            return data["xlsx"]
        return error_workbook(_error_text(data))


def _number(request: Request, name: str, minimum: int, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: "Must be a whole number."}) from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValidationError({name: f"Must be {bound}."})
    return value


def _paging(request: Request) -> tuple[int | None, int]:
    """(limit, offset) from `?limit=&offset=` or `?page=` (1-based, `limit` or 100 players a page)."""
    limit = _number(request, "limit", 1, LIMIT_MAX)
    offset = _number(request, "offset", 0)
    page = _number(request, "page", 1)
    if page is not None:
        if offset is not None:
            raise ValidationError({"page": "Give page or offset, not both."})
        limit = limit or PAGE_SIZE
        offset = (page - 1) * limit
    return limit, offset or 0


class GameNotFinished(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The game has not finished yet."
    default_code = "not_finished"


class GameExpired(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "The game was left unfinished until it expired: it has no results."
    default_code = "expired"


def finished_game(request: Request, pin: str) -> Game:
    """The requesting host's game with this PIN, once finished: else 404 (counted as a PIN miss), 409, or
    410 for a game that expired unfinished."""
    game = game_by_pin(pin, host=request.user, live_first=False)
    if game is None:
        pin_missed(request)
        raise Http404("No game with that PIN.")
    if game.status == Game.Status.EXPIRED:
        raise GameExpired()
    if game.status != Game.Status.FINISHED:
        raise GameNotFinished()
    return game


WorkbookState = inline_serializer(
    "GameWorkbook",
    {
        "state": serializers.ChoiceField(choices=["none", *GameWorkbook.State.values]),
        "rows_done": serializers.IntegerField(),
        "rows_total": serializers.IntegerField(),
        "url": serializers.CharField(allow_null=True, help_text="The .xlsx, once ready."),
    },
)


class GameResultsView(APIView):
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    throttle_classes = [PinGuessThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"], required=False),
            OpenApiParameter(
                "layout",
                str,
                enum=["answers", "grid"],
                required=False,
                description="CSV only: one row per answer (default) or one row per player and "
                "three columns per question asked.",
            ),
            OpenApiParameter(
                "limit", int, required=False, description=f"JSON: players a page, 1-{LIMIT_MAX}."
            ),
            OpenApiParameter("offset", int, required=False, description="JSON: players to skip."),
            OpenApiParameter("page", int, required=False, description=f"JSON: page (limit or {PAGE_SIZE})."),
            OpenApiParameter(
                "answers", str, enum=["1", "0"], required=False, description="JSON: 0 leaves out the answers."
            ),
        ],
        responses={
            200: inline_serializer(
                "GameResults",
                {
                    "pin": serializers.CharField(),
                    "players_total": serializers.IntegerField(),
                    "offset": serializers.IntegerField(),
                    "limit": serializers.IntegerField(allow_null=True),
                    "next": serializers.CharField(allow_null=True),
                    "standings": serializers.ListField(),
                    "questions": serializers.ListField(),
                },
            ),
            202: WorkbookState,
        },
        summary="Final standings and every answer (host only)",
    )
    def get(self, request: Request, pin: str) -> Response:
        game = finished_game(request, pin)
        fmt = request.accepted_renderer.format
        if fmt == "csv":
            results = game_results(game)
            if request.query_params.get("layout") == "grid":
                header, grid = game_results_grid(results)
                return _attachment(Response({"header": header, "grid": grid}), f"quizzone-{pin}-grid.csv")
            rows = game_results_rows(results)
            return _attachment(Response({"rows": rows}), f"quizzone-{pin}-results.csv")
        if fmt == "xlsx":
            return self._xlsx(request, game)
        limit, offset = _paging(request)
        answers = request.query_params.get("answers", "1").lower() not in FALSE
        results = game_results(game, limit=limit, offset=offset, answers=answers)
        results["next"] = None
        if limit is not None and offset + limit < results["players_total"]:
            query = request.query_params.copy()
            query.pop("page", None)
            query["limit"], query["offset"] = str(limit), str(offset + limit)
            results["next"] = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response(results)

    def _xlsx(self, request: Request, game: Game) -> HttpResponse:
        """The workbook a Celery task built (POST .../workbook/); else built now for a game of up to
        QUIZZONE_WORKBOOK_INLINE_PLAYERS, or started off the request for a larger one: 202 with the build's
        state, `Location` to follow it and `Retry-After`."""
        kept = workbook_kept(game, get_language())
        if kept is None and game.players.count() > settings.QUIZZONE_WORKBOOK_INLINE_PLAYERS:
            workbook = workbook_request(game, get_language())
            if workbook.state == GameWorkbook.State.READY:  # finished between the two reads
                return self._xlsx(request, game)
            follow = reverse("game-workbook", args=[game.pin])
            response = JsonResponse(
                workbook_state(request, game.pin, workbook), status=status.HTTP_202_ACCEPTED
            )
            response["Location"], response["Retry-After"] = request.build_absolute_uri(follow), "2"
            return response
        workbook = kept or results_workbook(game_results(game))
        return _attachment(Response({"xlsx": workbook}), f"quizzone-{game.pin}-results.xlsx")


def workbook_state(request: Request, pin: str, workbook: GameWorkbook | None) -> dict[str, Any]:
    ready = workbook is not None and workbook.state == GameWorkbook.State.READY
    url = reverse("game-results", args=[pin]) + "?format=xlsx"
    return {
        "state": workbook.state if workbook else "none",
        "rows_done": workbook.rows_done if workbook else 0,
        "rows_total": workbook.rows_total if workbook else 0,
        "url": request.build_absolute_uri(url) if ready else None,
    }


class GameWorkbookView(APIView):
    """A finished game's .xlsx built off the request, with its progress: POST starts it (or finds it),
    GET tells how far it is; when `state` is `ready`, `url` downloads it."""

    throttle_classes = [PinGuessThrottle]

    @extend_schema(responses={200: WorkbookState}, summary="How far the game's .xlsx is (host only)")
    def get(self, request: Request, pin: str) -> Response:
        game = finished_game(request, pin)
        workbook = GameWorkbook.objects.filter(game=game, language=get_language()).defer("content").first()
        return Response(workbook_state(request, pin, workbook))

    @extend_schema(
        request=None,
        responses={200: WorkbookState, 202: WorkbookState},
        summary="Build the game's .xlsx off the request (host only)",
    )
    def post(self, request: Request, pin: str) -> Response:
        game = finished_game(request, pin)
        workbook = workbook_request(game, get_language())
        body = workbook_state(request, pin, workbook)
        ready = workbook.state == GameWorkbook.State.READY
        return Response(body, status=status.HTTP_200_OK if ready else status.HTTP_202_ACCEPTED)


def _attachment(response: Response, filename: str) -> Response:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
