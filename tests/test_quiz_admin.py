"""Admin: hosts author quizzes with nested questions and choices; games are read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from quizzes.models import Quiz
from quizzes.services import quiz_create
from results.models import Game, GameAnswer, GamePlayer
from tests.quiz_fixtures import host_fixture, make_user, other_host_fixture, row_counts  # noqa: F401

pytestmark = pytest.mark.django_db

ADD = "/admin/quizzes/quiz/add/"
CHANGELIST = "/admin/quizzes/quiz/"


def change_url(quiz: Quiz) -> str:
    return f"/admin/quizzes/quiz/{quiz.pk}/change/"


def management(prefix: str, total: int, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def question_post(
    index: int, kind: str, text: str, choices: list[tuple[str, bool]] = (), **fields: Any
) -> dict:
    """The POST fields nested_admin sends for one question and its choices."""
    prefix = f"questions-{index}"
    data = {
        f"{prefix}-order": index,
        f"{prefix}-kind": kind,
        f"{prefix}-text": text,
        f"{prefix}-time_limit": 20,
        f"{prefix}-points": 1,
        **{f"{prefix}-{name}": value for name, value in fields.items()},
        **management(f"{prefix}-choices", len(choices)),
    }
    for i, (choice_text, correct) in enumerate(choices):
        data |= {f"{prefix}-choices-{i}-order": i, f"{prefix}-choices-{i}-text": choice_text}
        if correct:
            data[f"{prefix}-choices-{i}-correct"] = "on"
    return data


def quiz_post(title: str, *questions: dict[str, Any]) -> dict[str, Any]:
    data = {"title": title, "description": "", "language": "en", **management("questions", len(questions))}
    for question in questions:
        data |= question
    return data


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Adding a quiz


def test_host_gets_the_add_page_without_an_owner_field(host) -> None:
    response = logged_in(host).get(ADD)
    assert response.status_code == 200
    assert 'name="owner"' not in response.content.decode()
    assert 'name="questions-0-choices-TOTAL_FORMS"' in response.content.decode()


def test_host_adds_a_quiz_with_nested_questions_and_choices(host) -> None:
    data = quiz_post(
        "Admin quiz",
        question_post(0, "single", "Capital of France?", [("Paris", True), ("Lyon", False)]),
        question_post(1, "truefalse", "The sun is a star", [("false", False), ("true", True)]),
        question_post(2, "text", "Largest ocean?", accepted_answers="pacific\n Pacific Ocean \n\n"),
        question_post(3, "slider", "Moon landing?", slider_min=1900, slider_max=2000, correct_value=1969),
        question_post(4, "poll", "Colour?", [("red", False), ("blue", False), ("green", False)]),
    )
    response = logged_in(host).post(ADD, data)
    assert response.status_code == 302, _form_errors(response)

    quiz = Quiz.objects.get(title="Admin quiz")
    assert quiz.owner == host
    questions = list(quiz.questions.all())
    assert [q.kind for q in questions] == ["single", "truefalse", "text", "slider", "poll"]
    assert [q.order for q in questions] == [0, 1, 2, 3, 4]
    assert [(c.text, c.correct) for c in questions[0].choices.all()] == [("Paris", True), ("Lyon", False)]
    assert [(c.text, c.correct) for c in questions[1].choices.all()] == [("True", True), ("False", False)]
    assert questions[2].accepted_answers == ["pacific", "Pacific Ocean"]
    assert (questions[3].slider_min, questions[3].slider_max, questions[3].correct_value) == (
        1900,
        2000,
        1969,
    )
    assert [c.text for c in questions[4].choices.all()] == ["red", "blue", "green"]


def test_blank_rows_as_the_browser_posts_them_are_ignored(host) -> None:
    """nested_admin's script leaves untouched rows as rendered: defaults, blank position."""
    blank_question = {
        "questions-1-kind": "single",
        "questions-1-time_limit": "20",
        "questions-1-points": "1",
        **{
            f"questions-1-{name}": ""
            for name in ("order", "text", "slider_min", "slider_max", "accepted_answers")
        },
        **{f"questions-1-{name}": "" for name in ("correct_value", "tolerance", "id", "quiz")},
        **management("questions-1-choices", 4),
    }
    data = quiz_post("With blanks") | management("questions", 2)
    data |= question_post(0, "single", "Capital of France?", [("Paris", True), ("Lyon", False)])
    data |= management("questions-0-choices", 4)  # rows 2 and 3 left blank
    data |= {
        f"questions-0-choices-{i}-{name}": "" for i in (2, 3) for name in ("order", "text", "id", "question")
    }
    data |= blank_question

    response = logged_in(host).post(ADD, data)
    assert response.status_code == 302, _form_errors(response)
    assert row_counts() == (1, 1, 2)


