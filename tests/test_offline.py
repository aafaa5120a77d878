"""No page of the site loads anything from another host: every page a teacher, a player or staff opens, in
headless Chromium, with every request recorded (and any to another host refused), and the API docs (Swagger
UI, ReDoc, served from drf-spectacular-sidecar) drawn without the internet."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, Request, Route, expect, sync_playwright

from results.models import Game, GamePlayer
from tests import browser as b
from tests.factories import host_make
from tests.processes import daphne_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-offline-host-1"


@pytest.fixture
def site(django_db_setup, django_db_blocker, process_logs) -> Iterator[str]:
    with django_db_blocker.unblock():
        proc, port = daphne_start("daphne-offline", process_logs)
    with proc:
        yield f"http://127.0.0.1:{port}"


class Recorder:
    """Every request of the contexts it watches; one to another host is aborted and kept in `outside`, unless
    the page's Content-Security-Policy stopped it in the browser (`blocked`: nothing left the machine)."""

    def __init__(self, base: str) -> None:
        self.origin = urlsplit(base).netloc
        self.seen: list[str] = []
        self.foreign: list[str] = []
        self.blocked: list[str] = []

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.route("**/*", self.route)
        context.on("request", lambda request: self.record(request.url))
        context.on("requestfailed", self.failed)
        context.on("page", lambda page: page.on("websocket", lambda ws: self.record(ws.url)))
        return context

    def record(self, url: str) -> None:
        self.seen.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.origin:
            self.foreign.append(url)

    def failed(self, request: Request) -> None:
        if request.failure == "csp":
            self.blocked.append(request.url)

    @property
    def outside(self) -> list[str]:
        return [url for url in self.foreign if url not in self.blocked]

    def route(self, route: Route) -> None:
        if urlsplit(route.request.url).netloc == self.origin:
            route.continue_()
        else:
            route.abort("blockedbyclient")


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")


def test_no_page_loads_anything_from_another_host(site: str) -> None:
    host = host_make("offlinehost", PASSWORD)
    quiz = b.quiz_make(host, b.THREE_QUESTIONS, "Offline quiz", time_limit=20)
    User.objects.create_superuser("offlinestaff", password=PASSWORD)
    finished = Game.objects.create(pin="765432", quiz=quiz, host=host, status=Game.Status.FINISHED)
    GamePlayer.objects.create(game=finished, player_id="p1", nickname="ann", score=950, rank=1)
    recorder = Recorder(site)

    with sync_playwright() as p:
        expect.set_options(timeout=10_000)
        browser = b.launch(p)
        teacher = recorder.watch(browser.new_context(**b.DESKTOP)).new_page()
        visit(teacher, f"{site}/")
        b.host_login(teacher, site, "offlinehost", PASSWORD)  # the login page, then My quizzes
        teacher.wait_for_load_state("networkidle")
        pin = b.host_start_game(teacher, quiz.id)  # the host console, live
        expect(teacher.locator(".qr-link svg.qr")).to_be_visible()
        expect(teacher.locator("#join-local")).to_contain_text("make classroom")  # 127.0.0.1: say how

        phone = b.player_join(recorder.watch(browser.new_context(**b.PHONE)), site, pin, "ann")  # join, play
        expect(teacher.locator("#lobby-count")).to_have_text("1")
        phone.wait_for_load_state("networkidle")

        visit(teacher, f"{site}/host/{finished.pin}/results/")
        expect(teacher.locator("body")).to_contain_text("ann")

        staff = recorder.watch(browser.new_context(**b.DESKTOP)).new_page()
        visit(staff, f"{site}/admin/login/")
        staff.fill("#id_username", "offlinestaff")
        staff.fill("#id_password", PASSWORD)
        staff.click("input[type=submit]")
        staff.wait_for_url(f"{site}/admin/")
        visit(staff, f"{site}/admin/quizzes/quiz/{quiz.id}/change/")
        expect(staff.locator("#id_title")).to_have_value("Offline quiz")

        visit(staff, f"{site}/api/docs/")
        expect(staff.locator("#swagger-ui .information-container .title")).to_contain_text("QuizZone API")
        expect(staff.locator("#swagger-ui .opblock").first).to_be_visible()

        visit(staff, f"{site}/api/redoc/")
        expect(staff.locator("redoc .api-info h1")).to_contain_text("QuizZone API")
        expect(staff.locator("redoc").get_by_role("menuitem", name="games")).to_be_visible()
        browser.close()

    assert recorder.outside == [], f"requests to other hosts: {recorder.outside}"
    # ReDoc's attribution logo (cdn.redoc.ly) is all its page's policy has to stop
    assert set(recorder.blocked) <= {"https://cdn.redoc.ly/redoc/logo-mini.svg"}, recorder.blocked
    loaded = " ".join(recorder.seen)
    for dist in ("swagger-ui-dist", "redoc"):
        assert f"/static/drf_spectacular_sidecar/{dist}/" in loaded  # the docs' scripts came from this server
