"""The quiz editor in headless Chromium, in Korean: a question of every kind (one with a picture and an
explanation), errors shown next to their field, then a game: the picture on the host screen and a phone,
the explanation after the reveal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from tests import browser as b
from tests.factories import host_make
from tests.processes import daphne_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-editor-browser-1"
KOREAN = {"locale": "ko-KR"}
SECTIONS = ("choices", "truefalse", "answers", "slider")


@pytest.fixture
def site(django_db_setup, django_db_blocker, process_logs) -> Iterator[str]:
    with django_db_blocker.unblock():
        proc, port = daphne_start("daphne-editor", process_logs)
    with proc:
        yield f"http://127.0.0.1:{port}"


def visible_sections(page: Page) -> list[str]:
    return [name for name in SECTIONS if page.locator(f"#section-{name}").is_visible()]


def add_question(page: Page, kind: str, text: str) -> None:
    page.select_option("#new-kind", kind)
    page.click("#add-question")
    expect(page.locator("#question-form")).to_have_attribute("data-kind", kind)
    page.fill("#id_text", text)


def save(page: Page) -> None:
    page.click("#save-question")
    expect(page.locator("#question-list")).to_be_visible()


def test_write_a_quiz_of_every_kind_then_play_it(site: str, tmp_path: Path) -> None:
    host_make("editorhost", PASSWORD)
    picture = tmp_path / "map.png"
    Image.new("RGB", (320, 200), "teal").save(picture)
    errors: list[str] = []

    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        host = browser.new_context(**b.DESKTOP, **KOREAN).new_page()
        host.on("pageerror", lambda error: errors.append(str(error)))
        b.host_login(host, site, "editorhost", PASSWORD)
        host.click("#new-quiz")
        host.fill("#id_title", "지리 퀴즈")
        host.click("#quiz-form button[type=submit]")
        expect(host.locator("#quiz-heading")).to_have_text("지리 퀴즈")

        # single, with a picture and an explanation; only the choice rows show for it
        add_question(host, "single", "이 지도는 어느 나라입니까?")
        assert visible_sections(host) == ["choices"]
        host.select_option("#id_kind", "slider")  # the fields follow the kind, without a reload
        assert visible_sections(host) == ["slider"]
        host.select_option("#id_kind", "single")
        host.fill("#id_choices-0-text", "한국")
        host.fill("#id_choices-1-text", "일본")
        host.click("#save-question")  # no right answer ticked: the error shows by the choices, in Korean
        expect(host.locator("#section-choices .field-error")).to_contain_text("정답 선택지가 정확히 하나")
        host.check("#id_choices-0-correct")
        host.set_input_files("#id_image", str(picture))
        host.fill("#id_explanation", "태극기가 보입니다.")
        save(host)

        add_question(host, "multi", "소수는?")
        for i, (text, correct) in enumerate([("2", True), ("4", False), ("5", True)]):
            host.fill(f"#id_choices-{i}-text", text)
            if correct:
                host.check(f"#id_choices-{i}-correct")
        save(host)

        add_question(host, "truefalse", "해는 별이다")
        assert visible_sections(host) == ["truefalse"]
        host.click("#save-question")
        expect(host.locator("#field-truefalse_answer .field-error")).to_have_text(
            "정답을 고르세요: 참 또는 거짓."
        )
        host.get_by_label("참", exact=True).check()
        save(host)

        add_question(host, "text", "가장 큰 바다는?")
        assert visible_sections(host) == ["answers"]
        host.fill("#id_accepted_answers", "태평양\n태평양 바다")
        save(host)

        add_question(host, "slider", "달 착륙 연도는?")
        host.fill("#id_slider_min", "2000")
        host.fill("#id_slider_max", "1900")
        host.fill("#id_correct_value", "1969")
        host.click("#save-question")
        expect(host.locator("#field-slider_max .field-error")).to_have_text(
            "최댓값은 최솟값보다 커야 합니다."
        )
        expect(host.locator("#id_slider_max")).to_have_attribute("aria-invalid", "true")
        host.fill("#id_slider_min", "1900")
        host.fill("#id_slider_max", "2000")
        save(host)

        add_question(host, "poll", "좋아하는 색은?")
        host.fill("#id_choices-0-text", "빨강")
        host.fill("#id_choices-1-text", "파랑")
        save(host)

        expect(host.locator(".question-row")).to_have_count(6)
        host.locator(".question-row").nth(5).locator(".move-up").click()  # the poll before the slider
        expect(host.locator(".question-link").nth(4)).to_have_text("좋아하는 색은?")
        expect(host.locator(".question-row img.thumb")).to_have_count(1)

        expect(host.locator(".question-row small")).to_contain_text(
            ["단일 선택", "복수 선택", "참/거짓", "주관식", "투표", "슬라이더"]
        )
        quiz_id = int(re.search(r"/host/quizzes/(\d+)/", host.url).group(1))

        # a game of it: the picture on the host screen and a phone (in Korean), the explanation after reveal
        host.goto(f"{site}/host/")
        pin = b.host_start_game(host, quiz_id)
        phone = b.player_join(browser.new_context(**b.PHONE, **KOREAN), site, pin, "민지")
        phone.on("pageerror", lambda error: errors.append(str(error)))
        host.click("#btn-start")
        b.wait_question(phone, 1)
        for page in (host, phone):
            image = page.locator(".question-image")
            expect(image).to_be_visible()
            expect(image).to_have_attribute("alt", "이 문제의 그림")
            assert image.evaluate("img => img.complete && img.naturalWidth") == 320
        box = phone.locator(".question-image").bounding_box()
        assert box is not None and box["width"] <= 390
        expect(phone.locator(".explanation")).to_have_count(0)  # never before the reveal
        b.click_choice(phone, "한국")
        expect(host.locator("#view-reveal")).to_be_visible()
        expect(host.locator("#view-reveal .explanation")).to_contain_text("해설: 태극기가 보입니다.")
        expect(phone.locator("#fb-headline")).to_have_text(re.compile("정답"))
        expect(phone.locator("#view-feedback .explanation")).to_contain_text("태극기가 보입니다.")
        host.click("#btn-next")
        host.click("#btn-next")
        b.wait_question(phone, 2)
        expect(phone.locator(".question-image")).to_have_count(0)  # the next question has no picture
        expect(host.locator(".question-image")).to_have_count(0)
        assert errors == []
        browser.close()
