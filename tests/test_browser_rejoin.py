"""Coming back and coming late in headless Chromium: reclaim codes, late joins, kick with confirmation and its
undo, and the rough edges of issue 12 around them. One game, real daphne."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rooms.services import game_create
from tests import browser as b
from tests.factories import host_make
from tests.processes import daphne_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-rejoin-host-1"


@pytest.fixture
def site(django_db_setup, django_db_blocker, process_logs) -> Iterator[str]:
    with django_db_blocker.unblock():
        proc, port = daphne_start("daphne-rejoin", process_logs)
    with proc:
        yield f"http://127.0.0.1:{port}"


def join_page(page: Page, site: str, pin: str, nickname: str) -> None:
    page.goto(f"{site}/join/?pin={pin}")
    page.fill("#nickname", nickname)
    page.click("#join-form button[type=submit]")
    page.wait_for_url(f"{site}/play/{pin}/")


def kick_with_confirmation(host: Page, nickname: str) -> None:
    host.get_by_role("button", name=f"Remove {nickname} from the game").click()
    host.locator(f"#players .player[data-nickname='{nickname}'] .kick-yes").click()


def test_coming_back_and_coming_late(site: str) -> None:
    host_user = host_make("rejoinhost", PASSWORD)
    quiz = b.quiz_make(host_user, b.THREE_QUESTIONS, "Rejoin quiz", time_limit=60)
    pin = game_create(quiz=quiz, host=host_user).pin
    errors: list[str] = []
    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        host = b.host_console(browser, site, "rejoinhost", PASSWORD, pin)
        ann, bob, cy = (
            b.player_join(browser.new_context(**b.PHONE), site, pin, n) for n in ("ann", "bob", "cy")
        )
        for page in (host, ann, bob, cy):
            page.on("pageerror", lambda error: errors.append(str(error)))

        code = ann.locator("#me-code").inner_text()
        assert re.fullmatch(r"[A-Z2-9]{6}", code)
        expect(ann.locator("#reclaim-note")).to_contain_text(code)

        stranger = nickname_messages(browser, site, pin)
        an_old_session_joins_under_a_new_nickname(site, pin, host, ann)
        kick_asks_first_and_can_be_undone(host, ann)

        host.click("#btn-start")
        b.wait_question(bob, 1)
        a_late_player_joins_the_running_game(browser, site, pin, host)
        a_reload_does_not_look_like_an_answer(bob)
        a_lost_player_reclaims_their_place(stranger, code)

        for page in (stranger, bob):
            b.click_choice(page, "Paris")
        expect(host.locator("#q-answered")).to_have_attribute("data-answered", "3")
        kick_with_confirmation(host, "cy")  # the last one who had not answered
        expect(host.locator("#view-reveal")).to_be_visible()
        expect(host.locator("#reveal-note")).to_contain_text("3 of 3 answered")
        expect(host.locator("#reveal-note")).to_contain_text("Everyone answered.")
        expect(cy.locator("#message-text")).to_have_text("The host removed you from the game.")
        assert errors == []
        browser.close()


def nickname_messages(browser: Browser, site: str, pin: str) -> Page:
    """An invisible character is named as such; "nickname taken" keeps the box and offers the reclaim form."""
    page = browser.new_context(**b.PHONE).new_page()
    join_page(page, site, pin, "a\u200bnn")
    expect(page.locator("#nickname-error")).to_have_text(
        "A nickname may not contain invisible or control characters."
    )
    expect(page.locator("#nickname")).to_have_value("a\u200bnn")
    join_page(page, site, pin, "bob")
    expect(page.locator("#nickname-error")).to_have_text("That nickname is taken. Pick another one.")
    expect(page.locator("#nickname")).to_have_value("bob")
    expect(page.locator("#reclaim")).to_be_visible()
    expect(page.locator("#reclaim-nickname")).to_have_value("bob")
    page.fill("#reclaim-code", "AAAAAA")
    page.click("#reclaim-form button[type=submit]")
    expect(page.locator("#reclaim-error")).to_have_text("That nickname and code do not match.")
    return page


def an_old_session_joins_under_a_new_nickname(site: str, pin: str, host: Page, ann: Page) -> None:
    join_page(ann, site, pin, "anna")  # the same tab, still holding ann's token
    expect(ann.locator("#view-lobby")).to_be_visible()
    expect(ann.locator("#me-nick")).to_have_text("anna")
    expect(host.locator("#lobby-count")).to_have_text("4")


def kick_asks_first_and_can_be_undone(host: Page, anna: Page) -> None:
    host.get_by_role("button", name="Remove anna from the game").click()
    row = host.locator("#players .player[data-nickname='anna']")
    expect(row.locator(".confirm")).to_contain_text("Remove anna?")
    expect(row.locator(".kick-no")).to_be_focused()
    row.locator(".kick-no").click()
    expect(row.locator(".confirm")).to_have_count(0)
    expect(anna.locator("#view-lobby")).to_be_visible()
    kick_with_confirmation(host, "anna")
    expect(anna.locator("#message-text")).to_have_text("The host removed you from the game.")
    expect(host.locator("#host-notice")).to_have_text("anna was removed.")
    expect(host.locator("#lobby-count")).to_have_text("3")
    expect(host.locator("#host-notice")).to_have_text("", timeout=9_000)  # the notice goes away
    host.get_by_role("button", name="Let anna back into the game").click()
    expect(host.locator("#host-notice")).to_have_text("anna is back in the game.")
    expect(host.locator("#lobby-count")).to_have_text("4")
    kick_with_confirmation(host, "anna")
    expect(host.locator("#lobby-count")).to_have_text("3")


def a_late_player_joins_the_running_game(browser: Browser, site: str, pin: str, host: Page) -> None:
    expect(host.locator("#q-answered")).to_have_text("0 of 3 answered")
    host.click("#btn-late")
    expect(host.locator("#btn-late")).to_have_attribute("aria-pressed", "true")
    dan = browser.new_context(**b.PHONE).new_page()
    join_page(dan, site, pin, "dan")
    b.wait_question(dan, 1)
    expect(dan.locator("#me-score")).to_have_attribute("data-score", "0")
    expect(host.locator("#q-answered")).to_have_text("0 of 4 answered")
    b.click_choice(dan, "Paris")
    expect(host.locator("#q-answered")).to_have_attribute("data-answered", "1")


def a_reload_does_not_look_like_an_answer(bob: Page) -> None:
    bob.reload()
    b.wait_question(bob, 1)
    expect(bob.locator("#answer-area .answer-btn")).to_have_count(3)
    assert bob.evaluate("document.activeElement.closest('#answer-area') === null")
    expect(bob.locator("#answer-area .answer-btn:focus-visible")).to_have_count(0)
    expect(bob.locator("#answer-area [aria-pressed=true], #answer-area .is-chosen")).to_have_count(0)


def a_lost_player_reclaims_their_place(phone: Page, code: str) -> None:
    """ann's first tab went on as anna (and was kicked); a new phone takes ann back with her code."""
    phone.fill("#reclaim-nickname", "ANN")
    phone.fill("#reclaim-code", f"{code[:3].lower()}-{code[3:]}")
    phone.click("#reclaim-form button[type=submit]")
    b.wait_question(phone, 1)
    expect(phone.locator("#me-nick")).to_have_text("ann")
    new_code = phone.locator("#me-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{6}", new_code) and new_code != code


