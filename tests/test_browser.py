"""A whole game through the pages in headless Chromium: one host, three players, real daphne and Celery."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from playwright.sync_api import Browser, Page, WebSocketRoute, expect, sync_playwright

from rooms import actions, store
from rooms.services import game_create
from tests import browser as b
from tests.factories import host_make
from tests.processes import daphne_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-browser-host-1"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def site(django_db_setup, django_db_blocker, process_logs) -> Iterator[str]:
    with django_db_blocker.unblock():
        proc, port = daphne_start("daphne-browser", process_logs)
    with proc:
        yield f"http://127.0.0.1:{port}"


def chat_server_missing() -> str | None:
    from chat.routing import websocket_urlpatterns

    return None if websocket_urlpatterns else "the chat endpoint /ws/chat/<pin>/ is not routed yet"


def test_a_whole_game_in_the_browser(
    site: str, celery_worker: object, subtests: pytest.Subtests, tmp_path: Path
) -> None:
    host_user = host_make("browserhost", PASSWORD)
    quiz = b.quiz_make(host_user, b.THREE_QUESTIONS, "Browser quiz", time_limit=6)
    trouble = b.PageTrouble()
    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        host_context = browser.new_context(**b.DESKTOP, accept_downloads=True)
        host = host_context.new_page()
        b.host_login(host, site, "browserhost", PASSWORD)
        pin = b.host_start_game(host, quiz.id)
        expect(host.locator("#pin")).to_have_text(pin)
        expect(host.locator(".qr-link svg.qr")).to_be_visible()
        assert host.locator(".qr-link").get_attribute("href") == f"{site}/join/?pin={pin}"

        ann, bob, cy = (
            b.player_join(browser.new_context(**b.PHONE), site, pin, n) for n in ("ann", "bob", "cy")
        )
        trouble.watch(host, ann, bob, cy)
        expect(host.locator("#lobby-count")).to_have_text("3")
        expect(host.locator("#players .player-name")).to_have_text(["ann", "bob", "cy"])
        expect(ann.locator("#lobby-count")).to_contain_text("3")
        lock_and_kick_in_the_lobby(browser, site, pin, host)

        with subtests.test(msg="chat"):
            if reason := chat_server_missing():
                pytest.skip(reason)
            expect(ann.locator("#chat")).to_have_attribute("data-ready", "1")
            ann.fill("#chat-input", XSS)
            ann.click(".chat-form button")
            expect(bob.locator(".chat-log .chat-text")).to_have_text([XSS])
            expect(host.locator(".chat-log .chat-text")).to_have_text([XSS])
            assert bob.locator(".chat-log img").count() == 0
            assert trouble.dialogs == []

        host.click("#btn-start")
        round_one(host, ann, bob, cy)
        next_question(host)
        round_two_with_a_reload_and_a_skip(host, ann, bob, cy)
        next_question(host)
        round_three_closed_by_the_timer(host, ann, bob, cy)

        host.click("#btn-next")
        expect(host.locator("#view-leaderboard")).to_be_visible()
        host.click("#btn-next")
        expect(host.locator("#view-finished .podium-name")).to_have_text(["ann", "cy", "bob"])
        expect(ann.locator("#final-text")).to_contain_text("#1 of 3")
        expect(bob.locator("#final-text")).to_contain_text("#3 of 3")
        ann.reload()  # the finished snapshot replays the podium and the final line with its player count
        expect(ann.locator("#final-text")).to_contain_text("#1 of 3")
        expect(ann.locator("#view-final .podium-name")).to_have_text(["ann", "cy", "bob"])

        host.click("#results-link")
        results_check(host, pin, tmp_path)
        assert trouble.dialogs == []
        assert trouble.errors == []
        browser.close()


def lock_and_kick_in_the_lobby(browser: Browser, site: str, pin: str, host: Page) -> None:
    dan = b.player_join(browser.new_context(**b.PHONE), site, pin, "dan")
    expect(host.locator("#lobby-count")).to_have_text("4")
    host.click("#btn-lock")
    expect(host.locator("#btn-lock")).to_have_attribute("aria-pressed", "true")
    expect(dan.locator("#lobby-locked")).to_be_visible()
    late = browser.new_context(**b.PHONE).new_page()
    late.goto(f"{site}/join/?pin=099999")  # no game can have it: PINs start at 100000
    late.fill("#nickname", "eve")
    late.click("#join-form button[type=submit]")
    expect(late.locator("#join-error")).to_have_text("There is no game with PIN 099999.")
    late.fill("#pin", pin)
    late.click("#join-form button[type=submit]")
    expect(late.locator("#join-error")).to_have_text("The host has locked this game.")
    host.click("#btn-lock")
    expect(host.locator("#btn-lock")).to_have_attribute("aria-pressed", "false")
    host.get_by_role("button", name="Remove dan from the game").click()
    host.locator("#players .player[data-nickname='dan'] .kick-yes").click()  # kick asks first
    expect(dan.locator("#message-text")).to_have_text("The host removed you from the game.")
    expect(host.locator("#players .player:not(.is-kicked) .player-name")).to_have_text(["ann", "bob", "cy"])
    expect(host.locator("#lobby-count")).to_have_text("3")


def round_one(host: Page, ann: Page, bob: Page, cy: Page) -> None:
    for page in (host, ann, bob, cy):
        b.wait_question(page, 1)
    expect(host.locator("#q-text")).to_have_text("Capital of France?")
    expect(host.locator("#q-countdown")).to_be_visible()
    expect(ann.locator("#q-countdown .countdown-secs")).to_have_text(re.compile(r"^[1-6] s$"))
    b.click_choice(ann, "Paris")
    expect(ann.locator("#answer-status")).to_have_text("Answer sent! Waiting for the others…")
    expect(host.locator("#q-answered")).to_have_attribute("data-answered", "1")
    b.click_choice(bob, "Lyon")
    b.click_choice(cy, "Paris")
    expect(host.locator("#view-reveal")).to_be_visible()
    expect(host.locator("#reveal-chart .chart-row.is-correct .chart-label")).to_have_text(["Paris✓"])
    expect(host.locator("#reveal-chart .chart-count")).to_have_text(["2", "1", "0"])
    expect(ann.locator("#fb-headline")).to_have_text("Correct!")
    expect(bob.locator("#fb-headline")).to_have_text("Wrong")
    expect(bob.locator("#fb-details")).to_contain_text("Correct answer: Paris")
    assert b.score(ann) > 500 and b.score(bob) == 0
    reloads_during_the_reveal_show_the_same_screens(host, ann, bob)


def reloads_during_the_reveal_show_the_same_screens(host: Page, ann: Page, bob: Page) -> None:
    """The welcome snapshots replay the reveal (and each player's result): a reload redraws them."""
    points = ann.locator("#fb-details li").first.inner_text()
    assert re.fullmatch(r"\+\d+ points", points)
    for page in (host, ann, bob):
        page.reload()
    expect(host.locator("#host-app")).to_have_attribute("data-socket", "open")
    expect(host.locator("#view-reveal")).to_be_visible()
    expect(host.locator("#reveal-title")).to_have_text("Capital of France?")
    expect(host.locator("#reveal-chart .chart-row.is-correct .chart-label")).to_have_text(["Paris✓"])
    expect(host.locator("#reveal-chart .chart-count")).to_have_text(["2", "1", "0"])
    expect(host.locator("#reveal-chart .chart-bar")).to_have_count(3)
    expect(host.locator("#btn-next")).to_be_visible()
    expect(ann.locator("#view-feedback")).to_have_attribute("data-result", "correct")
    expect(ann.locator("#fb-headline")).to_have_text("Correct!")
    expect(ann.locator("#fb-details li").first).to_have_text(points)
    expect(bob.locator("#fb-headline")).to_have_text("Wrong")
    expect(bob.locator("#fb-details")).to_contain_text("Correct answer: Paris")
    expect(bob.locator("#fb-details")).to_contain_text("of 3")


def next_question(host: Page) -> None:
    host.click("#btn-next")
    expect(host.locator("#view-leaderboard .leaderboard li")).to_have_count(3)
    host.click("#btn-next")
    expect(host.locator("#view-question")).to_be_visible()


def round_two_with_a_reload_and_a_skip(host: Page, ann: Page, bob: Page, cy: Page) -> None:
    b.wait_question(cy, 2)
    before = b.score(cy)
    assert before > 500
    cy.reload()
    b.wait_question(cy, 2)
    expect(cy.locator("#me-nick")).to_have_text("cy")
    expect(cy.locator("#me-score")).to_have_attribute("data-score", str(before))
    expect(host.locator("#lobby-count")).to_have_text("3")
    b.submit_choices(ann, ["2", "5"])
    b.submit_choices(cy, ["2", "5"])
    expect(host.locator("#q-answered")).to_have_attribute("data-answered", "2")
    host.click("#btn-skip")  # bob never answers
    expect(host.locator("#view-reveal")).to_be_visible()
    expect(host.locator("#reveal-note")).to_contain_text("Skipped by the host.")
    expect(cy.locator("#fb-headline")).to_have_text("Correct!")
    expect(bob.locator("#fb-headline")).to_have_text("No answer this time")
    assert b.score(cy) > before


def round_three_closed_by_the_timer(host: Page, ann: Page, bob: Page, cy: Page) -> None:
    b.wait_question(ann, 3)
    b.click_choice(ann, "True")
    b.click_choice(bob, "False")
    # cy does not answer: the Celery timer closes the round at its 6 s deadline.
    expect(host.locator("#view-reveal")).to_be_visible(timeout=15_000)
    expect(host.locator("#reveal-note")).to_contain_text("Time ran out.")
    expect(cy.locator("#fb-headline")).to_have_text("No answer this time")


def results_check(host: Page, pin: str, tmp_path: Path) -> None:
    for _ in range(20):  # results are written as the game finishes
        if host.locator("#standings").count():
            break
        host.wait_for_timeout(300)
        host.reload()
    expect(host.locator("#standings tbody td:nth-child(2)")).to_have_text(
        ["ann", "cy", "bob", "dan (removed)"]
    )
    expect(host.locator("#questions td[data-answered]")).to_have_text(["3", "2", "2"])
    expect(host.locator("#questions td[data-correct]")).to_have_text(["2", "2", "1"])
    with host.expect_download() as download_info:
        host.click("#csv-link")
    path = tmp_path / "results.csv"
    download_info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == 7
    assert {row["nickname"] for row in rows} == {"ann", "bob", "cy"}
    assert download_info.value.suggested_filename == f"quizzone-{pin}-results.csv"


# --- the socket client against a scripted server ---------------------------------------------------

SKEW_MS = 5_000  # the scripted server's clock runs 5 s ahead of the browser's


class ScriptedServer:
    """Stands in for /ws/play/: answers join/resume with `welcome` and pings with a skewed clock."""

    def __init__(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        self.sockets: list[WebSocketRoute] = []
        self.opened_at: list[float] = []
        self.frames: list[dict] = []

    def accept(self, ws: WebSocketRoute) -> None:
        self.sockets.append(ws)
        self.opened_at.append(time.monotonic())
        ws.on_message(lambda message: self.receive(ws, message))

    def receive(self, ws: WebSocketRoute, message: str | bytes) -> None:
        frame = json.loads(message)
        self.frames.append(frame)
        if frame["type"] == "ping":
            server_time = frame["client_time"] + SKEW_MS
            ws.send(
                json.dumps({"type": "pong", "client_time": frame["client_time"], "server_time": server_time})
            )
        elif frame["type"] in ("join", "resume"):
            welcome = {"type": "welcome", "player_id": "p1", "token": "tok-1", "nickname": "zed"}
            ws.send(json.dumps({**welcome, "game": self.snapshot}))

    def sent(self, kind: str) -> list[dict]:
        return [f for f in self.frames if f["type"] == kind]


def question_snapshot(answered: bool) -> dict:
    deadline = int(time.time() * 1000) + SKEW_MS + 8_000
    question = {
        "type": "question",
        "round": 2,
        "total_rounds": 3,
        "kind": "single",
        "text": "Pick one",
        "choices": [{"id": 11, "text": "Left"}, {"id": 12, "text": "Right"}],
        "min": None,
        "max": None,
        "time_limit_ms": 10_000,
        "opens_at": deadline - 10_000,
        "deadline": deadline,
        "server_time": deadline - 10_000,
        "points": 1,
    }
    return {
        "phase": "question",
        "round": 2,
        "total_rounds": 3,
        "score": 700,
        "rank": 1,
        "streak": 1,
        "locked": False,
        "question": question,
        "answered": answered,
    }


def test_player_page_reconnects_resumes_and_obeys_close_codes(site: str) -> None:
    host_user = host_make("scripted", PASSWORD)
    game = game_create(quiz=b.quiz_make(host_user, b.THREE_QUESTIONS, "Scripted", 10), host=host_user)
    lobby = {"phase": "lobby", "round": 0, "total_rounds": 3, "score": 0, "rank": None, "locked": False}
    server = ScriptedServer(lobby)
    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        page = browser.new_context(**b.PHONE).new_page()
        page.route_web_socket(re.compile(r"/ws/play/"), server.accept)
        page.route_web_socket(
            re.compile(r"/ws/chat/"), lambda ws: ws.send('{"type":"history","messages":[]}')
        )
        page.add_init_script(f"sessionStorage.setItem('qz:nickname:{game.pin}', 'zed')")
        page.goto(f"{site}/play/{game.pin}/")
        expect(page.locator("#view-lobby")).to_be_visible()
        assert server.sent("join") == [{"type": "join", "nickname": "zed"}]
        banner = page.locator("#connection-status")
        expect(banner).to_have_attribute("role", "status")
        expect(banner).to_have_attribute("aria-live", "polite")

        # `reconnect` then 4012: wait retry_after_ms, reconnect, resume with the stored token.
        server.snapshot = question_snapshot(answered=False)
        server.sockets[-1].send(
            json.dumps({"type": "reconnect", "reason": "rebalancing", "retry_after_ms": 600})
        )
        closed_at = time.monotonic()
        server.sockets[-1].close(code=4012, reason="restarting")
        expect(banner).to_have_text("Reconnecting…")
        expect(page.locator("#view-question")).to_be_visible()
        assert server.opened_at[1] - closed_at >= 0.55
        assert server.sent("resume") == [{"type": "resume", "token": "tok-1"}]
        expect(banner).to_have_text("")
        expect(page.locator("#me-score")).to_have_attribute("data-score", "700")
        # The countdown follows the server's clock (offset from ping/pong), not the browser's.
        expect(page.locator("#q-countdown .countdown-secs")).to_have_text(re.compile(r"^[78] s$"))

        b.click_choice(page, "Right")
        page.wait_for_function("document.querySelector('#answer-status').textContent !== ''")
        assert server.sent("answer") == [{"type": "answer", "round": 2, "choice": 12}]

        # An abnormal close: jittered backoff (0.5 s ± 30%), then resume again.
        server.snapshot = question_snapshot(answered=True)
        closed_at = time.monotonic()
        server.sockets[-1].close(code=1011)
        expect(page.locator("#answer-status")).to_have_text("Answer sent! Waiting for the others…")
        page.wait_for_function("document.querySelector('#connection-status').textContent === ''")
        assert len(server.sent("resume")) == 2
        assert server.opened_at[2] - closed_at >= 0.3

        # Kicked: the reason is shown, the token forgotten, and the page does not come back.
        server.sockets[-1].send(
            json.dumps({"type": "kicked", "player_id": "p1", "reason": "removed by the host"})
        )
        server.sockets[-1].close(code=4003)
        expect(page.locator("#message-text")).to_have_text("The host removed you from the game.")
        page.wait_for_timeout(1_500)
        assert len(server.sockets) == 3
        assert page.evaluate(f"sessionStorage.getItem('qz:token:{game.pin}')") is None

        # Unknown PIN (4004) from the server: an error, no reconnect.
        gone = ScriptedServer(lobby)
        other = browser.new_context(**b.PHONE).new_page()
        other.route_web_socket(
            re.compile(r"/ws/play/"),
            lambda ws: (gone.accept(ws), ws.close(code=4004, reason="unknown PIN")),
        )
        other.goto(f"{site}/play/{game.pin}/")
        expect(other.locator("#message-text")).to_have_text(f"There is no game with PIN {game.pin}.")
        other.wait_for_timeout(1_000)
        assert len(gone.sockets) == 1
        browser.close()


# --- the host console pages a large roster ----------------------------------------------------------


def test_the_host_console_shows_the_count_and_pages_the_roster(site: str) -> None:
    host_user = host_make("pagerhost", PASSWORD)
    quiz = b.quiz_make(host_user, b.THREE_QUESTIONS, "Paging quiz", time_limit=30)
    pin = game_create(quiz=quiz, host=host_user).pin
    names = [f"p{i:03d}" for i in range(130)]
    async_to_sync(join_all)(pin, names)  # before the page opens: host_welcome holds the first 100
    # Joins a few hundred microseconds apart share a millisecond, and then their order is by player id.
    join_order = [player.nickname for player in async_to_sync(store.players_all)(pin)]
    assert sorted(join_order) == names
    late = join_order[-1]  # on the second page

    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        host = browser.new_context(**b.DESKTOP).new_page()
        b.host_login(host, site, "pagerhost", PASSWORD)
        host.goto(f"{site}/host/{pin}/")
        expect(host.locator("#host-app")).to_have_attribute("data-socket", "open")
        expect(host.locator("#lobby-count")).to_have_text("130")
        expect(host.locator("#players .player")).to_have_count(100)
        expect(host.locator("#players-more")).to_have_text("Show more (100 of 130)")
        host.click("#players-more")
        expect(host.locator("#players .player")).to_have_count(130)
        expect(host.locator("#players-more")).to_be_hidden()
        expect(host.locator("#players .player-name")).to_have_text(join_order)
        host.get_by_role("button", name=f"Remove {late} from the game").click()  # known from the second page
        host.locator(f"#players .player[data-nickname='{late}'] .kick-yes").click()
        expect(host.locator("#lobby-count")).to_have_text("129")
        expect(host.locator("#players .player:not(.is-kicked)")).to_have_count(129)
        browser.close()


async def join_all(pin: str, names: list[str]) -> None:
    for name in names:
        await actions.game_join(pin, name)
    await asyncio.sleep(0.6)  # the trailing coalesced `lobby` send, before this loop closes
