"""Hypothesis throws junk frames at the sockets of a live game on a real daphne process (issue 11).

Junk: non-JSON text, binary and empty frames, JSON that is not an object, objects whose `type` is not a
string, and the known frame types with fields of every wrong type and shape (nested junk, numbers past
64 bits, NaN, lone surrogates, deep nesting, unicode). It goes on six sockets of one game whose first round
is open: a joined player, a player socket that never joined, the host, and the chat as a player, as the host
and as a socket that never said hello.

Properties, for every frame: the server answers it with exactly one frame (an `error` with a documented
code, or the frame's own answer: `answer_ack`, `pong`, `roster`, a chat `message`...); it closes the socket
only with the close code its error documents (never 1011); it logs no traceback; the socket still answers a
`ping` after it. At the end the game goes on for a well-behaved player, the host and the chat.

The server runs with a frame rate limit of 1,000 a second so the examples need no pacing (the limit itself
is covered in test_game_consumers / test_chat_consumer; `rate_limited` would be a valid answer here too).
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from chat.consumers import ChatConsumer
from results.models import Game
from rooms.consumers import HostConsumer, PlayConsumer
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.processes import daphne_start

# The rows are the module fixture's (committed before any test transaction); the mark only makes
# pytest-django set the test database up.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

EXAMPLES = 120  # per socket: six sockets, a few ms an example
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run (no example database either)
    database=None,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ERROR_CODES = {
    "bad_json",
    "unknown_type",
    "invalid",
    "forbidden",
    "rate_limited",
    "too_large",
    "too_long",
    "nickname_taken",
    "game_locked",
    "game_started",
    "bad_token",
    "bad_code",
    "not_found",
    "stale",
    "muted",
    "read_only",
    "chat_off",
}
# An error with one of these codes may close the socket, with this code; no other close is allowed.
CLOSES = {"bad_token": {4001}, "forbidden": {4003}}
# Frames the room sends anyone at any time: not answers to what the socket sent.
BROADCASTS = {
    "lobby",
    "answer_count",
    "question",
    "reveal",
    "result",
    "leaderboard",
    "lock",
    "muted",
    "deleted",
    "chat_state",
    "get_ready",
    "auto_advance",
}
BYSTANDER, FUZZER, HOST = "Bystander Ω", "Fuzz ⚡ player", "fuzzhost"


# --- sockets --------------------------------------------------------------------------------------


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


@dataclass(repr=False)
class Lane:
    """One socket of the game, reopened (and re-identified by `hello`) whenever the server closed it."""

    port: int
    path: str
    token: str | None = None  # the host's API token (Authorization header)
    hello: Callable[[Lane], None] = lambda lane: None
    ws: ClientConnection | None = None
    probes: Iterator[int] = field(default_factory=itertools.count)

    def open(self) -> Lane:
        headers = {"Authorization": f"Token {self.token}"} if self.token else {}
        self.ws = connect(  # entered by hand: closed in close(), or by the server
            f"ws://127.0.0.1:{self.port}{self.path}",
            origin="http://127.0.0.1",  # type: ignore[arg-type]
            additional_headers=headers,
            max_size=2**22,
        ).__enter__()
        self.hello(self)
        return self

    def ensure_open(self) -> None:
        if self.ws is None:
            self.open()

    def send(self, data: str | bytes | dict) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps(data) if isinstance(data, dict) else data)

    def recv(self, timeout: float = 5) -> dict[str, Any]:
        assert self.ws is not None
        try:
            return json.loads(self.ws.recv(timeout))
        except ConnectionClosed as closed:
            self.ws = None
            raise Closed(closed.rcvd.code if closed.rcvd else 1006) from None  # 1006: no close frame

    def expect(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        while True:
            frame = self.recv(timeout)
            if frame["type"] == kind:
                return frame

    def answers_to(self, data: str | bytes | dict) -> tuple[list[dict[str, Any]], int | None]:
        """Sends `data`, then a ping: the frames that came before the pong (broadcasts left out), and the
        close code if the server closed the socket instead of answering the ping."""
        marker = f"probe-{next(self.probes)}"
        self.send(data)
        with contextlib.suppress(ConnectionClosed):  # closed after the junk: recv() says with what code
            self.send({"type": "ping", "client_time": marker})
        answers: list[dict[str, Any]] = []
        try:
            while True:
                frame = self.recv()
                if frame["type"] == "pong" and frame.get("client_time") == marker:
                    return answers, None
                if frame["type"] not in BROADCASTS:
                    answers.append(frame)
        except Closed as closed:
            return answers, closed.code

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None


@dataclass(repr=False)
class Live:
    proc: Any
    port: int
    pin: str
    host_token: str
    player_tokens: dict[str, str]
    lanes: dict[str, Lane]
    bystander: Lane
    question: dict[str, Any]
    log_seen: int = 0

    def new_tracebacks(self) -> str:
        """The server's log since the last call, if it holds a traceback or a 1011 close."""
        out = self.proc.output()
        fresh, self.log_seen = out[self.log_seen :], len(out)
        return fresh if ("Traceback" in fresh or "1011" in fresh) else ""


