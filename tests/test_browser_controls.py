"""The host's class controls in headless Chromium, in one game: chat off and on (projector and phones), the
"get ready" screen before the choices, auto-advance and its pause, and the "select all that apply" hint (in
English and Korean). Real daphne and Celery (the auto-advance timers)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from rooms.services import game_create
from tests import browser as b
from tests.factories import host_make
from tests.processes import daphne_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-controls-host-1"
QUIZ = [
    ("multi", "Which are primes?", {"choices": [("2", True), ("4", False), ("5", True)]}),
    ("single", "Capital of France?", {"choices": [("Paris", True), ("Lyon", False)]}),
]


@pytest.fixture
def site(django_db_setup, django_db_blocker, process_logs, celery_worker) -> Iterator[str]:
    with django_db_blocker.unblock():
        proc, port = daphne_start("daphne-controls", process_logs)
    with proc:
        yield f"http://127.0.0.1:{port}"


def answer_buttons(page: Page):
    return page.locator("#answer-area .answer-btn")


def test_chat_get_ready_auto_advance_and_the_multi_hint(site: str) -> None:
    host_user = host_make("controlshost", PASSWORD)
    quiz = b.quiz_make(host_user, QUIZ, "Controls quiz", time_limit=30)
    pin = game_create(quiz=quiz, host=host_user).pin
    errors: list[str] = []
    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        host = b.host_console(browser, site, "controlshost", PASSWORD, pin)
        ann = b.player_join(browser.new_context(**b.PHONE), site, pin, "ann")
        min_ = b.player_join(browser.new_context(**b.PHONE, locale="ko-KR"), site, pin, "민수")
        for page in (host, ann, min_):
            page.on("pageerror", lambda error: errors.append(str(error)))

        # Chat off: gone from the projector and the phones; on again: back, and messages flow.
        expect(ann.locator("#chat")).to_be_visible()
        host.click("#btn-chat")
        for page in (host, ann, min_):
            expect(page.locator("#chat")).to_be_hidden()
        expect(host.locator("#btn-chat")).to_have_text("Turn chat on")
        ann.reload()  # a reconnecting phone keeps it off
        expect(ann.locator("#view-lobby")).to_be_visible()
        expect(ann.locator("#chat")).to_be_hidden()
        host.click("#btn-chat")
        for page in (host, ann, min_):
            expect(page.locator("#chat")).to_be_visible()
        ann.fill("#chat-input", "hi class")
        ann.press("#chat-input", "Enter")
        expect(host.locator("#chat .chat-log")).to_contain_text("hi class")

        # Get ready on, auto-advance on; start.
        host.click("#btn-ready")
        expect(host.locator("#btn-ready")).to_have_text("Get ready: on")
        host.select_option("#auto-delay", "3")
        expect(host.locator("#btn-auto")).to_have_text("Auto-advance (3 s)")
        host.click("#btn-auto")
        expect(host.locator("#btn-auto")).to_have_text("Pause auto-advance")
        host.click("#btn-start")

        # "Get ready": round, kind and points; no choices yet. Then the choices and the multi hint.
        for page, hint in ((ann, "Select all that apply"), (min_, "해당하는 답을 모두 고르세요")):
            expect(page.locator("#view-question .get-ready")).to_be_visible()
            expect(page.locator("#view-question .ready-info")).to_contain_text(hint)
            expect(page.locator("#q-text")).to_be_visible()  # the question itself shows while it counts down
            expect(answer_buttons(page).first).to_be_hidden()
            expect(page.locator("#q-countdown")).to_be_hidden()
        expect(host.locator("#view-question .get-ready")).to_be_visible()
        expect(host.locator("#q-text")).to_be_visible()
        expect(host.locator("#q-choices")).to_be_hidden()
        for page, hint in ((ann, "Select all that apply"), (min_, "해당하는 답을 모두 고르세요")):
            expect(answer_buttons(page).first).to_be_visible()
            expect(page.locator("#view-question .get-ready")).to_be_hidden()
            expect(page.locator(".kind-hint")).to_have_text(hint)
        expect(host.locator("#q-choices")).to_be_visible()
        expect(host.locator(".kind-hint")).to_have_text("Select all that apply")
        b.submit_choices(ann, ["2", "5"])
        b.submit_choices(min_, ["4"])

        # Auto-advance: reveal, then the leaderboard, then question 2 by themselves.
        expect(host.locator("#view-reveal")).to_be_visible()
        expect(host.locator("#auto-note")).to_have_text(re.compile(r"Next step in [1-3] s"))
        expect(host.locator("#view-leaderboard")).to_be_visible(timeout=8000)
        expect(ann.locator("#view-leaderboard")).to_be_visible()
        expect(host.locator("#view-question .get-ready")).to_be_visible(timeout=8000)
        b.wait_question(ann, 2)
        expect(ann.locator(".kind-hint")).to_have_count(0)  # a single-answer question: no hint
        b.click_choice(ann, "Paris")
        b.click_choice(min_, "Lyon")
        expect(host.locator("#view-reveal")).to_be_visible()

        # Pause: nothing moves by itself; the host goes on by hand.
        host.click("#btn-auto")
        expect(host.locator("#btn-auto")).to_contain_text("Auto-advance")
        expect(host.locator("#auto-note")).to_have_text("")
        host.wait_for_timeout(5500)
        expect(host.locator("#view-reveal")).to_be_visible()
        host.click("#btn-next")
        expect(host.locator("#view-leaderboard")).to_be_visible()
        host.click("#btn-next")
        expect(host.locator("#view-finished")).to_be_visible()
        expect(ann.locator("#view-final")).to_be_visible()
        browser.close()
    assert not errors, errors