def test_rows_without_a_position_are_numbered_in_page_order(host) -> None:
    data = quiz_post(
        "Unnumbered",
        question_post(0, "text", "First?", accepted_answers="a"),
        question_post(1, "single", "Second?", [("x", True), ("y", False)]),
    )
    data |= {"questions-0-order": "", "questions-1-order": "", "questions-1-choices-0-order": ""}
    assert logged_in(host).post(ADD, data).status_code == 302
    questions = list(Quiz.objects.get().questions.all())
    assert [(q.order, q.text) for q in questions] == [(0, "First?"), (1, "Second?")]
    assert [(c.order, c.text) for c in questions[1].choices.all()] == [(0, "y"), (1, "x")]


def test_choice_errors_show_on_the_question_they_belong_to(host) -> None:
    data = quiz_post(
        "Broken",
        question_post(0, "single", "Fine?", [("yes", True), ("no", False)]),
        question_post(1, "single", "Two right?", [("a", True), ("b", True)]),
        question_post(2, "poll", "Opinion?", [("a", True), ("b", False)]),
    )
    before = row_counts()
    response = logged_in(host).post(ADD, data)
    assert response.status_code == 200
    assert row_counts() == before

    choice_errors = [form.inlines[0].formset.non_form_errors() for form in question_forms(response)]
    assert not choice_errors[0]
    assert "exactly one correct" in choice_errors[1][0]
    assert "no correct choice" in choice_errors[2][0]
    assert "exactly one correct" in response.content.decode()


@pytest.mark.parametrize(
    ("question", "field", "message"),
    [
        (
            question_post(0, "slider", "?", slider_min=10, slider_max=5, correct_value=7),
            "slider_max",
            "greater",
        ),
        (
            question_post(0, "slider", "?", slider_min=0, slider_max=5, correct_value=7),
            "correct_value",
            "inside",
        ),
        (question_post(0, "text", "?", accepted_answers=" \n "), "accepted_answers", "accepted answer"),
        (question_post(0, "single", "?", [("a", True), ("b", False)], time_limit=241), "time_limit", "240"),
    ],
)
def test_question_errors_name_the_field(host, question, field, message) -> None:
    response = logged_in(host).post(ADD, quiz_post("Broken", question))
    assert response.status_code == 200
    (question_form,) = question_forms(response)
    assert message in " ".join(question_form.errors[field])
    assert Quiz.objects.count() == 0


def test_truefalse_needs_true_and_false_choices(host) -> None:
    data = quiz_post("TF", question_post(0, "truefalse", "?", [("Yes", True), ("No", False)]))
    response = logged_in(host).post(ADD, data)
    assert response.status_code == 200
    assert Quiz.objects.count() == 0