def resume_as(token: str) -> Callable[[Lane], None]:
    def hello(lane: Lane) -> None:
        lane.send({"type": "resume", "token": token})
        lane.expect("welcome")

    return hello


def chat_hello(token: str) -> Callable[[Lane], None]:
    def hello(lane: Lane) -> None:
        lane.send({"type": "hello", "token": token})
        lane.expect("history")

    return hello


def host_hello(lane: Lane) -> None:
    lane.expect("host_welcome")


def chat_host_hello(lane: Lane) -> None:
    lane.expect("history")


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, process_logs) -> Iterator[Live]:
    """One game on one daphne process, its first round open (no Celery: it stays open), and a lane for
    each socket under test. The rows it wrote are deleted afterwards (no test transaction holds them)."""
    with django_db_blocker.unblock():
        host = host_make(HOST)
        quiz = quiz_every_kind(host, time_limit=240)
        game = game_create(quiz=quiz, host=host)
        host_token = Token.objects.create(user=host).key
    try:
        with django_db_blocker.unblock():
            proc, port = daphne_start("daphne-fuzz", process_logs, QUIZZONE_WS_FRAMES_PER_SECOND="1000")
        with proc, contextlib.ExitStack() as lanes_open:
            pin = game.pin
            host_lane = Lane(port, f"/ws/host/{pin}/", token=host_token, hello=host_hello).open()
            lanes_open.callback(host_lane.close)
            tokens = {}
            for name in (BYSTANDER, FUZZER):
                joining = Lane(port, f"/ws/play/{pin}/").open()
                joining.send({"type": "join", "nickname": name})
                tokens[name] = joining.expect("welcome")["token"]
                joining.close()
            bystander = Lane(port, f"/ws/play/{pin}/", hello=resume_as(tokens[BYSTANDER])).open()
            lanes_open.callback(bystander.close)
            lanes = {
                "player": Lane(port, f"/ws/play/{pin}/", hello=resume_as(tokens[FUZZER])),
                "newcomer": Lane(port, f"/ws/play/{pin}/"),
                "host": host_lane,
                "chat_player": Lane(port, f"/ws/chat/{pin}/", hello=chat_hello(tokens[FUZZER])),
                "chat_host": Lane(port, f"/ws/chat/{pin}/", token=host_token, hello=chat_host_hello),
                "chat_newcomer": Lane(port, f"/ws/chat/{pin}/"),
            }
            for lane in lanes.values():
                lanes_open.callback(lane.close)
            host_lane.send({"type": "start"})
            question = bystander.expect("question")
            assert question["round"] == 1
            yield Live(proc, port, pin, host_token, tokens, lanes, bystander, question)
    finally:
        with django_db_blocker.unblock():
            Game.objects.filter(host=host).delete()
            host.delete()  # its quizzes and token go with it


# --- junk -----------------------------------------------------------------------------------------

surrogates = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
texts = st.one_of(
    st.text(max_size=30),
    surrogates,
    st.sampled_from(["", " ", "\u202e", "\x00", "\ufeff", "x" * 600, "𝕏" * 30, "<script>"]),
)
numbers = st.one_of(
    st.integers(-10, 10),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)
deep = st.integers(100, 3000).map(lambda n: json.loads("[" * min(n, 900) + "]" * min(n, 900)))


