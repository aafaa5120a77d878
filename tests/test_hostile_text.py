"""Hostile text in Chromium (issue 11): markup and script in every string a user controls stays text.

The quiz title, the question and its choices, two nicknames and a chat message carry HTML, script, template
syntax, a right-to-left override and a very long word. The test drives one whole game through the pages
(My quizzes, the host console, two phones, the lobby roster, the chat, the question, the reveal, the
leaderboard, the podium and the results page) and checks each string shows literally and that nothing
ran: `window.__pwned` stays unset on every page, no dialog opens, no page error, no injected element.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests import browser as b
from tests.factories import host_make
from tests.processes import daphne_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-hostile-host-1"
LONG_WORD = "W" * 120  # choice texts and titles hold 200 characters
TITLE = "<img src=x onerror=window.__pwned=1> {{ 7*7 }} \u202eevil"
QUESTION = '<script>window.__pwned=2</script>"><svg onload=window.__pwned=3> {% now "Y" %}'
RIGHT = "<img src=x onerror=window.__pwned=4>"
WRONG = "{{constructor.constructor('window.__pwned=5')()}} " + LONG_WORD
NICK_A = "<svg onload=__pwned=6>"  # nicknames: 24 characters at most
NICK_B = '"><svg/onload=__pwned=7>'
CHAT = "<img src=x onerror=window.__pwned=8> {{ 7*7 }} \u202eRTL ${alert(9)} " + LONG_WORD
INJECTED = "img[src='x'], svg[onload], script:not([src]):not([type]):not([nonce])"


@pytest.fixture
def site(django_db_setup, django_db_blocker, process_logs) -> Iterator[str]:
    with django_db_blocker.unblock():
        proc, port = daphne_start("daphne-hostile", process_logs)
    with proc:
        yield f"http://127.0.0.1:{port}"


def nothing_ran(pages: list[Page], trouble: b.PageTrouble) -> None:
    for page in pages:
        assert page.evaluate("window.__pwned") is None, page.url
        assert page.locator(INJECTED).count() == 0, page.url
    assert trouble.dialogs == [] and trouble.errors == []


def test_hostile_text_stays_text_everywhere(site: str, celery_worker: object) -> None:
    host_user = host_make("hostilehost", PASSWORD)
    spec = [("single", QUESTION, {"choices": [(RIGHT, True), (WRONG, False)]})]
    quiz = b.quiz_make(host_user, spec, TITLE, time_limit=60)
    trouble = b.PageTrouble()
    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        host = browser.new_context(**b.DESKTOP).new_page()
        trouble.watch(host)
        b.host_login(host, site, "hostilehost", PASSWORD)
        expect(host.get_by_text(TITLE, exact=True)).to_have_count(1)  # My quizzes lists it as text
        pin = b.host_start_game(host, quiz.id)
        expect(host.locator("#quiz-title")).to_have_text(TITLE)

        ann, bob = (b.player_join(browser.new_context(**b.PHONE), site, pin, n) for n in (NICK_A, NICK_B))
        pages = [host, ann, bob]
        trouble.watch(ann, bob)
        expect(host.locator("#players .player-name")).to_have_text([NICK_A, NICK_B])
        expect(ann.locator("#me-nick")).to_have_text(NICK_A)

        expect(ann.locator("#chat")).to_have_attribute("data-ready", "1")
        ann.fill("#chat-input", CHAT)
        ann.click(".chat-form button")
        shown = CHAT.replace("\u202e", "")  # the server strips direction overrides from chat
        for page in (host, bob):
            expect(page.locator(".chat-log .chat-text")).to_have_text([shown])
            expect(page.locator(".chat-log")).to_contain_text(NICK_A)

        host.click("#btn-start")
        for page in pages:
            b.wait_question(page, 1)
            expect(page.locator("#q-text")).to_have_text(QUESTION)
        b.click_choice(ann, RIGHT)
        b.click_choice(bob, WRONG)
        expect(host.locator("#view-reveal")).to_be_visible()
        expect(host.locator("#reveal-title")).to_have_text(QUESTION)
        expect(host.locator("#reveal-chart .chart-row.is-correct .chart-label")).to_have_text([f"{RIGHT}✓"])
        expect(bob.locator("#fb-details")).to_contain_text(f"Correct answer: {RIGHT}")
        nothing_ran(pages, trouble)

        host.click("#btn-next")
        expect(host.locator("#view-leaderboard .leaderboard li")).to_have_count(2)
        expect(host.locator("#view-leaderboard .leaderboard")).to_contain_text(NICK_A)
        expect(host.locator("#view-leaderboard .leaderboard")).to_contain_text(NICK_B)
        host.click("#btn-next")
        expect(host.locator("#view-finished .podium-name")).to_have_text([NICK_A, NICK_B])
        expect(ann.locator("#view-final .podium-name")).to_have_text([NICK_A, NICK_B])

        host.click("#results-link")
        for _ in range(30):  # the Celery worker writes the results as the game finishes
            if host.locator("#standings").count():
                break
            host.wait_for_timeout(300)
            host.reload()
        expect(host.locator("h1")).to_contain_text(TITLE)
        expect(host.locator("#standings tbody td:nth-child(2)")).to_have_text([NICK_A, NICK_B])
        expect(host.locator("#questions tbody td:nth-child(2)")).to_contain_text([QUESTION])
        expect(host.locator("#questions .vote-text").first).to_contain_text("<img src=x onerror=")
        nothing_ran(pages, trouble)
        browser.close()
