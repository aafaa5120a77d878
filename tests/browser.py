"""Driving QuizZone pages in headless Chromium: shared by tests/test_browser.py and scripts/screenshots.py."""

from __future__ import annotations

import os
import re

from django.contrib.auth.models import User
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Playwright, expect

from quizzes.models import Choice, Question, Quiz

CHROMIUM = os.environ.get("QUIZZONE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 780},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}


class PageTrouble:
    """The dialogs (each dismissed) and uncaught script errors of the pages it watches."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def watch(self, *pages: Page) -> None:
        for page in pages:
            page.on("dialog", self._dialog)
            page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# --- data (ORM) ----------------------------------------------------------------------------------


def quiz_make(owner: User, spec: list[tuple[str, str, dict]], title: str, time_limit: int) -> Quiz:
    """A quiz from (kind, text, fields) rows; fields may hold "choices": [(text, correct), ...]."""
    quiz = Quiz.objects.create(owner=owner, title=title)
    for order, (kind, text, fields) in enumerate(spec, start=1):
        fields = dict(fields)
        choices = fields.pop("choices", [])
        question = Question.objects.create(
            quiz=quiz, order=order, kind=kind, text=text, time_limit=time_limit, **fields
        )
        for position, (choice_text, correct) in enumerate(choices, start=1):
            Choice.objects.create(question=question, order=position, text=choice_text, correct=correct)
    return quiz


THREE_QUESTIONS = [
    ("single", "Capital of France?", {"choices": [("Paris", True), ("Lyon", False), ("Nice", False)]}),
    ("multi", "Which are primes?", {"choices": [("2", True), ("4", False), ("5", True), ("9", False)]}),
    ("truefalse", "The sun is a star", {"choices": [("True", True), ("False", False)]}),
]

EVERY_KIND = [
    *THREE_QUESTIONS[:2],
    ("text", "Largest ocean?", {"accepted_answers": ["pacific", "pacific ocean"]}),
    (
        "slider",
        "Year of the moon landing?",
        {"slider_min": 1900, "slider_max": 2000, "correct_value": 1969, "tolerance": 2},
    ),
    ("poll", "Favourite colour?", {"points": 0, "choices": [("Red", False), ("Blue", False)]}),
    THREE_QUESTIONS[2],
]


# --- pages ---------------------------------------------------------------------------------------


def host_login(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/?next=/host/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/host/")


def host_console(browser: Browser, base: str, username: str, password: str, pin: str) -> Page:
    """A logged-in host's console of game `pin`, its socket open."""
    page = browser.new_context(**DESKTOP).new_page()
    host_login(page, base, username, password)
    page.goto(f"{base}/host/{pin}/")
    expect(page.locator("#host-app")).to_have_attribute("data-socket", "open")
    return page


def host_start_game(page: Page, quiz_id: int) -> str:
    """Clicks "Start game" on My quizzes; returns the new game's PIN once its console is live."""
    page.click(f"[data-start-quiz='{quiz_id}']")
    page.wait_for_url(re.compile(r"/host/\d{6}/$"))
    pin = page.url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator("#host-app")).to_have_attribute("data-socket", "open")
    return pin


def player_join(context: BrowserContext, base: str, pin: str, nickname: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/join/?pin={pin}")
    expect(page.locator("#pin")).to_have_value(pin)
    page.fill("#nickname", nickname)
    page.click("#join-form button[type=submit]")
    page.wait_for_url(f"{base}/play/{pin}/")
    expect(page.locator("#view-lobby")).to_be_visible()
    return page


def wait_question(page: Page, round_no: int) -> None:
    expect(page.locator("#view-question")).to_be_visible()
    expect(page.locator("#q-round")).to_contain_text(str(round_no))


def click_choice(page: Page, text: str) -> None:
    page.locator("#answer-area").get_by_role("button", name=text, exact=True).click()


def submit_choices(page: Page, texts: list[str]) -> None:
    for text in texts:
        click_choice(page, text)
    page.click("#answer-area .submit-answer")


def score(page: Page) -> int:
    return int(page.locator("#me-score").get_attribute("data-score") or 0)
