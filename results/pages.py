"""The host's results page of a game."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Game
from .permissions import host_required
from .selectors import game_by_pin, game_results

STANDINGS_PAGE = 100  # players a page of the standings


def _page(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _with_shares(results: dict) -> None:
    """Adds each question's right share and each choice's share of the votes (percent, for the bars)."""
    for question in results["questions"]:
        answered = question["answered"]
        question["correct_pct"] = round(100 * question["correct"] / answered) if answered else 0
        for choice in question["choices"]:
            choice["pct"] = round(100 * choice["votes"] / answered) if answered else 0


@host_required
def host_results(request: HttpRequest, pin: str) -> HttpResponse:
    # The latest game with this PIN, as the CSV endpoint (/api/games/<pin>/results/) picks it.
    game = game_by_pin(pin, host=request.user, live_first=False)
    if game is None:
        raise Http404(_("No game with that PIN."))
    finished = game.status == Game.Status.FINISHED
    page = _page(request)
    results = None
    if finished:
        offset = (page - 1) * STANDINGS_PAGE
        results = game_results(game, limit=STANDINGS_PAGE, offset=offset, answers=False)
        _with_shares(results)
    api = reverse("game-results", args=[pin])
    total = results["players_total"] if results else 0
    context = {
        "game": game,
        "pin": pin,
        "finished": finished,
        "results": results,
        "csv_url": api + "?format=csv",
        "grid_url": api + "?format=csv&layout=grid",
        "xlsx_url": api + "?format=xlsx",
        "workbook_url": reverse("game-workbook", args=[pin]),
        "js_strings": {
            "workbook_preparing": _("Preparing the workbook: {done} of {total} rows"),
            "workbook_starting": _("Preparing the workbook…"),
            "workbook_failed": _("The workbook could not be prepared. Try again."),
        },
        "page": page,
        "first_shown": (page - 1) * STANDINGS_PAGE + 1,
        "last_shown": min(total, page * STANDINGS_PAGE),
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page * STANDINGS_PAGE < total else None,
    }
    return render(request, "pages/results.html", context)