# Valid commands that drive the game (their only answer is a broadcast, and `end` would end the game for
# the examples after it). Hypothesis also draws strings from the project's own source (its constant pool),
# so "lock" can come up as an "unknown" type: such frames are left out of the junk.
DRIVING = {"start", "next", "skip", "lock", "unlock", "end"}


# What each socket understands: a frame of one of these types may be a valid command, whose only answer
# is a broadcast (or nothing, when it changes nothing); anything else must get exactly one answer.
UNDERSTOOD = {
    "player": set(PlayConsumer.handlers),
    "newcomer": set(PlayConsumer.handlers),
    "host": set(HostConsumer.handlers),
    "chat_player": set(ChatConsumer.handlers),
    "chat_host": set(ChatConsumer.handlers),
    "chat_newcomer": set(ChatConsumer.handlers),
}


def type_of(data: str | bytes) -> str | None:
    try:
        frame = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return frame["type"] if isinstance(frame, dict) and isinstance(frame.get("type"), str) else None


def drives(data: str | bytes) -> bool:
    return type_of(data) in DRIVING


def frames_of(types: list[str], fields: list[str]) -> st.SearchStrategy[str | bytes]:
    """Frames of the known `types` with some of `fields` set to junk, and junk of every other shape."""
    field_values = st.one_of(values, deep)
    known = st.builds(
        lambda kind, extra: {"type": kind, **extra},
        st.sampled_from(types),
        st.dictionaries(st.sampled_from(fields), field_values, max_size=3),
    )
    objects = st.one_of(
        known,
        st.dictionaries(st.text(max_size=6), values, max_size=4),  # no `type`, mostly
        st.builds(
            lambda t, rest: {**rest, "type": t}, values.filter(lambda v: not isinstance(v, str)), st.just({})
        ),
        st.builds(lambda t: {"type": t}, texts),  # unknown types
    )
    encoded = objects.map(lambda o: json.dumps(o, ensure_ascii=True))  # NaN and 10**400 stay as written
    return st.one_of(
        encoded,
        encoded,
        values.map(json.dumps),  # JSON, not an object
        st.text(max_size=100),  # mostly not JSON
        st.binary(max_size=64),
        st.sampled_from(["", b"", "[" * 5000, '{"type":"ping","client_time":' + "[" * 300 + "]" * 300 + "}"]),
    ).filter(lambda data: not drives(data))


PLAY = frames_of(
    ["join", "resume", "reclaim", "answer", "ping"],
    ["nickname", "token", "code", "round", "choice", "choices", "text", "value", "client_time"],
)
HOST_FRAMES = frames_of(
    ["kick", "unkick", "late_join", "roster", "ping", "chat", "get_ready", "auto_advance"],
    [
        "player_id",
        "nickname",
        "allowed",
        "offset",
        "limit",
        "prefix",
        "client_time",
        "enabled",
        "ms",
        "delay_ms",
    ],
)
CHAT = frames_of(
    ["hello", "say", "delete", "mute", "unmute", "ping"], ["token", "text", "id", "player_id", "client_time"]
)

BARE_HOST = [json.dumps({"type": t}) for t in sorted(UNDERSTOOD["host"] - DRIVING)]

# Frames that once crashed a consumer (1011 and a traceback): they stay as explicit examples.
REGRESSIONS = [
    "[" * 5000,  # json.loads: RecursionError
    '{"type":"ping","client_time":' + str(2**64) + "}",  # echoed: orjson cannot encode past 64 bits
    '{"type":"ping","client_time":' + "[" * 300 + "]" * 300 + "}",  # echoed: orjson nests 254 deep
    '{"type":"ping","client_time":"\\ud800"}',  # echoed: orjson refuses a lone surrogate
    '{"type":"answer","round":' + str(10**30) + ',"choice":1}',  # answer_ack echoes the round
    '{"type":"answer","round":5,"value":' + str(10**400) + "}",  # slider: math.isfinite overflowed
    '{"type":"resume","token":"\\udfff"}',  # Redis cannot encode a lone surrogate
]