def test_a_player_without_code_gets_back_in_with_the_hosts_yes(site: str) -> None:
    """ann's phone died and nobody noted her code: the host lets her back in from the console. A Korean phone
    asking for bob is refused."""
    host_user = host_make("askhost", PASSWORD)
    quiz = b.quiz_make(host_user, b.THREE_QUESTIONS, "Ask quiz", time_limit=60)
    pin = game_create(quiz=quiz, host=host_user).pin
    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        host = b.host_console(browser, site, "askhost", PASSWORD, pin)
        dead = b.player_join(browser.new_context(**b.PHONE), site, pin, "ann")
        b.player_join(browser.new_context(**b.PHONE), site, pin, "bob")
        trouble = b.PageTrouble()
        trouble.watch(host, dead)
        host.click("#btn-start")
        b.wait_question(dead, 1)

        phone = browser.new_context(**b.PHONE).new_page()
        trouble.watch(phone)
        join_page(phone, site, pin, "ann")  # the game has started: the page offers the way back in
        expect(phone.locator("#reclaim-nickname")).to_have_value("ann")
        phone.get_by_role("button", name="No code? Ask the host").click()
        expect(phone.locator("#reclaim-status")).to_have_text("Asked. Wait for the host to let you back in…")
        expect(host.locator("#asks")).to_be_visible()
        expect(host.locator("#asks-list .ask")).to_have_text(re.compile("ann lost their code"))
        host.get_by_role("button", name="Let in").click()
        b.wait_question(phone, 1)
        expect(phone.locator("#me-nick")).to_have_text("ann")
        expect(phone.locator("#me-code")).to_have_text(re.compile(r"^[A-Z2-9]{6}$"))
        expect(host.locator("#asks")).to_be_hidden()
        expect(dead.locator("#view-nickname")).to_be_visible()  # the old phone's token stopped working
        b.click_choice(phone, "Paris")
        expect(host.locator("#q-answered")).to_have_attribute("data-answered", "1")

        korean = browser.new_context(**b.PHONE, locale="ko-KR").new_page()
        trouble.watch(korean)
        join_page(korean, site, pin, "bob")
        korean.get_by_role("button", name="코드가 없나요? 호스트에게 요청하기").click()
        expect(korean.locator("#reclaim-status")).to_contain_text("요청했습니다")
        host.get_by_role("button", name="Refuse").click()
        expect(korean.locator("#reclaim-error")).to_have_text(
            "호스트가 다시 들어오는 것을 허락하지 않았습니다."
        )
        expect(host.locator("#asks")).to_be_hidden()
        assert (trouble.errors, trouble.dialogs) == ([], [])
        browser.close()
