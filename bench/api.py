"""The REST calls benchmarks make with a host's DRF token: a quiz of K single-choice questions and its games.

    pins = quiz_and_games(stack.base_url, stack.token, questions=3, time_limit=20, games=2)

Every question has one right choice (RIGHT_TEXT, listed first) and choices - 1 wrong ones ("wrong 1", ...).
Loopback only; nothing here imports the app's packages.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

RIGHT_TEXT = "right"
WRONG_TEXT = "wrong"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise ValueError(f"the benchmarks only talk to 127.0.0.1, not {url}")


def http_json(method: str, url: str, body: Any = None, token: str = "", timeout: float = 30) -> Any:
    require_loopback(url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
        return json.loads(response.read() or b"null")


def quiz_payload(questions: int, time_limit: int, choices: int = 4, title: str = "") -> dict[str, Any]:
    """POST /api/quizzes/ body: `questions` single-choice questions, the right choice first."""
    return {
        "title": title or f"Load test ({questions} questions)",
        "description": "",
        "questions": [
            {
                "text": f"Question {n}: which one is right?",
                "kind": "single",
                "time_limit": time_limit,
                "points": 1,
                "choices": [{"text": RIGHT_TEXT, "correct": True}]
                + [{"text": f"{WRONG_TEXT} {k}", "correct": False} for k in range(1, choices)],
            }
            for n in range(1, questions + 1)
        ],
    }


def create_quiz(
    base_url: str, token: str, questions: int, time_limit: int, choices: int = 4, title: str = ""
) -> int:
    payload = quiz_payload(questions, time_limit, choices, title)
    return int(http_json("POST", f"{base_url}/api/quizzes/", payload, token)["id"])


def create_games(base_url: str, token: str, quiz_id: int, games: int = 1) -> list[str]:
    """POST /api/games/ `games` times for one quiz: the pins, checked to be distinct."""
    pins = [
        str(http_json("POST", f"{base_url}/api/games/", {"quiz": quiz_id}, token)["pin"])
        for _ in range(games)
    ]
    if len(set(pins)) != len(pins):
        raise RuntimeError(f"the server gave one pin to two games: {sorted(pins)}")
    return pins


def quiz_and_games(
    base_url: str,
    token: str,
    questions: int,
    time_limit: int,
    games: int = 1,
    choices: int = 4,
    title: str = "",
) -> list[str]:
    """One quiz of `questions` single-choice questions and `games` games of it: their pins."""
    quiz_id = create_quiz(base_url, token, questions, time_limit, choices, title)
    return create_games(base_url, token, quiz_id, games)
