"""No frame or response tells anyone the right answer before that round's `reveal` (docs/protocol.md:
"Nothing in it or in any frame before `reveal` tells which answer is right"; no exception for the host).

A whole game of every question kind runs on two daphne processes with a real Celery worker. Every frame
each role receives (host console, a player answering right, one answering wrong, one never answering, one
who drops and resumes mid-round, a second host console opened mid-round, player and host chat, a player
who tries to join late) is recorded with its time and the round the test was in, and so is every response
of the HTTP views a player or an anonymous visitor can read during the game. Afterwards each recording is
walked value by value, in the order it was received, against the answer key of every round not yet revealed
to that role.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from channels.db import database_sync_to_async as db
from django.conf import settings
from django.test import Client as DjangoClient
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed

from quizzes.kinds import KINDS, POLL, SLIDER, TEXT
from rooms.game.quiz import QuestionSpec, normalize_text
from rooms.services import game_create, quiz_spec_build
from tests.factories import correct_answer, host_make, quiz_every_kind, wrong_answer
from tests.netclient import Client

# Keys that name correctness. Checked while a round is open (and in the lobby) in every frame and response.
SUSPICIOUS_KEY = re.compile(
    r"correct|accept|right|solution|tolerance|expected|answer_key|^answers?$|^valid$|^winner", re.I
)
ALLOWED_KEYS = {("answer_ack", ("accepted",))}  # "the answer was taken", never "the answer was right"
ACK_KEYS = {"type", "round", "accepted", "reason"}  # docs/protocol.md: all that answer_ack carries
CHOICE_KEYS = {"id", "text", "image"}
# Numbers that are counts, times or ids; a slider's right value anywhere else is a leak.
SAFE_NUMBER_KEYS = {
    "score", "points", "rank", "streak", "round", "total_rounds", "players", "answered", "id", "ts",
    "server_time", "opens_at", "deadline", "client_time", "retry_after_ms", "time_limit_ms",
    "players_total", "players_active", "players_kicked", "offset", "total",
}  # fmt: skip
JSON_SCRIPT = re.compile(r'<script id="([^"]+)" type="application/json">(.*?)</script>', re.S)
UI_STRINGS_ID = "qz-strings"  # the pages' label catalogue ("correct": "Correct!"): values only


@dataclass(frozen=True)
class AnswerKey:
    round: int
    kind: str
    choices: dict[int, str]
    correct_ids: frozenset[int]
    accepted: tuple[str, ...]
    value: float | None

    @classmethod
    def of(cls, round_no: int, q: QuestionSpec) -> AnswerKey:
        return cls(
            round_no,
            q.kind,
            {c.id: c.text for c in q.choices},
            q.correct_ids if q.kind != POLL else frozenset(),
            tuple(normalize_text(a) for a in q.accepted_answers) if q.kind == TEXT else (),
            q.correct_value if q.kind == SLIDER else None,
        )


def nodes(value: Any, key: str | None = None, path: tuple = ()) -> Iterator[tuple[tuple, str | None, Any]]:
    """Every JSON value with the key it sits under and its path."""
    yield path, key, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from nodes(v, str(k), (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from nodes(v, key, (*path, i))


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def id_set(values: list[Any]) -> set[int] | None:
    """A list of ids (numbers or digit strings) as a set; None for any other list."""
    ids = set()
    for x in values:
        if isinstance(x, str) and x.isdigit():
            x = int(x)
        if not isinstance(x, int) or isinstance(x, bool):
            return None
        ids.add(x)
    return ids


def json_leaks(value: Any, keys: list[AnswerKey], strict: bool, frame_type: str = "") -> list[str]:
    """What in `value` tells the answers in `keys`; `strict` also flags any key naming correctness."""
    found = []
    for path, key, v in nodes(value):
        if strict and isinstance(v, dict):
            for k in v:
                if SUSPICIOUS_KEY.search(str(k)) and (frame_type, (*path, k)) not in ALLOWED_KEYS:
                    found.append(f"key {k!r} at {path}")
        for ak in keys:
            tag = f"round {ak.round} ({ak.kind}) at {path}"
            is_choice = isinstance(v, dict) and ak.choices.get(v.get("id")) == v.get("text") is not None
            if is_choice and (extra := set(v) - CHOICE_KEYS):
                found.append(f"choice {v['id']} carries {sorted(extra)}: {tag}")
            if isinstance(v, dict) and ak.choices and {str(i) for i in ak.choices} == {str(k) for k in v}:
                found.append(f"a value per choice: {tag}")
            partial = ak.correct_ids and ak.correct_ids != set(ak.choices)  # else the ids tell nothing
            if partial and isinstance(v, list) and id_set(v) == ak.correct_ids:
                found.append(f"the right choice ids: {tag}")
            if isinstance(v, str) and any(a in normalize_text(v) for a in ak.accepted):
                found.append(f"an accepted text answer {v!r}: {tag}")
            if ak.value is not None:
                if is_number(v) and v == ak.value and key not in SAFE_NUMBER_KEYS:
                    found.append(f"the slider's right value under {key!r}: {tag}")
                if isinstance(v, str) and v.strip() in {f"{ak.value:g}", str(ak.value)}:
                    found.append(f"the slider's right value as text: {tag}")
    return found


def html_leaks(body: str, keys: list[AnswerKey]) -> list[str]:
    """The page's embedded JSON walked like a frame (its label catalogue for values only), and its text."""
    found = []
    for script_id, blob in JSON_SCRIPT.findall(body):
        found += json_leaks(json.loads(blob), keys, strict=script_id != UI_STRINGS_ID)
    text = normalize_text(body)
    for ak in keys:
        found += [f"accepted answer {a!r} in the page: round {ak.round}" for a in ak.accepted if a in text]
        if ak.value is not None and re.search(rf"(?<![\w.]){ak.value:g}(\.0)?(?![\w.])", body):
            found.append(f"the slider's right value in the page: round {ak.round}")
    return found