def test_truefalse_choices_are_written_from_the_answer_picked(host) -> None:
    data = quiz_post(
        "Picked",
        question_post(0, "truefalse", "The moon is a star", truefalse_correct="false"),
        question_post(1, "single", "Two?", [("1", False), ("2", True)], truefalse_correct="true"),
    )
    response = logged_in(host).post(ADD, data)
    assert response.status_code == 302, _form_errors(response)
    tf, single = Quiz.objects.get(title="Picked").questions.all()
    assert [(c.text, c.correct, c.order) for c in tf.choices.all()] == [
        ("True", False, 0),
        ("False", True, 1),
    ]
    assert [(c.text, c.correct) for c in single.choices.all()] == [("1", False), ("2", True)]  # not its kind

    page = logged_in(host).get(change_url(tf.quiz)).content.decode()
    assert '<option value="false" selected>' in page  # the saved answer shows in the select


def test_the_answer_picked_wins_over_the_ticks_and_other_choices_are_refused(host) -> None:
    picked = question_post(0, "truefalse", "?", [("True", True), ("False", False)], truefalse_correct="false")
    response = logged_in(host).post(ADD, quiz_post("Ticks", picked))
    assert response.status_code == 302, _form_errors(response)
    assert [(c.text, c.correct) for c in Quiz.objects.get().questions.get().choices.all()] == [
        ("True", False),
        ("False", True),
    ]

    wrong = question_post(0, "truefalse", "?", [("Yes", True), ("No", False)], truefalse_correct="true")
    response = logged_in(host).post(ADD, quiz_post("Others", wrong))
    assert response.status_code == 200
    assert "written from the correct answer picked above" in response.content.decode()
    assert Quiz.objects.count() == 1


# --- Changing a quiz


def test_host_changes_own_quiz_and_sees_the_preview(host) -> None:
    quiz = quiz_create(host, {"title": "Mine", "questions": [_single("Capital of <b>France</b>?")]})
    question = quiz.questions.get()
    paris, lyon = question.choices.all()
    client = logged_in(host)

    page = client.get(change_url(quiz)).content.decode()
    assert "✔ Paris" in page
    assert "Capital of &lt;b&gt;France&lt;/b&gt;?" in page and "<b>France</b>" not in page

    data = quiz_post("Mine, renamed")
    data |= management("questions", 1, initial=1) | {
        "questions-0-id": question.pk,
        "questions-0-quiz": quiz.pk,
    }
    data |= question_post(0, "single", "Capital of France?", [("Paris", False), ("Lyon", True)])
    data |= management("questions-0-choices", 2, initial=2)
    data |= {"questions-0-choices-0-id": paris.pk, "questions-0-choices-1-id": lyon.pk}
    data |= {"questions-0-choices-0-question": question.pk, "questions-0-choices-1-question": question.pk}
    response = client.post(change_url(quiz), data)
    assert response.status_code == 302, _form_errors(response)

    quiz.refresh_from_db()
    assert quiz.title == "Mine, renamed"
    assert [(c.text, c.correct) for c in quiz.questions.get().choices.all()] == [
        ("Paris", False),
        ("Lyon", True),
    ]


def test_host_sees_only_own_quizzes(host, other_host) -> None:
    quiz_create(host, {"title": "Mine", "questions": []})
    theirs = quiz_create(other_host, {"title": "Theirs", "questions": []})
    client = logged_in(host)

    changelist = client.get(CHANGELIST).content.decode()
    assert "Mine" in changelist and "Theirs" not in changelist

    response = client.get(change_url(theirs))
    assert response.status_code == 302  # the admin's "does not exist" redirect, not the page
    assert client.post(change_url(theirs), quiz_post("Stolen")).status_code == 302
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"


@pytest.mark.parametrize("delete", [False, True])
def test_forged_ids_cannot_touch_another_hosts_questions(host, other_host, delete) -> None:
    mine = quiz_create(host, {"title": "Mine", "questions": []})
    theirs = quiz_create(other_host, {"title": "Theirs", "questions": [_single("Secret?")]})
    victim = theirs.questions.get()
    data = quiz_post("Mine") | management("questions", 1, initial=1)
    data |= question_post(0, "single", "Hijacked", [("a", True), ("b", False)])
    data |= {"questions-0-id": victim.pk, "questions-0-quiz": mine.pk}
    if delete:
        data["questions-0-DELETE"] = "on"

    response = logged_in(host).post(change_url(mine), data)
    assert response.status_code == 200
    assert "another quiz" in response.content.decode()
    victim.refresh_from_db()
    assert (victim.quiz_id, victim.text) == (theirs.pk, "Secret?")


