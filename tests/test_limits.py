"""Abuse limits shared by every worker (realtime/limits.py): rates in Redis, the per-address socket cap,
PIN guessing, and per-player answers over all of a player's sockets. Each test counts for addresses of
its own, so the run's shared counters never meet."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import urllib.error
import urllib.request

import pytest
from channels.db import database_sync_to_async as db
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from websockets.exceptions import ConnectionClosed

from realtime.frames import CLOSE_TOO_MANY
from realtime.limits import Rate, address_from
from rooms import actions
from rooms.services import game_create
from tests.factories import correct_answer, host_make, quiz_every_kind
from tests.netclient import Client
from tests.processes import Proc, serve_start
from tests.ws import Socket

_addresses = itertools.count(1)


def address() -> str:
    """A documentation address (RFC 5737) no other test uses."""
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


def rates(**overrides: str):
    from django.conf import settings

    return override_settings(QUIZZONE_RATES={**settings.QUIZZONE_RATES, **overrides})


# --- parsing and addresses ----------------------------------------------------------------------


def test_rates_parse_and_zero_turns_a_limit_off():
    assert Rate.parse("10/min") == Rate(10, 60_000)
    assert Rate.parse("30/10s") == Rate(30, 10_000)
    assert Rate.parse("5/s") == Rate(5, 1000)
    assert Rate.parse("100/h") == Rate(100, 3_600_000)
    assert Rate.parse("0/s").off
    with pytest.raises(ValueError, match="unknown rate period"):
        Rate.parse("3/fortnight")


def test_the_client_address_is_taken_from_trusted_proxies_only():
    assert address_from("203.0.113.5", "10.0.0.1") == "203.0.113.5"  # not a proxy: its header is ignored
    assert address_from("127.0.0.1", "203.0.113.5") == "203.0.113.5"  # HAProxy on this machine
    assert address_from("127.0.0.1", "6.6.6.6, 203.0.113.5") == "203.0.113.5"  # the first hop is forgeable
    assert address_from("127.0.0.1", None) == "127.0.0.1"
    assert address_from(None, None) == "unknown"


# --- HTTP: tokens, game creation, PIN guessing ----------------------------------------------------


@pytest.mark.django_db
def test_token_attempts_per_address_get_429_with_retry_after():
    host_make("tina", "pw-tina-123")
    client, guesser, other = APIClient(), address(), address()
    with rates(token="3/min"):
        for _ in range(3):
            wrong = client.post(
                "/api/auth/token/", {"username": "tina", "password": "nope"}, REMOTE_ADDR=guesser
            )
            assert wrong.status_code == 400
        refused = client.post(
            "/api/auth/token/", {"username": "tina", "password": "pw-tina-123"}, REMOTE_ADDR=guesser
        )
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
        # Behind the load balancer, each client is counted by the address the proxy saw.
        behind = client.post(
            "/api/auth/token/",
            {"username": "tina", "password": "pw-tina-123"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=other,
        )
        assert behind.status_code == 200 and behind.json()["token"]


@pytest.mark.django_db
def test_game_creation_is_limited_per_host():
    host = host_make("gail", "pw-gail-123")
    quiz = quiz_every_kind(host)
    client = APIClient()
    client.force_authenticate(host)
    with rates(game_create="2/min"):
        for _ in range(2):
            assert client.post("/api/games/", {"quiz": quiz.id}, format="json").status_code == 201
        assert client.post("/api/games/", {"quiz": quiz.id}, format="json").status_code == 429


@pytest.mark.django_db
def test_walking_pins_is_refused_even_for_a_real_pin():
    host = host_make("pia", "pw-pia-123")
    game = game_create(quiz=quiz_every_kind(host), host=host)
    client, walker, player = APIClient(), address(), address()
    with rates(pin_miss="3/min"):
        for guess in ("000001", "000002", "000003"):
            assert client.get(f"/api/games/{guess}/", REMOTE_ADDR=walker).status_code == 404
        assert client.get("/api/games/000004/", REMOTE_ADDR=walker).status_code == 404  # the one too many
        found = client.get(f"/api/games/{game.pin}/", REMOTE_ADDR=walker)
        assert found.status_code == 429 and int(found["Retry-After"]) >= 1
        assert client.get(f"/play/{game.pin}/", REMOTE_ADDR=walker).status_code == 429
        assert client.get(f"/api/gateway/?pin={game.pin}", REMOTE_ADDR=walker).status_code == 429
        # Someone else typing the right PIN is not affected.
        assert client.get(f"/api/games/{game.pin}/", REMOTE_ADDR=player).status_code == 200


# --- live game: joins per address, answers per player --------------------------------------------


@db
def live_game():
    host = host_make()
    quiz = quiz_every_kind(host, time_limit=20)
    game = game_create(quiz=quiz, host=host)
    return quiz, game, Token.objects.create(user=host).key


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_joins_are_limited_per_address_per_game():
    quiz, game, token = await live_game()
    crowd, other = address(), address()
    with rates(join="3/min"):
        for i in range(3):
            assert type((await actions.game_join(game.pin, f"p{i}", crowd))[0]).__name__ == "Welcome"
        refused = (await actions.game_join(game.pin, "p3", crowd))[0]
        assert refused.frame()["code"] == "rate_limited"
        assert type((await actions.game_join(game.pin, "p4", other))[0]).__name__ == "Welcome"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_answer_attempts_are_limited_per_player_over_all_their_sockets():
    quiz, game, token = await live_game()
    host = await Socket(f"/ws/host/{game.pin}/", [(b"authorization", f"Token {token}".encode())]).connect()
    await host.expect("host_welcome")
    first = await Socket(f"/ws/play/{game.pin}/").connect()
    await first.send({"type": "join", "nickname": "dup"})
    welcome = await first.expect("welcome")
    idle = await Socket(f"/ws/play/{game.pin}/").connect()  # keeps the round open
    await idle.send({"type": "join", "nickname": "idle"})
    await idle.expect("welcome")
    second = await Socket(f"/ws/play/{game.pin}/").connect()  # the same player on a second socket
    await second.send({"type": "resume", "token": welcome["token"]})
    await second.expect("welcome")
    with rates(answer="4/min"):
        await host.send({"type": "start"})
        question = await first.expect("question")
        await second.expect("question")
        answer = {"type": "answer", "round": 1, **await db(correct_answer)(question, quiz)}
        await first.send(answer)
        assert (await first.expect("answer_ack"))["accepted"]
        for sock in (second, first, second):
            await sock.send(answer)
            assert (await sock.expect("answer_ack"))["reason"] == "duplicate"
        await first.send(answer)  # the fifth attempt of this player, whatever the socket
        assert (await first.expect("error"))["code"] == "rate_limited"
    for sock in (host, first, second, idle):
        await sock.comm.disconnect()


# --- WebSockets per address, over two real workers ---------------------------------------------


@pytest.fixture(scope="module")
def capped_pair(django_db_setup, django_db_blocker, process_logs):
    """Two workers with a cap of 4 open sockets, 12 handshakes in 3 s and 5 wrong PINs a minute per
    address."""
    procs: list[Proc] = []
    env = {
        "QUIZZONE_WS_SOCKETS_PER_ADDRESS": "4",
        "QUIZZONE_RATE_WS_HANDSHAKE": "12/3s",
        "QUIZZONE_RATE_PIN_MISS": "5/min",
    }
    try:
        ports = []
        for name in ("cap-a", "cap-b"):
            proc, port = serve_start(name, process_logs, heartbeat_seconds=0.5, **env)
            procs.append(proc)
            ports.append(port)
        yield ports
    finally:
        for proc in procs:
            proc.stop()


async def refusal(port: int, path: str) -> str | None:
    """The reason a new socket was refused, or None when it was let in (and is closed again)."""
    client = await Client.open(port, path)
    with contextlib.suppress(ConnectionClosed):  # a refused socket may be closed before this is sent
        await client.send({"type": "ping", "client_time": 0})
    frame = await client.recv(5)
    if frame["type"] == "reconnect":
        assert frame["retry_after_ms"] > 0
        assert (await client.recv(5))["code"] == CLOSE_TOO_MANY
        return frame["reason"]
    assert frame["type"] == "pong"
    await client.close()
    await asyncio.sleep(0.05)  # its worker counts it out
    return None


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_per_address_are_capped_over_every_worker(capped_pair):
    port_a, port_b = capped_pair
    quiz, game, token = await live_game()
    path = f"/ws/play/{game.pin}/"
    await asyncio.sleep(1)  # both workers have registered
    held = [await Client.open(port, path) for port in (port_a, port_a, port_b, port_b)]
    for sock in held:
        await sock.send({"type": "ping", "client_time": 1})
        assert (await sock.expect("pong"))["client_time"] == 1
    # A fifth, on a worker holding only two of them.
    assert await refusal(port_a, path) == "too_many_connections"
    await held.pop().close()  # one closed on worker B frees a place on worker A
    await asyncio.sleep(0.3)
    assert await refusal(port_a, path) is None
    for sock in held:
        await sock.close()


@pytest.mark.django_db(transaction=True)
async def test_handshakes_per_address_are_rate_limited(capped_pair):
    port_a, port_b = capped_pair
    quiz, game, token = await live_game()
    await asyncio.sleep(3 - time.time() % 3)  # the start of a fresh 3 s window
    reasons = []
    for i in range(30):
        reasons.append(await refusal((port_a, port_b)[i % 2], f"/ws/play/{game.pin}/"))
        if reasons[-1]:
            break
    assert reasons[-1] == "too_many_handshakes"
    assert 12 <= len(reasons) - 1 <= 24  # a fixed window lets at most twice the limit through its edge


@pytest.mark.django_db(transaction=True)
async def test_the_gateway_refuses_an_address_walking_pins(capped_pair):
    port_a, _ = capped_pair
    quiz, game, token = await live_game()

    def status(pin: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port_a}/api/gateway/?pin={pin}", timeout=5):
                return 200
        except urllib.error.HTTPError as error:
            return error.code

    assert await asyncio.to_thread(status, game.pin) == 200
    statuses = []
    for n in range(1, 12):
        statuses.append(await asyncio.to_thread(status, f"{n:06d}"))
        if statuses[-1] == 429:
            break
    assert statuses[0] == 404 and statuses[-1] == 429
    assert await asyncio.to_thread(status, game.pin) == 429