# --- recording ------------------------------------------------------------------------------------


@dataclass
class Entry:
    at: float  # seconds since the game's start
    stage: str  # where the test was: "lobby", "round 3", ...
    frame: dict[str, Any]


@dataclass
class Game:
    keys: dict[int, AnswerKey]
    t0: float = field(default_factory=time.monotonic)
    stage: str = "lobby"
    revealed: set[int] = field(default_factory=set)  # rounds whose reveal some socket has received
    roles: list[Role] = field(default_factory=list)  # closed by the test's teardown, also on failure

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def unrevealed(self) -> list[AnswerKey]:
        return [k for r, k in self.keys.items() if r not in self.revealed]


class Role:
    """Everything one role receives, in order, over the sockets it opens one after another."""

    def __init__(self, game: Game, name: str) -> None:
        self.game, self.name = game, name
        game.roles.append(self)
        self.log: list[Entry] = []
        self.cursor = 0
        self.client: Client | None = None
        self.pump: asyncio.Task | None = None
        self.arrived = asyncio.Event()

    async def open(self, port: int, path: str, token: str | None = None) -> Role:
        await self.close()
        self.client = await Client.open(port, path, self.name, token=token)
        self.pump = asyncio.create_task(self._pump(self.client))
        return self

    async def _pump(self, client: Client) -> None:
        while True:
            try:
                frame = json.loads(await client.conn.recv())
            except ConnectionClosed as closed:
                frame = {"type": "__closed__", "code": closed.rcvd.code if closed.rcvd else 1006}
            self.log.append(Entry(self.game.now(), self.game.stage, frame))
            if frame["type"] == "reveal":
                self.game.revealed.add(frame["round"])
            elif frame["type"] == "finished":
                self.game.revealed.update(self.game.keys)
            self.arrived.set()
            if frame["type"] == "__closed__":
                return

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.client is not None
        await self.client.send(frame)

    async def expect(self, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        """The next frame of type `kind` (and these field values) after the last one expected."""
        end = time.monotonic() + timeout
        while True:
            for i in range(self.cursor, len(self.log)):
                frame = self.log[i].frame
                if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                    self.cursor = i + 1
                    return frame
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), max(0.01, end - time.monotonic()))
            except TimeoutError:
                got = [e.frame["type"] for e in self.log[-8:]]
                raise TimeoutError(f"{self.name}: no {kind!r} {match} frame; got {got}") from None

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            await asyncio.wait_for(self.pump, 10)  # its close is logged before the next socket's frames
            self.cursor = len(self.log)
            self.client = None


