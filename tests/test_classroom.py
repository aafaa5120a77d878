"""Classroom mode: phones on the local network get an address they can reach (QUIZZONE_PUBLIC_URL or the
LAN address) in the join link, the QR code, the API and the gateway; a server on every interface admits it."""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from deploy import supervisor
from realtime import network
from realtime.gateway import fallback_base
from results.models import Game
from rooms.pages import _join_url
from rooms.qr import qr_svg, qr_svg_document
from tests.factories import host_make, quiz_every_kind
from tests.processes import Proc, child_env, free_port, stopped_on_error, wait_for_port
from tests.waiting import eventually_sync

IP_OUTPUT = """\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
3: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever
4: eth1    inet 81.2.69.160/24 brd 81.2.69.255 scope global eth1\\       valid_lft forever
5: wlp2s0    inet 192.168.1.20/24 brd 192.168.1.255 scope global dynamic wlp2s0\\       valid_lft 86000sec
6: wlp3s0    inet 169.254.3.4/16 scope global wlp3s0
"""


# --- the address logic ---------------------------------------------------------------------------


def test_the_lan_address_comes_from_the_routing_table_or_ip_without_asking_anyone() -> None:
    assert network.addresses_from_ip(IP_OUTPUT) == ["192.168.1.20", "81.2.69.160", "172.17.0.1"]
    assert network.addresses_from_ip("") == []
    found = network.lan_address()
    assert found is None or network.reachable(found)  # whatever this machine has, never loopback


@pytest.mark.parametrize(
    ("given", "site", "ws"),
    [
        ("http://192.168.1.20:8000/", "http://192.168.1.20:8000", "ws://192.168.1.20:8000"),
        ("https://quiz.school.example", "https://quiz.school.example", "wss://quiz.school.example"),
        ("ws://10.0.0.5:8001", "http://10.0.0.5:8001", "ws://10.0.0.5:8001"),
        ("  ", "", ""),
    ],
)
def test_public_urls_are_site_bases_in_either_scheme(given: str, site: str, ws: str) -> None:
    assert network.http_url(given) == site
    assert network.ws_url(given) == ws


@pytest.mark.parametrize("bad", ["192.168.1.20:8000", "ftp://x", "http://host/quiz", "http://"])
def test_a_public_url_that_is_no_site_base_is_refused_by_name(bad: str) -> None:
    with pytest.raises(ValueError, match="QUIZZONE_PUBLIC_URL"):
        network.http_url(bad)


@pytest.mark.parametrize(
    ("host", "public", "lan", "expected"),
    [
        ("0.0.0.0", "", "192.168.1.20", "http://192.168.1.20:8000"),
        ("0.0.0.0", "http://quiz.lan:80", "192.168.1.20", "http://quiz.lan:80"),
        ("127.0.0.1", "https://quiz.example", None, "https://quiz.example"),
        ("0.0.0.0", "", "", ""),  # serving the network with no LAN address: the browser's address
        ("127.0.0.1", "", None, ""),
        ("localhost", "", None, ""),
        ("::1", "", None, ""),
        ("192.168.1.20", "", None, "http://192.168.1.20:8000"),
    ],
)
def test_the_site_url_phones_get(host: str, public: str, lan: str | None, expected: str) -> None:
    assert network.site_url(host, 8000, public, lan) == expected


def test_the_public_url_is_admitted_as_a_host_and_an_origin() -> None:
    hosts, origins = network.admitted("http://192.168.1.20:8000", ["127.0.0.1"], [])
    assert hosts == ["127.0.0.1", "192.168.1.20"] and origins == ["http://192.168.1.20:8000"]
    assert network.admitted("http://192.168.1.20:8000", hosts, origins) == (hosts, origins)
    assert network.admitted("https://[fd00::5]:8443", [], [])[0] == ["[fd00::5]"]
    assert network.admitted("", ["a"], ["b"]) == (["a"], ["b"])


def test_make_run_on_the_network_gives_its_worker_the_site_url(tmp_path: Path) -> None:
    site = "http://192.168.1.20:8000"
    conf = supervisor.render("run", [8000], tmp_path, host="0.0.0.0", site_url=site, lan="192.168.1.20")
    assert "--host 0.0.0.0 --port 8000 --worker-id web-8000 --public-url ws://192.168.1.20:8000" in conf
    assert f'environment=QUIZZONE_PUBLIC_URL="{site}"' in conf
    cluster = supervisor.render(
        "c", [8001, 8002], tmp_path, tmp_path / "h.cfg", "0.0.0.0", site_url=site, lan="192.168.1.20"
    )
    assert "--public-url ws://192.168.1.20:8002" in cluster  # behind HAProxy phones reach each worker
    local = supervisor.render("run", [8000], tmp_path)
    assert "--public-url ws://127.0.0.1:8000" in local and "environment=" not in local


