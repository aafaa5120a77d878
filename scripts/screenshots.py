"""Writes a quiz in the host's editor, plays a whole game in headless Chromium (three phones in English, one
in Korean) and saves a PNG of every screen into docs/screenshots/ (optimised with Pillow).

Run: `make screenshots`, or .venv/bin/python scripts/screenshots.py (needs Redis and /usr/bin/chromium).
It uses a throwaway SQLite database and its own Redis key prefix, starts daphne and a Celery worker,
and stops them when done.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
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
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from quizzes.models import Question, Quiz  # noqa: E402
from tests import browser as b  # noqa: E402
from tests.processes import celery_start, daphne_start  # noqa: E402

PHONE = {**b.PHONE, "viewport": {"width": 390, "height": 844}}
KOREAN = {"locale": "ko-KR"}
KOREAN_NICK = "민지"
BAD_CSV = (  # two mistakes, for the import page's table of problems
    "kind,text,choice_1,choice_2,correct\n"
    "single,Capital of Spain?,Madrid,Lisbon,1\n"
    "quiz,Odd one out?,,,\n"
    "single,Largest planet?,Jupiter,Mars,3\n"
)


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
    png = page.screenshot(full_page=full_page)
    with Image.open(io.BytesIO(png)) as image:  # flat colours: a 256-colour palette looks the same
        image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            OUT / f"{name}.png", optimize=True
        )
    print(f"  {name}.png")


def flag_png() -> bytes:
    """The question's picture: a French flag."""
    image = Image.new("RGB", (480, 320), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 159, 319), fill="#0055a4")
    draw.rectangle((320, 0, 479, 319), fill="#ef4135")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def quizzes_make(host_user: User) -> Quiz:
    quiz = b.quiz_make(host_user, b.EVERY_KIND, "World tour", time_limit=30)
    first = quiz.questions.get(order=1)
    first.image.save("flag.png", ContentFile(flag_png()), save=False)
    first.explanation = "Paris has been the capital of France for most of the last thousand years."
    first.save()
    Question.objects.filter(quiz=quiz, kind="poll").update(explanation="Polls have no right answer.")
    b.quiz_make(host_user, b.THREE_QUESTIONS, "Quick three", time_limit=10)
    return quiz


def pick(page: Page, *indexes: int, submit: bool = False) -> None:
    """Answers by position (the Korean phone's buttons may carry translated labels)."""
    buttons = page.locator("#answer-area .answer-btn")
    for index in indexes:
        buttons.nth(index).click()
    if submit:
        page.click("#answer-area .submit-answer")


def editor_shots(host: Page, base: str, quiz: Quiz) -> None:
    host.goto(f"{base}/host/quizzes/{quiz.id}/")
    expect(host.locator(".question-row img.thumb")).to_have_count(1)
    shot(host, "editor-quiz", full_page=True)
    host.locator(".question-link").first.click()
    expect(host.locator("#question-form")).to_have_attribute("data-kind", "single")
    shot(host, "editor-question", full_page=True)
    host.goto(f"{base}/host/quizzes/{quiz.id}/")
    host.select_option("#new-kind", "truefalse")
    host.click("#add-question")
    expect(host.locator("#question-form")).to_have_attribute("data-kind", "truefalse")
    host.fill("#id_text", "The sun is a star")
    host.click("#save-question")  # no answer picked: the error shows by the field
    expect(host.locator("#field-truefalse_answer .field-error")).to_be_visible()
    shot(host, "editor-truefalse", full_page=True)

    csv_path = WORK / "quiz.csv"
    csv_path.write_text(BAD_CSV, encoding="utf-8")
    host.goto(f"{base}/host/quizzes/import/")
    host.set_input_files("#id_file", str(csv_path))
    host.fill("#id_title", "Space and places")
    host.click("#import-form button[type=submit]")
    expect(host.locator("#import-problems")).to_be_visible()
    shot(host, "editor-import", full_page=True)