def frame_leaks(role: Role) -> list[str]:
    """Walks a role's frames in order: before round r's reveal nothing may tell round r's answer."""
    keys = role.game.keys
    revealed: set[int] = set()
    strict = True  # in the lobby and while a question is open
    found = []
    for entry in role.log:
        frame, kind = entry.frame, entry.frame["type"]
        game = frame.get("game") if kind in ("welcome", "host_welcome") else {}
        if kind == "reveal":
            revealed.add(frame["round"])
        if "reveal" in game:  # a snapshot replays the reveal it was taken after
            revealed.add(game["reveal"]["round"])
        if kind == "finished" or game.get("phase") == "finished":
            revealed.update(keys)
        if kind == "question" or game:
            strict = kind == "question" or game["phase"] in ("lobby", "question")
        elif kind in ("reveal", "finished"):
            strict = False
        unrevealed = [k for r, k in keys.items() if r not in revealed]
        for leak in json_leaks(frame, unrevealed, strict, kind):
            found.append(f"{role.name} @{entry.at}s ({entry.stage}) {kind}: {leak}\n    {frame}")
    return found


# --- HTTP -----------------------------------------------------------------------------------------


@dataclass
class Response:
    at: float
    stage: str
    who: str
    url: str
    status: int
    body: str
    unrevealed: list[AnswerKey]


async def http_sweep(game: Game, port: int, pin: str, quiz_id: int, session: str) -> list[Response]:
    """Everything a player or an anonymous visitor can read about the game, and the host's pages."""
    anonymous = [
        f"/play/{pin}/",
        f"/join/?pin={pin}",
        f"/api/games/{pin}/",
        f"/api/gateway/?pin={pin}",
        f"/api/games/{pin}/results/",
        f"/api/games/{pin}/results/?format=csv",
        f"/host/{pin}/",
        f"/host/{pin}/results/",
        f"/api/quizzes/{quiz_id}/",
    ]
    host = [f"/host/{pin}/", f"/host/{pin}/results/", f"/api/games/{pin}/results/", f"/api/games/{pin}/"]
    out = []
    host_cookies = {settings.SESSION_COOKIE_NAME: session}
    for who, paths, cookies in (("anonymous", anonymous, {}), ("host", host, host_cookies)):
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookies=cookies) as http:
            for path in paths:
                async with http.get(path, allow_redirects=False, headers={"Origin": "http://127.0.0.1"}) as r:
                    body = await r.text()
                    at, unrevealed = game.now(), game.unrevealed()  # as the response arrived
                    out.append(Response(at, game.stage, who, path, r.status, body, unrevealed))
    return out


def response_leaks(r: Response) -> list[str]:
    if r.url.startswith("/api/") and "format=csv" not in r.url and r.body.strip().startswith(("{", "[")):
        found = json_leaks(json.loads(r.body), r.unrevealed, strict=bool(r.unrevealed))
    else:
        found = html_leaks(r.body, r.unrevealed)
    return [f"{r.who} GET {r.url} @{r.at}s ({r.stage}) {r.status}: {leak}" for leak in found]


# --- the game -------------------------------------------------------------------------------------

