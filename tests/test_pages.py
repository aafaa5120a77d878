"""The browser pages through Django's test client: rendering in English and Korean, access, QR, results."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from quizzes.models import Quiz
from results.models import Game, GameAnswer, GamePlayer
from rooms.qr import qr_svg_document
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind

pytestmark = pytest.mark.django_db

KOREAN = {"HTTP_ACCEPT_LANGUAGE": "ko"}


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_json(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


def finished_game(quiz: Quiz, host: User, pin: str = "654321") -> Game:
    game = Game.objects.create(pin=pin, quiz=quiz, host=host, status=Game.Status.FINISHED)
    ann = GamePlayer.objects.create(game=game, player_id="p1", nickname="ann", score=1900, rank=1)
    bob = GamePlayer.objects.create(game=game, player_id="p2", nickname="bob", score=0, rank=2)
    first = quiz.questions.order_by("order", "id").first()
    for player, correct, points in ((ann, True, 950), (bob, False, 0)):
        GameAnswer.objects.create(
            game=game,
            player=player,
            round=1,
            question=first,
            answer={"choice": 1},
            answered_at_ms=1_000,
            response_ms=900,
            correct=correct,
            points=points,
        )
    return game


# --- public pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "english", "korean"),
    [
        ("/", "Play a live quiz together", "함께 실시간 퀴즈를 즐기세요"),
        ("/join/", "Join a game", "게임 참가"),
        ("/login/", "Host log in", "호스트 로그인"),
    ],
)
def test_public_pages_render_in_english_and_korean(client: Client, url: str, english: str, korean: str):
    response = client.get(url)
    assert response.status_code == 200
    assert english in response.content.decode()
    assert '<html lang="en">' in response.content.decode()
    response = client.get(url, **KOREAN)
    html = response.content.decode()
    assert korean in html
    assert '<html lang="ko">' in html


def test_language_switch_posts_to_setlang_and_sticks(client: Client):
    html = client.get("/join/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/join/"})
    assert response.status_code == 302
    assert response["Location"] == "/join/"
    assert "게임 참가" in client.get("/join/").content.decode()


def test_script_strings_are_translated(client: Client):
    english = page_json(client.get("/join/").content.decode(), "qz-strings")
    korean = page_json(client.get("/join/", **KOREAN).content.decode(), "qz-strings")
    assert english["reconnecting"] == "Reconnecting…"
    assert korean["reconnecting"] == "다시 연결하는 중…"
    assert set(english) == set(korean)
    same_in_both = {"slider_answer"}  # "{value} (± {tolerance})" has no words
    assert {key for key in english if english[key] == korean[key]} == same_in_both


def test_join_page_prefills_a_valid_pin_only(client: Client):
    assert 'value="123456"' in client.get("/join/?pin=123456").content.decode()
    for bad in ("12345", "abcdef", '"><script>alert(1)</script>'):
        html = client.get("/join/", {"pin": bad}).content.decode()
        assert 'id="pin"' in html
        assert "<script>alert(1)" not in html
        assert re.search(r'id="pin"[^>]*value=""', html, re.S)


def test_join_qr_is_an_svg_of_the_join_url(client: Client):
    response = client.get("/join/123456/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content == qr_svg_document("http://testserver/join/?pin=123456", "Join game 123456")
    assert b"<svg" in response.content
    assert client.get("/join/12x456/qr.svg").status_code == 404


def test_play_page_for_an_unknown_pin_says_so(client: Client):
    response = client.get("/play/000000/")
    assert response.status_code == 404
    assert "There is no game with PIN 000000." in response.content.decode()
    assert page_json(response.content.decode(), "qz-config")["unknown"] is True


def test_play_page_for_a_live_game(client: Client):
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    response = client.get(f"/play/{game.pin}/", **KOREAN)
    assert response.status_code == 200
    html = response.content.decode()
    assert page_json(html, "qz-config") == {"pin": game.pin, "unknown": False, "chat": True}
    assert "닉네임" in html
    assert 'role="status"' in html and 'aria-live="polite"' in html


def test_static_files_are_served_without_a_web_server(client: Client):
    response = client.get("/static/js/socket.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert b"export class GameSocket" in body
    assert client.get("/static/js/nope.js").status_code == 404


# --- host pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/host/", "/host/123456/", "/host/123456/results/"])
def test_host_pages_need_a_login(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_page_logs_the_host_in(client: Client):
    host_make("hostess", "pw-hostess-1")
    response = client.post("/login/", {"username": "hostess", "password": "pw-hostess-1"})
    assert response.status_code == 302
    assert response["Location"] == "/host/"


def test_my_quizzes_lists_only_mine_with_start_and_edit(client: Client):
    me, other = host_make("me"), host_make("other")
    mine = quiz_every_kind(me)
    theirs = Quiz.objects.create(owner=other, title="Not mine")
    html = logged_in(me).get("/host/").content.decode()
    assert mine.title in html
    assert theirs.title not in html
    assert f'data-start-quiz="{mine.id}"' in html
    assert reverse("quiz-edit", args=[mine.id]) in html
    assert reverse("quiz-new") in html
    assert "6 questions" in html


def test_my_quizzes_in_korean(client: Client):
    me = host_make("me")
    quiz_every_kind(me)
    html = logged_in(me).get("/host/", **KOREAN).content.decode()
    assert "내 퀴즈" in html and "게임 시작" in html and "문제 6개" in html


def test_host_console_for_the_host_only(client: Client):
    host, stranger = host_make("host"), host_make("stranger")
    game = game_create(quiz=quiz_every_kind(host), host=host)
    response = logged_in(host).get(f"/host/{game.pin}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="pin-big" id="pin"' in html and f">{game.pin}</p>" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox=' in html
    assert f"http://testserver/join/?pin={game.pin}" in html
    assert page_json(html, "qz-config")["results_url"] == f"/host/{game.pin}/results/"
    for control in ("btn-start", "btn-skip", "btn-next", "btn-lock", "btn-end"):
        assert f'id="{control}"' in html
    assert logged_in(stranger).get(f"/host/{game.pin}/").status_code == 404
    assert "게임 PIN" in logged_in(host).get(f"/host/{game.pin}/", **KOREAN).content.decode()


def test_results_page_for_the_host_only(client: Client):
    host, stranger = host_make("host"), host_make("stranger")
    game = finished_game(quiz_every_kind(host), host)
    response = logged_in(host).get(f"/host/{game.pin}/results/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/api/games/{game.pin}/results/?format=csv"' in html
    assert re.search(r"#1</td>\s*<td>ann</td>\s*<td class=\"num\">1900", html)
    assert 'data-answered="2">2<' in html and 'data-correct="1">1<' in html
    assert "50%" in html
    assert logged_in(stranger).get(f"/host/{game.pin}/results/").status_code == 404
    assert "최종 순위" in logged_in(host).get(f"/host/{game.pin}/results/", **KOREAN).content.decode()


def test_results_page_of_a_running_game_says_not_finished(client: Client):
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    html = logged_in(host).get(f"/host/{game.pin}/results/").content.decode()
    assert "This game has not finished yet." in html
    assert "format=csv" not in html