@override_settings(PUBLIC_URL="http://192.168.1.20:8000")
def test_pages_and_the_gateway_hand_out_the_public_url() -> None:
    request = RequestFactory().get("/host/123456/", HTTP_HOST="127.0.0.1:8000")
    assert _join_url(request, "123456") == "http://192.168.1.20:8000/join/?pin=123456"
    assert fallback_base(False, "127.0.0.1:8000") == "ws://192.168.1.20:8000"


def test_without_a_public_url_the_browsers_address_is_used() -> None:
    request = RequestFactory().get("/host/123456/", HTTP_HOST="127.0.0.1:8000")
    assert _join_url(request, "123456") == "http://127.0.0.1:8000/join/?pin=123456"
    assert fallback_base(True, "quiz.example") == "wss://quiz.example"


@pytest.mark.django_db
def test_the_console_tells_the_teacher_when_phones_cannot_open_the_join_link() -> None:
    host = host_make("teacher", "pw-teacher-1")
    pin = Game.objects.create(pin="234567", quiz=quiz_every_kind(host), host=host).pin
    teacher = Client(HTTP_HOST="127.0.0.1:8000")
    teacher.force_login(host)
    html = teacher.get(f"/host/{pin}/").content.decode()
    assert 'id="join-local"' in html and "make classroom" in html
    korean = teacher.get(f"/host/{pin}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "같은 Wi-Fi의 휴대폰으로 참가하려면" in korean
    with override_settings(PUBLIC_URL="http://192.168.1.20:8000"):
        assert 'id="join-local"' not in teacher.get(f"/host/{pin}/").content.decode()


# --- a real worker on every interface ------------------------------------------------------------


@pytest.fixture
def classroom_server(django_db_setup, django_db_blocker, process_logs) -> Iterator[tuple[int, str]]:
    """`python -m realtime.serve --host 0.0.0.0` as `make classroom` starts it, with a public URL on another
    loopback address (127.0.0.2): a server bound to 127.0.0.1 only would not answer there."""
    port = free_port()
    public = f"http://127.0.0.2:{port}"
    args = [sys.executable, "-m", "realtime.serve", "--host", "0.0.0.0", "--port", str(port)]
    args += ["--worker-id", "classroom", "--heartbeat-seconds", "0.5", "--drain-grace", "0"]
    with django_db_blocker.unblock():
        proc = Proc("classroom", args, child_env(QUIZZONE_PUBLIC_URL=public), process_logs)
    with proc, stopped_on_error(proc):
        wait_for_port(port, proc)
        yield port, public


def http(url: str, body: dict | None = None, **headers: str) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **headers} if data else headers
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_phones_get_the_public_url_from_a_server_on_every_interface(
    classroom_server: tuple[int, str],
) -> None:
    port, public = classroom_server
    host = host_make("teacher", "pw-teacher-1")
    quiz = quiz_every_kind(host)
    token = Token.objects.create(user=host).key

    # a phone's request to the public address (another interface, another Host header) is served
    status, body = http(f"{public}/api/games/", {"quiz": quiz.id}, Authorization=f"Token {token}")
    assert status == 201, body
    created = json.loads(body)
    pin = created["pin"]
    assert created["join_url"] == f"{public}/join/?pin={pin}"
    assert created["play_ws"] == f"ws://127.0.0.2:{port}/ws/play/{pin}/"

    def gateway() -> dict | None:
        status, body = http(f"{public}/api/gateway/?pin={pin}")
        answer = json.loads(body) if status == 200 else None
        return answer if answer and answer["worker"] == "classroom" else None  # registered, not a stale one

    answer = eventually_sync(gateway, timeout=15, interval=0.2)
    assert answer["url"] == f"ws://127.0.0.2:{port}/ws/play/{pin}/"

    # the teacher on this machine (127.0.0.1) sees the public join link and its QR code
    teacher = Client()
    teacher.force_login(host)
    session = teacher.cookies["sessionid"].value
    status, page = http(f"http://127.0.0.1:{port}/host/{pin}/", Cookie=f"sessionid={session}")
    assert status == 200
    join_url = f"{public}/join/?pin={pin}"
    html = page.decode()
    assert f'href="{join_url}" class="join-url">{join_url}</a>' in html
    assert qr_svg(join_url, f"Join game {pin}") in html
    assert 'id="join-local"' not in html  # no "only this computer" note
    status, svg = http(f"http://127.0.0.1:{port}/join/{pin}/qr.svg")
    assert status == 200 and svg == qr_svg_document(join_url, f"Join game {pin}")

    asyncio.run(join_over_the_network(answer["url"], public))


async def join_over_the_network(url: str, origin: str) -> None:
    """The phone's socket, from the page it loaded at the public URL: the Origin check admits it."""
    async with connect(url, origin=origin, open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "join", "nickname": "phone"}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert welcome["type"] == "welcome", welcome
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin="http://elsewhere.example", open_timeout=10):
            pass
    assert refused.value.response.status_code == 403