# Per round (1-6: single, multi, truefalse, text, slider, poll): "right", "wrong" or None (no answer).
PLAN = {
    "ann": ["right"] * 6,
    "bob": ["wrong"] * 6,
    "cat": ["right", "wrong", "right", "right", "wrong", "right"],
    "idle": [None] * 6,
}
TIMER_ROUND = 1  # closed by the Celery timer at its deadline; the others by the host's `skip`
RESUME_BEFORE_ANSWER, RESUME_AFTER_ANSWER, RESUME_IN_REVEAL = 2, 4, 3  # cat drops and resumes elsewhere
SECOND_CONSOLE_ROUND = 5  # the host opens a second console mid-round (host_welcome snapshot)


@db
def make_game():
    host = host_make()
    quiz = quiz_every_kind(host, time_limit=5)
    game = game_create(quiz=quiz, host=host)
    web = DjangoClient()
    web.force_login(host)
    session = web.cookies[settings.SESSION_COOKIE_NAME].value
    return quiz, game, Token.objects.create(user=host).key, quiz_spec_build(quiz), session


@pytest.fixture(name="roles")
async def roles_fixture():
    """The roles a test opens; their sockets are closed afterwards, also when the test fails."""
    roles: list[Role] = []
    yield roles
    for role in roles:
        await role.close()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
