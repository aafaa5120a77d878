"""The host's results page of a game."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Game
from .permissions import host_required
from .selectors import game_by_pin, game_results


@host_required
def host_results(request: HttpRequest, pin: str) -> HttpResponse:
    # The latest game with this PIN, as the CSV endpoint (/api/games/<pin>/results/) picks it.
    game = game_by_pin(pin, host=request.user, live_first=False)
    if game is None:
        raise Http404(_("No game with that PIN."))
    finished = game.status == Game.Status.FINISHED
    results = game_results(game) if finished else None
    if results:
        for question in results["questions"]:
            answered = question["answered"]
            question["correct_pct"] = round(100 * question["correct"] / answered) if answered else 0
    context = {
        "game": game,
        "pin": pin,
        "finished": finished,
        "results": results,
        "csv_url": reverse("game-results", args=[pin]) + "?format=csv",
    }
    return render(request, "pages/results.html", context)
