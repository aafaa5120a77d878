"""Plays a whole game in headless Chromium and saves a PNG of every screen into docs/screenshots/.

Run: .venv/bin/python scripts/screenshots.py  (needs Redis and /usr/bin/chromium; nothing else).
It uses a throwaway SQLite database and its own Redis key prefix, starts daphne and a Celery worker,
and stops them when done.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
WORK = Path(tempfile.mkdtemp(prefix="quizzone-screens-"))
HOST, PASSWORD = "screens", "screens-pw-123"
PLAYERS = ("Ann", "Bob", "Chloé")

sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "quizzone.settings.test"
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'db.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from tests import browser as b  # noqa: E402
from tests.processes import celery_start, daphne_start  # noqa: E402


@contextmanager
def site() -> Iterator[str]:
    with ExitStack() as stack:  # stops what started even when a later start fails
        stack.callback(redis_cleanup)
        web, port = daphne_start("daphne", WORK)
        stack.enter_context(web)
        stack.enter_context(celery_start(WORK))
        yield f"http://127.0.0.1:{port}"


def redis_cleanup() -> None:
    import redis

    conn = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(conn.scan_iter(match=f"{settings.REDIS_PREFIX}:*", count=1000))
    for start in range(0, len(keys), 500):
        conn.delete(*keys[start : start + 500])


def shot(page: Page, name: str, full_page: bool = False) -> None:
    page.wait_for_timeout(250)  # let CSS transitions settle
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"  {name}.png")


def answer_all(players: dict[str, Page], answers: dict[str, Callable[[Page], None]]) -> None:
    for nickname, answer in answers.items():
        answer(players[nickname])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    host_user = User.objects.create_user(HOST, password=PASSWORD, is_staff=True)
    quiz = b.quiz_make(host_user, b.EVERY_KIND, "World tour", time_limit=30)
    b.quiz_make(host_user, b.THREE_QUESTIONS, "Quick three", time_limit=10)
    with site() as base, sync_playwright() as p:
        expect.set_options(timeout=15_000)
        browser = b.launch(p)
        korean = browser.new_context(**b.PHONE).new_page()
        korean.goto(f"{base}/join/?pin=123456")
        korean.select_option("#language-select", "ko")
        korean.click(".lang-switch button")
        expect(korean.locator("html")).to_have_attribute("lang", "ko")
        shot(korean, "join-ko")

        host = browser.new_context(**b.DESKTOP).new_page()
        b.host_login(host, base, HOST, PASSWORD)
        shot(host, "host-quizzes")
        pin = b.host_start_game(host, quiz.id)

        players: dict[str, Page] = {}
        for nickname in PLAYERS:
            context = browser.new_context(**b.PHONE)
            page = context.new_page()
            page.goto(f"{base}/join/?pin={pin}")
            page.fill("#nickname", nickname)
            if nickname == PLAYERS[0]:
                shot(page, "join")
            page.click("#join-form button[type=submit]")
            expect(page.locator("#view-lobby")).to_be_visible()
            players[nickname] = page
        ann, bob, chloe = (players[n] for n in PLAYERS)
        expect(host.locator("#lobby-count")).to_have_text(str(len(PLAYERS)))
        expect(ann.locator("#lobby-names li")).to_have_count(len(PLAYERS))
        shot(ann, "waiting-room")
        shot(host, "host-lobby")

        bob.fill("#chat-input", "Good luck everyone!")
        bob.click(".chat-form button")
        ann.fill("#chat-input", "<img src=x onerror=alert(1)> is just text here")
        ann.click(".chat-form button")
        expect(chloe.locator(".chat-log li")).to_have_count(2)

        host.click("#btn-start")
        # 1. single
        b.wait_question(ann, 1)
        shot(ann, "answer-single")
        b.click_choice(ann, "Paris")
        expect(host.locator("#q-answered")).to_have_attribute("data-answered", "1")
        shot(host, "host-question")
        b.click_choice(bob, "Lyon")
        b.click_choice(chloe, "Paris")
        expect(host.locator("#view-reveal")).to_be_visible()
        expect(ann.locator("#view-feedback")).to_have_attribute("data-result", "correct")
        expect(bob.locator("#view-feedback")).to_have_attribute("data-result", "wrong")
        shot(ann, "feedback-correct")
        shot(bob, "feedback-wrong")
        shot(host, "host-reveal")
        host.click("#btn-next")
        expect(host.locator("#view-leaderboard")).to_be_visible()
        expect(ann.locator("#view-leaderboard")).to_be_visible()
        shot(host, "host-leaderboard")
        shot(ann, "leaderboard")
        host.click("#btn-next")

        # 2. multi
        b.wait_question(ann, 2)
        b.click_choice(ann, "2")
        b.click_choice(ann, "5")
        shot(ann, "answer-multi")
        ann.click("#answer-area .submit-answer")
        b.submit_choices(bob, ["2"])
        b.submit_choices(chloe, ["2", "5"])
        expect(host.locator("#view-reveal")).to_be_visible()
        shot(host, "host-reveal-multi")
        next_round(host)

        # 3. text
        b.wait_question(ann, 3)
        ann.fill("#text-answer", "Pacific")
        shot(ann, "answer-text")
        for page, text in ((ann, "Pacific"), (bob, "Atlantic"), (chloe, "pacific ocean")):
            page.fill("#text-answer", text)
            page.click("#answer-area .submit-answer")
        expect(host.locator("#view-reveal")).to_be_visible()
        shot(host, "host-reveal-text")
        next_round(host)

        # 4. slider
        b.wait_question(ann, 4)
        for page, value in ((ann, "1969"), (bob, "1950"), (chloe, "1971")):
            page.fill("#slider-answer", value)
            if page is ann:
                shot(ann, "answer-slider")
            page.click("#answer-area .submit-answer")
        expect(host.locator("#view-reveal")).to_be_visible()
        shot(host, "host-reveal-slider")
        next_round(host)

        # 5. poll
        b.wait_question(ann, 5)
        shot(ann, "answer-poll")
        for page, choice in ((ann, "Blue"), (bob, "Red"), (chloe, "Blue")):
            b.click_choice(page, choice)
        expect(ann.locator("#view-feedback")).to_have_attribute("data-result", "poll")
        shot(ann, "feedback-poll")
        next_round(host)

        # 6. true or false
        b.wait_question(ann, 6)
        shot(ann, "answer-truefalse")
        for page, choice in ((ann, "True"), (bob, "True"), (chloe, "False")):
            b.click_choice(page, choice)
        expect(host.locator("#view-reveal")).to_be_visible()
        host.click("#btn-next")
        expect(host.locator("#view-leaderboard")).to_be_visible()
        host.click("#btn-next")

        expect(host.locator("#view-finished")).to_be_visible()
        expect(ann.locator("#final-text")).not_to_be_empty()
        shot(ann, "final")
        shot(chloe, "chat", full_page=True)
        shot(host, "host-podium")
        host.click("#results-link")
        results_wait(host)
        shot(host, "results", full_page=True)
        reconnecting_shot(browser, base, pin)
        browser.close()
    print(f"saved in {OUT}")


def reconnecting_shot(browser: Browser, base: str, pin: str) -> None:
    """A player whose connection keeps failing (a scripted socket that always closes): the banner."""
    page = browser.new_context(**b.PHONE).new_page()
    page.route_web_socket(re.compile(r"/ws/play/"), lambda ws: ws.close(code=1011))
    page.add_init_script(f"sessionStorage.setItem('qz:token:{pin}', 'stale')")
    page.goto(f"{base}/play/{pin}/")
    expect(page.locator("#connection-status")).to_have_class(re.compile("is-active"))
    shot(page, "reconnecting")


def next_round(host: Page) -> None:
    host.click("#btn-next")
    expect(host.locator("#view-leaderboard")).to_be_visible()
    host.click("#btn-next")
    expect(host.locator("#view-question")).to_be_visible()


def results_wait(page: Page) -> None:
    """The results are written when the game finishes; reload until the page has them."""
    for _ in range(20):
        if page.locator("#standings").count():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise RuntimeError("results page never showed the standings")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        main()
    except BaseException:
        print(f"screenshots failed; server logs are in {WORK}", file=sys.stderr)
        raise
    shutil.rmtree(WORK, ignore_errors=True)