async def test_nothing_tells_the_answer_before_reveal(daphne_pair, celery_worker, roles):
    port_a, port_b = daphne_pair
    quiz, game_row, token, spec, session = await make_game()
    pin = game_row.pin
    assert {q.kind for q in spec.questions} == set(KINDS), "the quiz must cover every question kind"
    game = Game({r: AnswerKey.of(r, q) for r, q in enumerate(spec.questions, start=1)}, roles=roles)
    play, ports = f"/ws/play/{pin}/", {"ann": port_a, "bob": port_b, "cat": port_a, "idle": port_b}

    host = await Role(game, "host").open(port_a, f"/ws/host/{pin}/", token)
    await host.expect("host_welcome")
    console = Role(game, "host-2")
    host_chat = await Role(game, "host-chat").open(port_b, f"/ws/chat/{pin}/", token)
    await host_chat.expect("history")
    players, tokens = {}, {}
    for name in PLAN:
        players[name] = await Role(game, name).open(ports[name], play)
        await players[name].send({"type": "join", "nickname": name})
        tokens[name] = (await players[name].expect("welcome"))["token"]
    chat = await Role(game, "ann-chat").open(port_b, f"/ws/chat/{pin}/")
    await chat.send({"type": "hello", "token": tokens["ann"]})
    await chat.expect("history")
    await host.expect("lobby", players=len(PLAN))
    responses = await http_sweep(game, port_a, pin, quiz.id, session)

    await host.send({"type": "start"})

    async def join_too_late() -> None:
        late = await Role(game, "late").open(port_b, play)
        await late.send({"type": "join", "nickname": "late"})
        assert (await late.expect("error"))["code"] == "game_started"

    async def resume_elsewhere(name: str) -> dict[str, Any]:
        ports[name] = port_b if ports[name] == port_a else port_a
        await players[name].open(ports[name], play)
        await players[name].send({"type": "resume", "token": tokens[name]})
        return (await players[name].expect("welcome"))["game"]

    async def answer(name: str, q: dict[str, Any]) -> dict[str, Any]:
        given = await db(correct_answer if PLAN[name][q["round"] - 1] == "right" else wrong_answer)(q, quiz)
        await players[name].send({"type": "answer", "round": q["round"], **given})
        return await players[name].expect("answer_ack", round=q["round"])

    acks: list[dict[str, Any]] = []
    for round_no in range(1, len(spec.questions) + 1):
        game.stage = f"round {round_no}"
        q = await host.expect("question", round=round_no)
        if round_no == 1:
            await join_too_late()  # once the host saw the start land: a join sent before it is let in
        for role in players.values():
            await role.expect("question", round=round_no)
        await chat.send({"type": "say", "text": f"good luck with question {round_no}"})
        if round_no == RESUME_BEFORE_ANSWER:
            snap = await resume_elsewhere("cat")
            assert snap["phase"] == "question" and snap["answered"] is False
        if round_no == SECOND_CONSOLE_ROUND:
            await console.open(port_b, f"/ws/host/{pin}/", token)
            assert (await console.expect("host_welcome"))["game"]["phase"] == "question"
        for name in ("cat", "ann", "bob"):
            acks.append(await answer(name, q))
        if round_no == RESUME_AFTER_ANSWER:
            snap = await resume_elsewhere("cat")
            assert snap["phase"] == "question" and snap["answered"] is True
        responses += await http_sweep(game, port_a if round_no % 2 else port_b, pin, quiz.id, session)
        await host.expect("answer_count", round=round_no, answered=3)
        if round_no == SECOND_CONSOLE_ROUND:
            await console.expect("answer_count", round=round_no, answered=3)
            await console.close()
        if round_no != TIMER_ROUND:
            await host.send({"type": "skip"})
        reason = "timeout" if round_no == TIMER_ROUND else "skip"
        for role in (host, *players.values()):
            assert (await role.expect("reveal", timeout=15, round=round_no))["reason"] == reason
        for role in players.values():
            await role.expect("result", round=round_no)
        game.stage = f"round {round_no} revealed"
        if round_no == RESUME_IN_REVEAL:
            snap = await resume_elsewhere("cat")
            assert snap["phase"] == "reveal" and snap["reveal"]["round"] == round_no
        await host.send({"type": "next"})
        await host.expect("leaderboard", round=round_no)
        await host.send({"type": "next"})

    game.stage = "finished"
    for role in (host, *players.values()):
        await role.expect("finished")
    responses += await http_sweep(game, port_b, pin, quiz.id, session)
    await chat.expect("message")
    for role in roles:
        await role.close()

    # The recordings cover what the brief names: each role saw frames, chat carried messages, the
    # resumes and the second console came mid-round, and every view answered.
    assert any(e.frame["type"] == "message" for e in chat.log + host_chat.log)
    assert sum(1 for e in players["cat"].log if e.frame["type"] == "welcome") == 4
    assert len(roles) == 9 and all(role.log for role in roles)
    statuses = {(r.who, r.url): set() for r in responses}
    for r in responses:
        statuses[r.who, r.url].add(r.status)
    assert statuses["anonymous", f"/api/games/{pin}/"] == statuses["anonymous", f"/play/{pin}/"] == {200}
    assert statuses["anonymous", f"/api/gateway/?pin={pin}"] == {200}
    for path in (f"/api/games/{pin}/results/", f"/api/quizzes/{quiz.id}/", f"/host/{pin}/"):
        assert statuses["anonymous", path] <= {302, 401, 403, 404}, (path, statuses["anonymous", path])
    assert statuses["host", f"/host/{pin}/"] == {200}
    assert statuses["host", f"/api/games/{pin}/results/"] == {409, 200}  # 200 only once finished

    leaks = [leak for role in roles for leak in frame_leaks(role)]
    leaks += [leak for r in responses for leak in response_leaks(r)]
    assert not leaks, "answers told before reveal:\n" + "\n".join(leaks)

    # answer_ack says "taken", the same for a right and a wrong answer, and nothing more.
    assert all(set(a) == ACK_KEYS for a in acks), acks
    assert {(a["accepted"], a["reason"]) for a in acks} == {(True, None)}
    # A right and a wrong answerer see the same kinds of frames while each round is open.
    assert open_window_types(players["ann"]) == open_window_types(players["bob"])