def check(live: Live, lane_name: str, data: str | bytes) -> None:
    lane = live.lanes[lane_name]
    lane.ensure_open()
    answers, close_code = lane.answers_to(data)
    assert not (logged := live.new_tracebacks()), f"the server logged:\n{logged[-4000:]}"
    assert close_code != 1011
    if close_code is not None:
        codes = [a.get("code") for a in answers if a["type"] == "error"]
        assert codes and close_code in CLOSES.get(codes[-1], set()), (answers, close_code)
        lane.open()  # a documented close: the socket comes back as before
        return
    if not answers and type_of(data) in UNDERSTOOD[lane_name]:
        return  # a valid command: its effect went to the room
    assert len(answers) == 1, answers
    (answer,) = answers
    if answer["type"] == "error":
        assert answer["code"] in ERROR_CODES and isinstance(answer["message"], str), answer


def examples(*frames: str) -> Callable:
    def decorate(test: Callable) -> Callable:
        for frame in frames:
            test = example(data=frame)(test)
        return test

    return decorate


@SETTINGS
@given(data=PLAY)
@examples(*REGRESSIONS)
def test_junk_on_a_joined_players_socket(live: Live, data: str | bytes) -> None:
    check(live, "player", data)


@SETTINGS
@given(data=PLAY)
@examples(*REGRESSIONS)
def test_junk_on_a_player_socket_before_join(live: Live, data: str | bytes) -> None:
    check(live, "newcomer", data)


@SETTINGS
@given(data=HOST_FRAMES)
@examples(*REGRESSIONS[:4], '{"type":"kick","nickname":"\\ud800"}', '{"type":"roster","prefix":"\\ud800"}')
@examples(*BARE_HOST, '{"type":"chat","enabled":true}', '{"type":"auto_advance","enabled":false}')
def test_junk_on_the_host_socket(live: Live, data: str | bytes) -> None:
    check(live, "host", data)


@SETTINGS
@given(data=CHAT)
@examples(*REGRESSIONS[:4], '{"type":"say","text":"\\ud800"}', '{"type":"delete","id":' + str(2**64) + "}")
def test_junk_on_a_players_chat_socket(live: Live, data: str | bytes) -> None:
    check(live, "chat_player", data)


@SETTINGS
@given(data=CHAT)
@examples(*REGRESSIONS[:4], '{"type":"mute","player_id":"\\ud800"}', '{"type":"delete","id":-1}')
def test_junk_on_the_hosts_chat_socket(live: Live, data: str | bytes) -> None:
    check(live, "chat_host", data)


@SETTINGS
@given(data=CHAT)
@examples(*REGRESSIONS[:4], '{"type":"hello","token":"\\ud800"}')
def test_junk_on_a_chat_socket_before_hello(live: Live, data: str | bytes) -> None:
    check(live, "chat_newcomer", data)


def test_oversize_frames_close_only_their_socket(live: Live) -> None:
    """A frame over 64 KiB fails its own connection inside daphne (1009, or 1006): documented."""
    for name in ("player", "host", "chat_player"):
        lane = live.lanes[name]
        lane.ensure_open()
        answers, code = lane.answers_to(json.dumps({"type": "ping", "client_time": "x" * 70_000}))
        assert code in (1009, 1006), (name, answers, code)
        lane.open()
        answers, code = lane.answers_to({"type": "ping", "client_time": 1})
        assert code is None and [(a["type"], a["client_time"]) for a in answers] == [("pong", 1)]
    assert not live.new_tracebacks()


def test_the_game_goes_on_for_everyone(live: Live) -> None:
    """After all that: the bystander answers, the host closes the round and moves on, the chat talks."""
    bystander, host = live.bystander, live.lanes["host"]
    bystander.send({"type": "answer", "round": 1, "choice": live.question["choices"][0]["id"]})
    ack = bystander.expect("answer_ack")
    assert ack["round"] == 1 and ack["accepted"] is True
    host.ensure_open()
    host.send({"type": "skip"})
    assert bystander.expect("reveal")["round"] == 1
    assert bystander.expect("result")["round"] == 1
    host.send({"type": "next"})
    bystander.expect("leaderboard")
    host.send({"type": "next"})
    assert bystander.expect("question")["round"] == 2
    chat_host, chat_player = live.lanes["chat_host"], live.lanes["chat_player"]
    chat_host.ensure_open()
    chat_player.ensure_open()
    chat_host.send({"type": "say", "text": "still here?"})
    assert chat_player.expect("message")["text"] == "still here?"
    assert not live.new_tracebacks()
