"""Browser pages: host login, "My quizzes", host console, join and play pages (results: results.pages).

The live parts run in the browser (static/js/*.js) over the WebSocket protocol; these views render the
shells, the QR code and the results, and hand the scripts a small config and string catalogue.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quizzes.models import Quiz
from realtime import limits, network
from results.models import Game
from results.permissions import host_required
from results.selectors import game_by_pin

from .control_strings import CONTROL_JS_STRINGS
from .qr import qr_svg, qr_svg_document
from .rejoin_strings import REJOIN_JS_STRINGS

PIN_RE = re.compile(r"^\d{6}$")
AUTO_ADVANCE_PAUSES_S = (3, 5, 10, 20, 30)  # within the machine's ADVANCE_MIN_MS..ADVANCE_MAX_MS

# Strings the scripts show, translated on the server and rendered into the page as JSON.
JS_STRINGS: dict[str, Any] = {
    **REJOIN_JS_STRINGS,
    **CONTROL_JS_STRINGS,
    "reconnecting": gettext_lazy("Reconnecting…"),
    "unknown_pin": gettext_lazy("There is no game with PIN {pin}."),
    "game_over_pin": gettext_lazy("The game {pin} has ended."),
    "game_started": gettext_lazy("This game has already started."),
    "game_locked": gettext_lazy("The host has locked this game."),
    "nickname_taken": gettext_lazy("That nickname is taken. Pick another one."),
    "nickname_invalid": gettext_lazy("A nickname is 1 to 24 characters."),
    "pin_invalid": gettext_lazy("A PIN is 6 digits."),
    "session_expired": gettext_lazy("Your place in the game was lost. Join again."),
    "network_error": gettext_lazy("Cannot reach the server. Check your connection."),
    "kicked": gettext_lazy("The host removed you from the game."),
    "error": gettext_lazy("Error: {message}"),
    "players": gettext_lazy("Players: {n}"),
    "round_of": gettext_lazy("Question {round} of {total}"),
    "seconds": gettext_lazy("{n} s"),
    "seconds_left": gettext_lazy("{n} seconds left"),
    "time_up": gettext_lazy("Time's up!"),
    "true": gettext_lazy("True"),
    "false": gettext_lazy("False"),
    "submit": gettext_lazy("Submit"),
    "type_answer": gettext_lazy("Your answer"),
    "slider_value": gettext_lazy("Your guess"),
    "pick_one": gettext_lazy("Pick at least one answer."),
    "answer_sent": gettext_lazy("Answer sent! Waiting for the others…"),
    "answer_late": gettext_lazy("Too late: time was up."),
    "answer_refused": gettext_lazy("Your answer was not accepted."),
    "waiting_result": gettext_lazy("Time's up! Waiting for your result…"),
    "correct": gettext_lazy("Correct!"),
    "wrong": gettext_lazy("Wrong"),
    "no_answer": gettext_lazy("No answer this time"),
    "points": gettext_lazy("+{points} points"),
    "streak": gettext_lazy("Streak: {n}"),
    "score": gettext_lazy("Score: {score}"),
    "rank": gettext_lazy("You are #{rank} of {players}"),
    "thanks_vote": gettext_lazy("Thanks for voting!"),
    "correct_answer": gettext_lazy("Correct answer: {answer}"),
    "slider_answer": gettext_lazy("{value} (± {tolerance})"),
    "get_ready": gettext_lazy("Get ready for the next question…"),
    "final": gettext_lazy("You finished #{rank} of {players} with {score} points."),
    "final_short": gettext_lazy("You finished #{rank} with {score} points."),
    "answered": gettext_lazy("{answered} of {players} answered"),
    "no_players": gettext_lazy("Waiting for players to join…"),
    "show_more": gettext_lazy("Show more ({shown} of {total})"),
    "kick": gettext_lazy("Kick"),
    "kick_label": gettext_lazy("Remove {nickname} from the game"),
    "removed": gettext_lazy("{nickname} was removed."),
    "lock": gettext_lazy("Lock joining"),
    "unlock": gettext_lazy("Unlock joining"),
    "reason_all_answered": gettext_lazy("Everyone answered."),
    "reason_timeout": gettext_lazy("Time ran out."),
    "reason_skip": gettext_lazy("Skipped by the host."),
    "round_closed": gettext_lazy("Question {round} is closed."),
    "host_login": gettext_lazy("Log in as the game's host to drive it."),
    "host_forbidden": gettext_lazy("Only the game's host may drive this game."),
    "chat_offline": gettext_lazy("Chat is offline; retrying…"),
    "chat_rate_limited": gettext_lazy("Slow down: too many messages."),
    "chat_too_long": gettext_lazy("A message is 1 to 500 characters."),
    "chat_muted": gettext_lazy("The host has muted you."),
    "chat_delete": gettext_lazy("Delete"),
    "chat_mute": gettext_lazy("Mute"),
    "chat_unmute": gettext_lazy("Unmute"),
    "chat_read_only": gettext_lazy("The game is over; the chat is read-only."),
    "chat_host": gettext_lazy("host"),
    "start_failed": gettext_lazy("Could not start the game: {message}"),
    "question_image": gettext_lazy("Picture for this question"),
    "explanation": gettext_lazy("Explanation:"),
}


def _js_strings() -> dict[str, str]:
    return {key: str(text) for key, text in JS_STRINGS.items()}


def _join_url(request: HttpRequest, pin: str) -> str:
    """The address phones reach (settings.PUBLIC_URL: classroom mode), else the one this browser used."""
    base = settings.PUBLIC_URL or f"{request.scheme}://{request.get_host()}"
    return f"{base}{reverse('join')}?pin={pin}"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/home.html")


class LoginPage(auth_views.LoginView):
    template_name = "pages/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("host-quizzes")


logout_page = auth_views.LogoutView.as_view(next_page=reverse_lazy("home"))


@host_required
def host_quizzes(request: HttpRequest) -> HttpResponse:
    quizzes = Quiz.objects.filter(owner=request.user).annotate(question_count=Count("questions"))
    games = Game.objects.filter(host=request.user).select_related("quiz").order_by("-created_at")[:10]
    context = {"quizzes": quizzes, "games": games, "js_strings": _js_strings()}
    return render(request, "pages/quizzes.html", context)


@host_required
def host_console(request: HttpRequest, pin: str) -> HttpResponse:
    game = game_by_pin(pin, host=request.user)
    if game is None:
        raise Http404(_("No game with that PIN."))
    if game.status == Game.Status.EXPIRED:  # nothing left to drive: its page says so
        return redirect("host-results", pin=pin)
    join_url = _join_url(request, pin)
    # no public URL and a browser on this machine: phones cannot open the link, so the page says how
    join_local = not settings.PUBLIC_URL and network.is_loopback(urlsplit(join_url).hostname or "")
    config = {
        "pin": pin,
        "results_url": reverse("host-results", args=[pin]),
        "chat": True,
    }
    context = {
        "game": game,
        "pin": pin,
        "join_url": join_url,
        "join_local": join_local,
        "qr": qr_svg(join_url, _("Join game {pin}").format(pin=pin)),
        "config": config,
        "js_strings": _js_strings(),
        "auto_delays": AUTO_ADVANCE_PAUSES_S,
    }
    return render(request, "pages/host.html", context)


def join_qr(request: HttpRequest, pin: str) -> HttpResponse:
    if not PIN_RE.match(pin):
        raise Http404(_("No game with that PIN."))
    svg = qr_svg_document(_join_url(request, pin), _("Join game {pin}").format(pin=pin))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def join(request: HttpRequest) -> HttpResponse:
    pin = request.GET.get("pin", "").strip()
    context = {"pin": pin if PIN_RE.match(pin) else "", "js_strings": _js_strings()}
    return render(request, "pages/join.html", context)


def play(request: HttpRequest, pin: str) -> HttpResponse:
    address = limits.request_address(request.META)
    if wait_ms := limits.pin_guesses_blocked(address):
        response = HttpResponse(_("Too many wrong PINs. Try again in a minute."), status=429)
        response["Retry-After"] = str(max(1, wait_ms // 1000))
        return response
    game = game_by_pin(pin) if PIN_RE.match(pin) else None
    if game is None:
        limits.pin_miss_sync(address)
    context = {
        "pin": pin,
        "game": game,
        "config": {"pin": pin, "unknown": game is None, "chat": True},
        "js_strings": _js_strings(),
    }
    return render(request, "pages/play.html", context, status=200 if game else 404)