def open_window_types(role: Role) -> list[list[str]]:
    """The kinds of frames each open round brought, sorted: when the player's own `answer_ack` lands between
    room frames (a coalesced `lobby` still due from the joins) is timing, not information."""
    windows: list[list[str]] = []
    for entry in role.log:
        kind = entry.frame["type"]
        if kind == "question":
            windows.append([])
        elif kind == "reveal":
            windows.append(["reveal"])
        elif windows and windows[-1][:1] != ["reveal"]:
            windows[-1].append(kind)
    return [sorted(w) for w in windows if w[:1] != ["reveal"]]


# --- the detector finds what it looks for ---------------------------------------------------------


def test_detector_finds_planted_leaks():
    single = AnswerKey(1, "single", {11: "Paris", 12: "Lyon"}, frozenset({11}), (), None)
    multi = AnswerKey(2, "multi", {21: "2", 22: "4", 23: "5"}, frozenset({21, 23}), (), None)
    text = AnswerKey(4, "text", {}, frozenset(), ("pacific", "pacific ocean"), None)
    slider = AnswerKey(5, "slider", {}, frozenset(), (), 1969.0)
    keys = [single, multi, text, slider]
    question = {"type": "question", "round": 1, "choices": [{"id": 11, "text": "Paris"}], "min": 1900}
    clean = [
        question,
        {"type": "answer_ack", "round": 1, "accepted": True, "reason": None},
        {"type": "answer_count", "round": 1, "answered": 1969, "players": 3},
        {"type": "welcome", "game": {"phase": "question", "question": question, "score": 1969}},
    ]
    for frame in clean:
        assert json_leaks(frame, keys, strict=True, frame_type=frame["type"]) == [], frame
    for frame in (
        {"type": "answer_ack", "round": 1, "accepted": True, "correct": False},
        {"type": "welcome", "game": {"question": {"is_correct": None}}},
        {"type": "host_welcome", "game": {"accepted_answers": []}},
    ):
        assert json_leaks(frame, [], strict=True, frame_type=frame["type"]), frame
    planted = [  # found by value, also where keys are not checked (after another round's reveal)
        {"type": "question", "choices": [{"id": 11, "text": "Paris", "points": 1000}]},
        {"type": "question", "x": [21, 23]},
        {"type": "question", "x": ["21", "23"]},
        {"type": "answer_count", "per_choice": {"21": 1, "22": 0, "23": 1}},
        {"type": "welcome", "game": {"hint": "Pacific Ocean"}},
        {"type": "question", "guess": 1969},
        {"type": "question", "guess": "1969"},
    ]
    for frame in planted:
        assert json_leaks(frame, keys, strict=False), frame
    page = '<script id="qz-strings" type="application/json">{"correct": "Correct!"}</script>'
    assert html_leaks(page, keys) == []
    assert html_leaks(page.replace("qz-strings", "qz-config"), keys)
    assert html_leaks("<p>Pacific</p>", keys) and html_leaks("<p>1969</p>", keys)
    assert not html_leaks("<p>19690</p><i>a1969</i>", keys)


def test_order_decides_what_is_early():
    """A `result` before its round's reveal is a leak; the same frame after it is not."""
    single = AnswerKey(1, "single", {11: "Paris", 12: "Lyon"}, frozenset({11}), (), None)
    role = Role(Game({1: single}), "p")
    question = {"type": "question", "round": 1, "choices": [{"id": 11, "text": "Paris"}]}
    result = {"type": "result", "round": 1, "correct": True, "points": 1000}
    reveal = {"type": "reveal", "round": 1, "correct": [11], "distribution": {"11": 1, "12": 0}}
    role.log = [Entry(0.0, "round 1", f) for f in (question, result, reveal, result)]
    assert len(frame_leaks(role)) == 1
    resumed = {"type": "welcome", "game": {"phase": "question", "round": 1, "question": question}}
    role.log = [Entry(0.0, "round 1", f) for f in (resumed, result)]
    assert len(frame_leaks(role)) == 1