def reclaim_shot(browser: Browser, base: str, pin: str, nickname: str, code: str) -> None:
    """Another phone asks for a nickname in the game: "taken", and the form to get back in with the code."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/join/?pin={pin}")
    page.fill("#nickname", nickname)
    page.click("#join-form button[type=submit]")
    expect(page.locator("#reclaim")).to_be_visible()
    page.fill("#reclaim-code", code)
    shot(page, "reclaim")
    context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    host_user = User.objects.create_user(HOST, password=PASSWORD, is_staff=True)
    quiz = quizzes_make(host_user)
    with site() as base, sync_playwright() as p:
        expect.set_options(timeout=15_000)
        browser = b.launch(p)
        korean = browser.new_context(**PHONE, **KOREAN).new_page()
        korean.goto(f"{base}/join/?pin=123456")
        expect(korean.locator("html")).to_have_attribute("lang", "ko")
        shot(korean, "join-ko")

        host = browser.new_context(**b.DESKTOP).new_page()
        b.host_login(host, base, HOST, PASSWORD)
        shot(host, "host-quizzes")
        editor_shots(host, base, quiz)
        host.goto(f"{base}/host/")
        pin = b.host_start_game(host, quiz.id)

        players: dict[str, Page] = {}
        for nickname in PLAYERS:
            page = browser.new_context(**PHONE).new_page()
            page.goto(f"{base}/join/?pin={pin}")
            page.fill("#nickname", nickname)
            if nickname == PLAYERS[0]:
                shot(page, "join")
            page.click("#join-form button[type=submit]")
            expect(page.locator("#view-lobby")).to_be_visible()
            players[nickname] = page
        ann, bob, chloe = (players[n] for n in PLAYERS)
        korean.fill("#pin", pin)
        korean.fill("#nickname", KOREAN_NICK)
        korean.click("#join-form button[type=submit]")
        expect(korean.locator("#view-lobby")).to_be_visible()
        everyone = (ann, bob, chloe, korean)

        expect(host.locator("#lobby-count")).to_have_text(str(len(everyone)))
        expect(ann.locator("#lobby-names li")).to_have_count(len(everyone))
        expect(korean.locator("#reclaim-note")).to_be_visible()
        shot(ann, "waiting-room")
        shot(korean, "lobby-ko")
        shot(host, "host-lobby")
        reclaim_shot(browser, base, pin, "Bob", bob.locator("#me-code").inner_text())

        bob.fill("#chat-input", "Good luck everyone!")
        bob.click(".chat-form button")
        ann.fill("#chat-input", "<img src=x onerror=alert(1)> is just text here")
        ann.click(".chat-form button")
        expect(chloe.locator(".chat-log li")).to_have_count(2)

        host.click("#btn-start")
        # 1. single, with a picture and an explanation
        b.wait_question(ann, 1)
        host.click("#btn-late")
        expect(host.locator("#btn-late")).to_have_attribute("aria-pressed", "true")
        for page in (ann, korean):
            expect(page.locator(".question-image")).to_be_visible()
        shot(ann, "answer-single")
        shot(korean, "answer-ko")
        b.click_choice(ann, "Paris")
        expect(host.locator("#q-answered")).to_have_attribute("data-answered", "1")
        shot(host, "host-question")
        b.click_choice(bob, "Lyon")
        b.click_choice(chloe, "Paris")
        pick(korean, 0)
        expect(host.locator("#view-reveal")).to_be_visible()
        expect(host.locator("#view-reveal .explanation")).to_be_visible()
        expect(ann.locator("#view-feedback")).to_have_attribute("data-result", "correct")
        expect(bob.locator("#view-feedback")).to_have_attribute("data-result", "wrong")
        expect(korean.locator("#view-feedback")).to_have_attribute("data-result", "correct")
        shot(ann, "feedback-correct")
        shot(bob, "feedback-wrong")
        shot(korean, "feedback-ko")
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
        pick(korean, 0, 2, submit=True)
        expect(host.locator("#view-reveal")).to_be_visible()
        shot(host, "host-reveal-multi")
        next_round(host)

        # 3. text
        b.wait_question(ann, 3)
        ann.fill("#text-answer", "Pacific")
        shot(ann, "answer-text")
        for page, text in (
            (ann, "Pacific"),
            (bob, "Atlantic"),
            (chloe, "pacific ocean"),
            (korean, "Pacific"),
        ):
            page.fill("#text-answer", text)
            page.click("#answer-area .submit-answer")
        expect(host.locator("#view-reveal")).to_be_visible()
        shot(host, "host-reveal-text")
        next_round(host)

        # 4. slider
        b.wait_question(ann, 4)
        for page, value in ((ann, "1969"), (bob, "1950"), (chloe, "1971"), (korean, "1969")):
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
        pick(korean, 1)
        expect(ann.locator("#view-feedback")).to_have_attribute("data-result", "poll")
        shot(ann, "feedback-poll")
        next_round(host)

        # 6. true or false
        b.wait_question(ann, 6)
        shot(ann, "answer-truefalse")
        for page, choice in ((ann, "True"), (bob, "True"), (chloe, "False")):
            b.click_choice(page, choice)
        pick(korean, 0)
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
    quiz.questions.get(order=1).image.delete(save=False)
    print(f"saved in {OUT}")


def reconnecting_shot(browser: Browser, base: str, pin: str) -> None:
    """A player whose connection keeps failing (a scripted socket that always closes): the banner."""
    page = browser.new_context(**PHONE).new_page()
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