def test_forged_ids_cannot_touch_another_hosts_choices(host, other_host) -> None:
    mine = quiz_create(host, {"title": "Mine", "questions": [_single("Mine?")]})
    question = mine.questions.get()
    victim = quiz_create(other_host, {"title": "Theirs", "questions": [_single("Secret?")]}).questions.get()
    stolen = victim.choices.first()
    data = quiz_post("Mine") | management("questions", 1, initial=1)
    data |= {"questions-0-id": question.pk, "questions-0-quiz": mine.pk}
    data |= question_post(0, "single", "Mine?", [("Paris", True), ("Lyon", False), ("Stolen", False)])
    data |= management("questions-0-choices", 3, initial=3)
    ids = [*question.choices.values_list("pk", flat=True), stolen.pk]
    data |= {f"questions-0-choices-{i}-id": pk for i, pk in enumerate(ids)}
    data |= {f"questions-0-choices-{i}-question": question.pk for i in range(3)}

    response = logged_in(host).post(change_url(mine), data)
    assert response.status_code == 200
    stolen.refresh_from_db()
    assert (stolen.question_id, stolen.text) == (victim.pk, "Paris")


def test_superuser_sees_every_quiz_and_the_owner(host) -> None:
    quiz = quiz_create(host, {"title": "Host's", "questions": []})
    admin = make_user("root", is_staff=True, is_superuser=True)
    response = logged_in(admin).get(change_url(quiz))
    assert response.status_code == 200
    assert 'name="owner"' in response.content.decode()


# --- Games: read-only, each host sees their own


def _game(quiz: Quiz, pin: str) -> Game:
    game = Game.objects.create(pin=pin, quiz=quiz, host=quiz.owner, status=Game.Status.FINISHED)
    player = GamePlayer.objects.create(game=game, player_id="p1", nickname="Ada", score=950, rank=1)
    GameAnswer.objects.create(
        game=game, player=player, round=1, question=quiz.questions.first(), answer={"choice": 1},
        answered_at_ms=1, response_ms=900, correct=True, points=950,
    )  # fmt: skip
    return game


def test_host_sees_own_games_read_only(host, other_host) -> None:
    mine = _game(quiz_create(host, {"title": "Mine", "questions": [_single("Q?")]}), "111111")
    theirs = _game(quiz_create(other_host, {"title": "Theirs", "questions": [_single("Q?")]}), "222222")
    client = logged_in(host)

    changelist = client.get("/admin/results/game/").content.decode()
    assert "111111" in changelist and "222222" not in changelist
    assert client.get("/admin/results/game/add/").status_code == 403
    assert client.get(f"/admin/results/game/{theirs.pk}/change/").status_code == 302

    page = client.get(f"/admin/results/game/{mine.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ada" in html and "950" in html
    assert 'name="_save"' not in html and 'name="players-0-score"' not in html
    assert client.post(f"/admin/results/game/{mine.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Game.objects.filter(pk=mine.pk).exists()


def _single(text: str) -> dict[str, Any]:
    return {
        "kind": "single",
        "text": text,
        "choices": [{"text": "Paris", "correct": True}, {"text": "Lyon", "correct": False}],
    }


def question_forms(response) -> list[Any]:
    """The question forms the admin re-rendered (not the blank template form)."""
    forms = [admin_form.form for admin_form in response.context["inline_admin_formsets"][0]]
    return [form for form in forms if "__prefix__" not in form.prefix]


def _form_errors(response) -> Any:
    context = getattr(response, "context", None)
    return context and context.get("errors")
