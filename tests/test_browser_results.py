"""The results page in headless Chromium, in Korean: kind names, votes per choice as bars, a question the
game ended before asking, and the three downloads (CSV, grid CSV, .xlsx) opened back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect, sync_playwright

from results.models import GameWorkbook
from tests import browser as b
from tests.factories import host_make
from tests.processes import daphne_start
from tests.report_fixtures import KOREAN_NAME, report_game

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-results-host-1"


@pytest.fixture
def site(django_db_setup, django_db_blocker, process_logs) -> Iterator[str]:
    with django_db_blocker.unblock():
        proc, port = daphne_start("daphne-results", process_logs)
    with proc:
        yield f"http://127.0.0.1:{port}"


def test_results_page_in_korean(site: str, celery_worker: object, tmp_path: Path) -> None:
    game = report_game(host_make("resultshost", PASSWORD))
    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        context = browser.new_context(**b.DESKTOP, locale="ko-KR", accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        b.host_login(page, site, "resultshost", PASSWORD)
        page.goto(f"{site}/host/{game.pin}/results/")

        expect(page.locator("#standings-title")).to_have_text("최종 순위")
        expect(page.locator("#questions td.kind")).to_have_text(
            ["단일 선택", "복수 선택", "참/거짓", "주관식", "슬라이더", "투표", "슬라이더"]
        )
        expect(page.locator("#standings tbody tr[data-kicked] td").first).to_have_text("—")

        poll = page.locator('#questions tr[data-round="6"]')
        expect(poll.locator(".vote .vote-text")).to_have_text(["red", "blue"])
        expect(poll.locator(".vote-count")).to_have_text(["2표", "1표"])
        bars = poll.locator(".vote-bar span")
        red, blue = (bars.nth(i).bounding_box()["width"] for i in range(2))
        track = poll.locator(".vote-bar").first.bounding_box()["width"]
        assert 0 < blue < red < track and abs(red - 2 * blue) < 3, (red, blue, track)
        expect(poll).to_contain_text("투표: 정답 없음")
        single = page.locator('#questions tr[data-round="1"]')
        expect(single.locator(".vote.right .vote-text")).to_contain_text("Paris")

        unasked = page.locator('#questions tr[data-round="7"]')
        expect(unasked.locator(".not-asked-label")).to_have_text("출제 안 됨")
        expect(unasked).not_to_contain_text("0%")
        assert unasked.locator(".meter").count() == 0

        files = {}
        for link in ("#csv-link", "#grid-link", "#xlsx-link"):
            with page.expect_download() as info:
                page.click(link)
            files[link] = tmp_path / info.value.suggested_filename
            info.value.save_as(files[link])
        assert files["#grid-link"].name == f"quizzone-{game.pin}-grid.csv"
        grid = files["#grid-link"].read_bytes()
        assert grid.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(grid.decode("utf-8-sig"))))
        assert rows[0][:3] == ["순위", "닉네임", "상태"] and rows[1][:2] == ["1", KOREAN_NAME]
        book = load_workbook(files["#xlsx-link"])
        assert book.sheetnames == ["순위표", "답변", "문제"] and book["순위표"]["B2"].value == KOREAN_NAME
        progress = page.locator("#workbook-progress progress")  # shown while Celery built it
        expect(progress).to_have_attribute("value", progress.get_attribute("max") or "?")
        answers = files["#csv-link"].read_bytes().decode("utf-8-sig")
        assert "Paris" in answers and KOREAN_NAME in answers

        page.screenshot(path=str(tmp_path / "results-ko.png"), full_page=True)
        assert errors == []
        browser.close()
    built = GameWorkbook.objects.get(game=game)  # by the Celery worker, in the page's language
    assert (built.state, built.language, built.rows_done) == ("ready", "ko", built.rows_total)
    assert bytes(built.content) == files["#xlsx-link"].read_bytes()
