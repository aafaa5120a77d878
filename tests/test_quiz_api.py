"""REST API for quizzes: auth, CRUD in the protocol's JSON, owner-only access, validation, export/import."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError
from rest_framework.test import APIClient

from quizzes.models import Choice, Question, Quiz
from tests.quiz_fixtures import (  # noqa: F401
    PASSWORD,
    api_fixture,
    author_fixture,
    protocol_quiz,
    row_counts,
    stranger_api_fixture,
    stranger_fixture,
)

pytestmark = pytest.mark.django_db

LIST = "/api/quizzes/"


def detail(quiz_id: int, action: str = "") -> str:
    return f"/api/quizzes/{quiz_id}/{action + '/' if action else ''}"


def create(client: APIClient, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(LIST, payload or protocol_quiz(), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def error_at(body: Any, *path: str | int) -> Any:
    for step in path:
        body = body[step]
    return body


def without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


# --- Authentication


def test_token_endpoint_trades_credentials_for_a_working_token(author) -> None:
    response = APIClient().post(
        "/api/auth/token/", {"username": "author", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(LIST).status_code == 200


def test_token_endpoint_refuses_a_wrong_password(author) -> None:
    response = APIClient().post("/api/auth/token/", {"username": "author", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_session_auth_works(author, client) -> None:
    client.force_login(author)
    assert client.get(LIST).status_code == 200


def test_session_writes_need_the_csrf_token(author) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post(LIST, protocol_quiz(), format="json").status_code == 403
    assert Quiz.objects.count() == 0


def test_anonymous_is_refused(author) -> None:
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().post(LIST, protocol_quiz(), format="json").status_code == 401


# --- CRUD in the protocol's JSON


def test_create_returns_the_read_format(api) -> None:
    quiz = create(api)
    assert isinstance(quiz["id"], int)
    assert quiz["title"] == "Capitals" and quiz["language"] == "en"
    single, multi, truefalse, text, slider, poll = quiz["questions"]
    assert [q["kind"] for q in quiz["questions"]] == [
        "single",
        "multi",
        "truefalse",
        "text",
        "slider",
        "poll",
    ]
    assert all(isinstance(q["id"], int) and q["image"] is None for q in quiz["questions"])

    assert [(c["text"], c["correct"]) for c in single["choices"]] == [("Paris", True), ("Lyon", False)]
    assert all(isinstance(c["id"], int) for c in single["choices"])
    assert single["correct_value"] is None
    assert (multi["time_limit"], multi["points"]) == (20, 1)  # defaults
    assert [c["correct"] for c in multi["choices"]] == [True, False, True]
    assert [(c["text"], c["correct"]) for c in truefalse["choices"]] == [("True", True), ("False", False)]
    assert truefalse["correct_value"] is True
    assert text["accepted_answers"] == ["pacific", "pacific ocean"] and text["choices"] == []
    assert (slider["min"], slider["max"], slider["correct_value"], slider["tolerance"]) == (
        1900,
        2000,
        1969,
        2,
    )
    assert [(c["text"], c["correct"]) for c in poll["choices"]] == [("red", False), ("blue", False)]

    stored = Quiz.objects.get(pk=quiz["id"])
    assert [q.order for q in stored.questions.all()] == [0, 1, 2, 3, 4, 5]
    assert stored.questions.get(kind="slider").slider_min == 1900


@pytest.mark.parametrize(
    "choices",
    [
        [{"text": "True", "correct": False}, {"text": "False", "correct": True}],
        [{"text": "false", "correct": True}, {"text": "TRUE", "correct": False}],
    ],
)
def test_truefalse_written_with_choices_reads_back_as_true_and_false(api, choices) -> None:
    payload = {
        "title": "TF",
        "questions": [{"text": "The moon is a planet", "kind": "truefalse", "choices": choices}],
    }
    question = create(api, payload)["questions"][0]
    assert [(c["text"], c["correct"]) for c in question["choices"]] == [("True", False), ("False", True)]
    assert question["correct_value"] is False


def test_retrieve_and_list(api) -> None:
    quiz = create(api)
    assert api.get(detail(quiz["id"])).json() == quiz
    page = api.get(LIST).json()
    assert page["count"] == 1 and page["results"] == [quiz]


def test_put_replaces_the_quiz_and_its_question_list(api) -> None:
    quiz = create(api)
    payload = {
        "title": "Renamed",
        "language": "ko",
        "questions": [
            {
                "text": "하나?",
                "kind": "single",
                "choices": [{"text": "예", "correct": True}, {"text": "아니오"}],
            }
        ],
    }
    response = api.put(detail(quiz["id"]), payload, format="json")
    assert response.status_code == 200, response.content
    updated = response.json()
    assert (updated["id"], updated["title"], updated["language"]) == (quiz["id"], "Renamed", "ko")
    assert [q["text"] for q in updated["questions"]] == ["하나?"]
    assert row_counts() == (1, 1, 2)
    assert api.get(detail(quiz["id"])).json() == updated


def test_patch_without_questions_keeps_them(api) -> None:
    quiz = create(api)
    response = api.patch(detail(quiz["id"]), {"description": "Now with a description"}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] == "Now with a description"
    assert response.json()["questions"] == quiz["questions"]


def test_patch_with_questions_replaces_the_list_with_defaults_applied(api) -> None:
    quiz = create(api)
    questions = [{"text": "Ocean?", "kind": "text", "accepted_answers": [" pacific "]}]
    response = api.patch(detail(quiz["id"]), {"questions": questions}, format="json")
    assert response.status_code == 200, response.content
    (question,) = response.json()["questions"]
    assert (question["time_limit"], question["points"], question["accepted_answers"]) == (20, 1, ["pacific"])
    assert response.json()["title"] == "Capitals"


def test_delete(api) -> None:
    quiz = create(api)
    assert api.delete(detail(quiz["id"])).status_code == 204
    assert row_counts() == (0, 0, 0)


def test_delete_a_played_quiz_is_a_conflict(api, author) -> None:
    quiz = create(api)
    Quiz.objects.get(pk=quiz["id"]).games.create(pin="123456", host=author)
    assert api.delete(detail(quiz["id"])).status_code == 409
    assert Quiz.objects.filter(pk=quiz["id"]).exists()


# --- Owner only


def test_list_shows_only_your_own_quizzes(api, stranger_api) -> None:
    mine = create(api)
    theirs = create(stranger_api, {**protocol_quiz(), "title": "Theirs"})
    assert [q["id"] for q in api.get(LIST).json()["results"]] == [mine["id"]]
    assert [q["id"] for q in stranger_api.get(LIST).json()["results"]] == [theirs["id"]]


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("get", "", None),
        ("put", "", protocol_quiz()),
        ("patch", "", {"title": "Stolen"}),
        ("delete", "", None),
        ("get", "export", None),
    ],
)
def test_another_users_quiz_is_not_found(api, stranger_api, method, action, body) -> None:
    quiz = create(api)
    before = api.get(detail(quiz["id"])).json()
    response = getattr(stranger_api, method)(detail(quiz["id"], action), body, format="json")
    assert response.status_code == 404
    assert api.get(detail(quiz["id"])).json() == before


def test_unknown_quiz_is_not_found(api) -> None:
    assert api.get(detail(999999)).status_code == 404


# --- Invalid payloads: 400, the field named where it is, nothing saved.

SINGLE = {
    "text": "Capital?",
    "kind": "single",
    "choices": [{"text": "Paris", "correct": True}, {"text": "Lyon"}],
}
SLIDER = {"text": "Year?", "kind": "slider", "min": 1900, "max": 2000, "correct_value": 1969}


def bad_question(**fields: Any) -> dict[str, Any]:
    """A payload whose SECOND question is `fields` (the first is valid), so errors must line up."""
    return {"title": "Broken", "questions": [SINGLE, fields]}


INVALID: dict[str, tuple[dict[str, Any], tuple[str | int, ...]]] = {
    "no title": ({"questions": [SINGLE]}, ("title",)),
    "blank title": ({"title": "", "questions": [SINGLE]}, ("title",)),
    "no questions": ({"title": "Empty"}, ("questions",)),
    "questions not a list": ({"title": "x", "questions": {"text": "?"}}, ("questions",)),
    "unknown language": ({"title": "x", "language": "xx", "questions": [SINGLE]}, ("language",)),
    "unknown kind": (bad_question(text="?", kind="essay"), ("questions", 1, "kind")),
    "missing kind": (bad_question(text="?"), ("questions", 1, "kind")),
    "blank text": (bad_question(**{**SINGLE, "text": " "}), ("questions", 1, "text")),
    "time limit 4": (bad_question(**SINGLE, time_limit=4), ("questions", 1, "time_limit")),
    "time limit 241": (bad_question(**SINGLE, time_limit=241), ("questions", 1, "time_limit")),
    "points 3": (bad_question(**SINGLE, points=3), ("questions", 1, "points")),
    "single two correct": (
        bad_question(
            text="?", kind="single", choices=[{"text": "a", "correct": True}, {"text": "b", "correct": True}]
        ),
        ("questions", 1, "choices"),
    ),
    "single none correct": (
        bad_question(text="?", kind="single", choices=[{"text": "a"}, {"text": "b"}]),
        ("questions", 1, "choices"),
    ),
    "multi none correct": (
        bad_question(text="?", kind="multi", choices=[{"text": "a"}, {"text": "b"}]),
        ("questions", 1, "choices"),
    ),
    "poll with a correct choice": (
        bad_question(text="?", kind="poll", choices=[{"text": "a", "correct": True}, {"text": "b"}]),
        ("questions", 1, "choices"),
    ),
    "one choice": (
        bad_question(text="?", kind="single", choices=[{"text": "a", "correct": True}]),
        ("questions", 1, "choices"),
    ),
    "seven choices": (
        bad_question(text="?", kind="multi", choices=[{"text": str(i), "correct": True} for i in range(7)]),
        ("questions", 1, "choices"),
    ),
    "choice without text": (
        bad_question(text="?", kind="single", choices=[{"correct": True}, {"text": "b"}]),
        ("questions", 1, "choices", 0, "text"),
    ),
    "truefalse without answer": (bad_question(text="?", kind="truefalse"), ("questions", 1, "correct_value")),
    "truefalse answer not a bool": (
        bad_question(text="?", kind="truefalse", correct_value=1),
        ("questions", 1, "correct_value"),
    ),
    "truefalse odd choices": (
        bad_question(text="?", kind="truefalse", choices=[{"text": "Yes", "correct": True}, {"text": "No"}]),
        ("questions", 1, "choices"),
    ),
    "truefalse choices and value disagree": (
        bad_question(
            text="?",
            kind="truefalse",
            correct_value=True,
            choices=[{"text": "True"}, {"text": "False", "correct": True}],
        ),
        ("questions", 1, "correct_value"),
    ),
    "text without answers": (bad_question(text="?", kind="text"), ("questions", 1, "accepted_answers")),
    "text with blank answer": (
        bad_question(text="?", kind="text", accepted_answers=[""]),
        ("questions", 1, "accepted_answers"),
    ),
    "text with choices": (
        bad_question(text="?", kind="text", accepted_answers=["a"], choices=[{"text": "a"}, {"text": "b"}]),
        ("questions", 1, "choices"),
    ),
    "slider without min": (bad_question(**{**SLIDER, "min": None}), ("questions", 1, "min")),
    "slider min above max": (bad_question(**{**SLIDER, "min": 2001}), ("questions", 1, "max")),
    "slider value outside": (
        bad_question(**{**SLIDER, "correct_value": 2020}),
        ("questions", 1, "correct_value"),
    ),
    "slider value a bool": (
        bad_question(**{**SLIDER, "correct_value": True}),
        ("questions", 1, "correct_value"),
    ),
    "slider value a string": (
        bad_question(**{**SLIDER, "correct_value": "1969"}),
        ("questions", 1, "correct_value"),
    ),
    "slider negative tolerance": (bad_question(**SLIDER, tolerance=-1), ("questions", 1, "tolerance")),
}


@pytest.mark.parametrize(("payload", "path"), INVALID.values(), ids=INVALID.keys())
def test_invalid_create_is_400_naming_the_field_and_saves_nothing(api, payload, path) -> None:
    create(api, {"title": "Existing", "questions": [SINGLE]})
    before = row_counts()
    response = api.post(LIST, payload, format="json")
    assert response.status_code == 400
    assert error_at(response.json(), *path), response.json()
    if path[0] == "questions" and len(path) > 1:
        assert response.json()["questions"][0] == {}  # errors line up with the questions sent
    assert row_counts() == before


@pytest.mark.parametrize(("payload", "path"), INVALID.values(), ids=INVALID.keys())
def test_invalid_update_is_400_and_changes_nothing(api, payload, path) -> None:
    quiz = create(api)
    before = row_counts()
    response = api.put(detail(quiz["id"]), payload, format="json")
    assert response.status_code == 400
    assert error_at(response.json(), *path), response.json()
    assert row_counts() == before
    assert api.get(detail(quiz["id"])).json() == quiz


def test_invalid_patch_changes_nothing(api) -> None:
    quiz = create(api)
    payload = {
        "title": "New",
        "questions": [SINGLE, {"text": "?", "kind": "poll", "choices": [{"text": "a"}]}],
    }
    response = api.patch(detail(quiz["id"]), payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"questions": [{}, {"choices": ["Needs 2 to 6 choices, got 1."]}]}
    assert api.get(detail(quiz["id"])).json() == quiz


def test_a_failure_mid_write_leaves_nothing_half_saved(api, monkeypatch) -> None:
    quiz = create(api)
    before = row_counts()

    def broken_bulk_create(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("disk on fire")

    monkeypatch.setattr(Choice.objects, "bulk_create", broken_bulk_create)  # after the questions were written
    with pytest.raises(IntegrityError):
        api.post(LIST, protocol_quiz(), format="json")
    with pytest.raises(IntegrityError):
        api.put(detail(quiz["id"]), {**protocol_quiz(), "title": "Half"}, format="json")
    assert row_counts() == before
    assert Quiz.objects.get(pk=quiz["id"]).title == "Capitals"
    assert Question.objects.filter(quiz_id=quiz["id"]).count() == 6


# --- Export / import


def test_export_is_the_write_format_as_a_download(api) -> None:
    quiz = create(api)
    response = api.get(detail(quiz["id"], "export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    exported = response.json()
    assert exported["format"] == "quizzone.quiz.v1"
    assert exported == without_ids(exported)  # no ids anywhere
    truefalse = exported["questions"][2]
    assert truefalse == {
        "text": "The sun is a star",
        "kind": "truefalse",
        "time_limit": 20,
        "points": 1,
        "correct_value": True,
    }


def test_export_then_import_round_trips(api) -> None:
    original = create(api)
    exported = api.get(detail(original["id"], "export")).json()

    response = api.post(f"{LIST}import/", exported, format="json")
    assert response.status_code == 201, response.content
    imported = response.json()
    assert imported["id"] != original["id"]
    assert without_ids(imported) == without_ids(original)
    assert api.get(detail(imported["id"], "export")).json() == exported
    assert Quiz.objects.get(pk=imported["id"]).owner.username == "author"


def test_import_of_the_protocol_example(api) -> None:
    response = api.post(f"{LIST}import/", {"format": "quizzone.quiz.v1", **protocol_quiz()}, format="json")
    assert response.status_code == 201
    assert len(response.json()["questions"]) == 6


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        (protocol_quiz(), ("format",)),
        ({"format": "kahoot.v9", **protocol_quiz()}, ("format",)),
        (
            {"format": "quizzone.quiz.v1", "title": "x", "questions": [{"text": "?", "kind": "essay"}]},
            ("questions", 0, "kind"),
        ),
        ([1, 2, 3], ("non_field_errors",)),
    ],
)
def test_invalid_import_is_400_and_saves_nothing(api, payload, path) -> None:
    before = row_counts()
    response = api.post(f"{LIST}import/", payload, format="json")
    assert response.status_code == 400
    assert error_at(response.json(), *path)
    assert row_counts() == before
