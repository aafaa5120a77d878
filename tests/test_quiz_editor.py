"""The host's quiz editor (/host/quizzes/…): a form per kind, errors where they occur (English and Korean),
images, reorder, duplicate, CSV import/export; and the explanation that `reveal` carries."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from game_builders import Game, question, quiz_of
from PIL import Image

from quizzes import csvio, images
from quizzes.images import image_files_release_kept
from quizzes.models import Choice, ImageFileKept, Question, Quiz
from results.models import Game as GameRecord
from rooms.game import commands as c
from rooms.game import events as e
from rooms.game.quiz import SINGLE
from rooms.services import quiz_spec_build
from tests.factories import host_make, quiz_every_kind

pytestmark = pytest.mark.django_db
KOREAN = {"HTTP_ACCEPT_LANGUAGE": "ko"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def host() -> User:
    return host_make("editor", "pw-editor-1")


@pytest.fixture
def client_for(host) -> Client:
    client = Client()
    client.force_login(host)
    return client


def png(name: str = "pic.png", size: tuple[int, int] = (8, 6)) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", size, "orange").save(data, "PNG")
    data.seek(0)
    data.name = name
    return data


def question_post(kind: str, **fields: Any) -> dict[str, Any]:
    """A question form as the browser posts it: six choice rows, the kind's own fields from `fields`."""
    data: dict[str, Any] = {
        "kind": kind,
        "text": fields.pop("text", f"A {kind} question"),
        "time_limit": 20,
        "points": 1,
        "choices-TOTAL_FORMS": 6,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 6,
    }
    for i, (text, correct) in enumerate(fields.pop("choices", [])):
        data[f"choices-{i}-text"] = text
        if correct:
            data[f"choices-{i}-correct"] = "on"
    return data | fields


EVERY_KIND = {
    "single": {"choices": [("Paris", True), ("Lyon", False), ("", False)]},
    "multi": {"choices": [("2", True), ("4", False), ("5", True)]},
    "truefalse": {"truefalse_answer": "false"},
    "text": {"accepted_answers": "pacific\n  Pacific Ocean \n\n"},
    "slider": {"slider_min": 1900, "slider_max": 2000, "correct_value": 1969, "tolerance": 2},
    "poll": {"choices": [("red", False), ("blue", False)], "points": 0},
}


def new_quiz(host: User, title: str = "Mine") -> Quiz:
    return Quiz.objects.create(owner=host, title=title)


def errors_in(html: str, field: str) -> list[str]:
    """The error texts shown next to `field` (the editor marks them with data-field)."""
    marker = f'data-field="{field}">'
    return [part.split("</p>", 1)[0] for part in html.split(marker)[1:]]


# --- a form per kind ------------------------------------------------------------------------------


def test_new_quiz_then_one_question_of_every_kind(client_for: Client, host: User) -> None:
    response = client_for.post(
        reverse("quiz-new"), {"title": "All kinds", "language": "en", "description": ""}
    )
    quiz = Quiz.objects.get(owner=host, title="All kinds")
    assert response["Location"] == reverse("quiz-edit", args=[quiz.pk])
    for kind, fields in EVERY_KIND.items():
        page = client_for.get(reverse("question-new", args=[quiz.pk]) + f"?kind={kind}")
        assert f'data-kind="{kind}"' in page.content.decode()
        response = client_for.post(
            reverse("question-new", args=[quiz.pk]), question_post(kind, **dict(fields))
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    by_kind = {q.kind: q for q in quiz.questions.all()}
    assert [q.kind for q in quiz.questions.order_by("order")] == list(EVERY_KIND)
    assert [(c.text, c.correct) for c in by_kind["single"].choices.all()] == [
        ("Paris", True),
        ("Lyon", False),
    ]
    assert [(c.text, c.correct) for c in by_kind["truefalse"].choices.all()] == [
        ("True", False),
        ("False", True),
    ]
    assert by_kind["text"].accepted_answers == ["pacific", "Pacific Ocean"]
    slider = by_kind["slider"]
    assert (slider.slider_min, slider.slider_max, slider.correct_value, slider.tolerance) == (
        1900,
        2000,
        1969,
        2,
    )
    assert by_kind["poll"].points == 0
    spec = quiz_spec_build(quiz)  # what a game of it would play
    assert [q.kind for q in spec.questions] == list(EVERY_KIND)


def test_fields_of_other_kinds_are_not_kept(client_for: Client, host: User) -> None:
    quiz = new_quiz(host)
    data = question_post("single", **EVERY_KIND["single"], **EVERY_KIND["slider"], accepted_answers="x")
    assert client_for.post(reverse("question-new", args=[quiz.pk]), data).status_code == 302
    q = quiz.questions.get()
    assert (q.slider_min, q.correct_value, q.accepted_answers) == (None, None, [])


def test_editing_a_question_keeps_its_choice_ids_and_can_change_its_kind(
    client_for: Client, host: User
) -> None:
    quiz = quiz_every_kind(host)
    single = quiz.questions.get(kind="single")
    ids = list(single.choices.values_list("pk", flat=True))
    url = reverse("question-edit", args=[quiz.pk, single.pk])
    assert "Paris" in client_for.get(url).content.decode()
    data = question_post(
        "single", text="Capital?", choices=[("Paris!", True), ("Lyon", False), ("Nice", False)]
    )
    assert client_for.post(url, data).status_code == 302
    assert list(single.choices.values_list("pk", flat=True))[:2] == ids
    assert list(single.choices.values_list("text", flat=True)) == ["Paris!", "Lyon", "Nice"]
    assert client_for.post(url, question_post("text", accepted_answers="paris")).status_code == 302
    single.refresh_from_db()
    assert single.kind == "text" and not single.choices.exists()


# --- errors where they occur -----------------------------------------------------------------------

BAD = [
    ("single", {"choices": [("Paris", False), ("Lyon", False)]}, "choices", "exactly one correct choice"),
    ("single", {"choices": [("", True), ("Lyon", False)]}, "choice-1", "Every choice needs text."),
    ("multi", {"choices": [("a", False), ("b", False)]}, "choices", "at least one correct choice"),
    ("poll", {"choices": [("only one", False)]}, "choices", "Needs 2 to 6 choices, got 1."),
    ("truefalse", {}, "truefalse_answer", "Pick the right answer"),
    ("text", {"accepted_answers": "  \n"}, "accepted_answers", "at least one accepted answer"),
    (
        "slider",
        {"slider_min": 10, "slider_max": 5, "correct_value": 7},
        "slider_max",
        "greater than the minimum",
    ),
    ("slider", {"slider_min": 0, "slider_max": 5}, "correct_value", "A slider needs a correct value."),
    ("single", {"text": " ", "choices": [("a", True), ("b", False)]}, "text", "required"),
    ("single", {"time_limit": 500, "choices": [("a", True), ("b", False)]}, "time_limit", "240"),
]


@pytest.mark.parametrize(("kind", "fields", "field", "message"), BAD)
def test_errors_show_next_to_their_field(client_for, host, kind, fields, field, message) -> None:
    quiz = new_quiz(host)
    response = client_for.post(reverse("question-new", args=[quiz.pk]), question_post(kind, **fields))
    assert response.status_code == 400
    shown = errors_in(response.content.decode(), field)
    assert any(message in text for text in shown), (field, shown)
    assert not quiz.questions.exists()


def test_errors_in_korean(client_for: Client, host: User) -> None:
    quiz = new_quiz(host)
    url = reverse("question-new", args=[quiz.pk])
    bad_slider = question_post("slider", slider_min=10, slider_max=5, correct_value=7)
    html = client_for.post(url, bad_slider, **KOREAN).content.decode()
    assert "최댓값은 최솟값보다 커야 합니다." in errors_in(html, "slider_max")
    html = client_for.post(url, question_post("truefalse"), **KOREAN).content.decode()
    assert errors_in(html, "truefalse_answer") == ["정답을 고르세요: 참 또는 거짓."]
    html = client_for.post(url, question_post("single", choices=[("a", False), ("b", False)]), **KOREAN)
    assert "정답" in errors_in(html.content.decode(), "choices")[0]
    page = client_for.get(url + "?kind=slider", **KOREAN).content.decode()
    for korean in ("문제 유형", "제한 시간", "최솟값", "허용 오차", "해설", "이미지"):
        assert korean in page, korean


# --- images ----------------------------------------------------------------------------------------


def test_an_image_is_uploaded_shown_and_frozen_into_the_game(client_for, host, media_root) -> None:
    quiz = new_quiz(host)
    data = question_post("single", **EVERY_KIND["single"], image=png())
    assert client_for.post(reverse("question-new", args=[quiz.pk]), data).status_code == 302
    q = quiz.questions.get()
    assert q.image.name.startswith("questions/") and (media_root / q.image.name).exists()
    assert quiz_spec_build(quiz).questions[0].image == q.image.url
    assert q.image.url in client_for.get(reverse("quiz-edit", args=[quiz.pk])).content.decode()
    served = client_for.get(q.image.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    # Saved again without a new file, the image stays; "clear" removes it.
    url = reverse("question-edit", args=[quiz.pk, q.pk])
    assert client_for.post(url, question_post("single", **EVERY_KIND["single"])).status_code == 302
    q.refresh_from_db()
    assert q.image
    cleared = question_post("single", **EVERY_KIND["single"], **{"image-clear": "on"})
    assert client_for.post(url, cleared).status_code == 302
    q.refresh_from_db()
    assert not q.image


def test_image_files_go_when_no_question_uses_them(
    client_for, host, media_root, django_capture_on_commit_callbacks
) -> None:
    """Replaced, cleared or deleted with its question: the file goes, unless a copied quiz still shows it."""
    quiz = new_quiz(host)
    posted = lambda url, **more: client_for.post(url, question_post("single", **EVERY_KIND["single"], **more))  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        posted(reverse("question-new", args=[quiz.pk]), image=png("first.png"))
    first = quiz.questions.get()
    first_file = media_root / first.image.name
    with django_capture_on_commit_callbacks(execute=True):
        client_for.post(reverse("quiz-duplicate", args=[quiz.pk]))
    copy = Quiz.objects.exclude(pk=quiz.pk).get()
    edit = reverse("question-edit", args=[quiz.pk, first.pk])
    with django_capture_on_commit_callbacks(execute=True):
        posted(edit, image=png("second.png"))
    first.refresh_from_db()
    second_file = media_root / first.image.name
    assert second_file.exists() and first_file.exists()  # the copy still shows the first picture
    with django_capture_on_commit_callbacks(execute=True):
        client_for.post(reverse("question-delete", args=[copy.pk, copy.questions.get().pk]))
    assert not first_file.exists()
    game = GameRecord.objects.create(pin="424242", quiz=quiz, host=host)  # a live game shows its picture
    with django_capture_on_commit_callbacks(execute=True):
        posted(edit, **{"image-clear": "on"})
    assert second_file.exists()
    kept = ImageFileKept.objects.get()
    assert (media_root / kept.name, kept.quiz_id) == (second_file, quiz.pk)
    assert image_files_release_kept() == 0 and second_file.exists()  # still played: kept
    game.status = GameRecord.Status.FINISHED
    game.save()
    assert image_files_release_kept() == 1  # the game is over: the file goes, and the record of it
    assert not second_file.exists() and not ImageFileKept.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        posted(edit, image=png("third.png"))
        first.refresh_from_db()
        third_file = media_root / first.image.name
        client_for.post(reverse("question-delete", args=[quiz.pk, first.pk]))
    assert not third_file.exists()


def test_a_kept_file_goes_only_when_every_quiz_that_kept_it_is_done_and_no_question_took_it_back(
    host, media_root
) -> None:
    storage = Question._meta.get_field("image").storage
    played, idle, other = new_quiz(host), new_quiz(host), new_quiz(host)
    game = GameRecord.objects.create(pin="535353", quiz=played, host=host)
    shared, taken_back, alone = (storage.save(f"questions/{n}.png", png(f"{n}.png")) for n in "abc")
    ImageFileKept.objects.bulk_create(
        [
            ImageFileKept(name=shared, quiz_id=idle.pk),
            ImageFileKept(name=shared, quiz_id=played.pk),  # a copy of the quiz, still played, shows it
            ImageFileKept(name=taken_back, quiz_id=idle.pk),
            ImageFileKept(name=alone, quiz_id=idle.pk),
        ]
    )
    Question.objects.create(quiz=other, text="uses it again", image=taken_back)
    assert image_files_release_kept() == 1
    assert [storage.exists(n) for n in (shared, taken_back, alone)] == [True, True, False]
    assert set(ImageFileKept.objects.values_list("name", flat=True)) == {shared}
    game.status = GameRecord.Status.EXPIRED  # left unfinished until it expired: no longer played either
    game.save()
    assert image_files_release_kept() == 1 and not storage.exists(shared)
    assert not ImageFileKept.objects.exists()


def test_a_file_that_is_not_an_image_or_too_large_is_refused(client_for, host, monkeypatch) -> None:
    quiz = new_quiz(host)
    url = reverse("question-new", args=[quiz.pk])
    fake = io.BytesIO(b"<svg onload=alert(1)>")
    fake.name = "evil.png"
    response = client_for.post(url, question_post("single", **EVERY_KIND["single"], image=fake))
    assert response.status_code == 400 and errors_in(response.content.decode(), "image")
    monkeypatch.setattr(images, "MAX_BYTES", 10)
    response = client_for.post(url, question_post("single", **EVERY_KIND["single"], image=png()), **KOREAN)
    assert errors_in(response.content.decode(), "image") == ["이미지는 5MB까지입니다."]
    assert not quiz.questions.exists()


# --- order, delete, duplicate, ownership -----------------------------------------------------------


def test_questions_move_up_and_down_on_the_server(client_for: Client, host: User) -> None:
    quiz = quiz_every_kind(host)
    kinds = lambda: list(quiz.questions.order_by("order").values_list("kind", flat=True))  # noqa: E731
    first, third = kinds()[0], quiz.questions.get(kind="truefalse")
    client_for.post(reverse("question-move", args=[quiz.pk, third.pk]), {"direction": "up"})
    assert kinds()[:3] == ["single", "truefalse", "multi"]
    client_for.post(reverse("question-move", args=[quiz.pk, third.pk]), {"direction": "up"})
    client_for.post(reverse("question-move", args=[quiz.pk, third.pk]), {"direction": "up"})  # stays first
    assert kinds()[:3] == ["truefalse", first, "multi"]
    poll = quiz.questions.get(kind="poll")
    client_for.post(reverse("question-move", args=[quiz.pk, poll.pk]), {"direction": "down"})  # stays last
    assert kinds()[-1] == "poll"
    assert list(quiz.questions.order_by("order").values_list("order", flat=True)) == list(range(6))
    assert [q.kind for q in quiz_spec_build(quiz).questions] == kinds()
    client_for.post(reverse("question-delete", args=[quiz.pk, third.pk]))
    assert list(quiz.questions.order_by("order").values_list("order", flat=True)) == list(range(5))


def test_duplicate_copies_questions_choices_and_images(client_for: Client, host: User) -> None:
    quiz = quiz_every_kind(host)
    Question.objects.filter(quiz=quiz, kind="single").update(explanation="Paris is the capital.")
    response = client_for.post(reverse("quiz-duplicate", args=[quiz.pk]))
    copy = Quiz.objects.exclude(pk=quiz.pk).get()
    assert response["Location"] == reverse("quiz-edit", args=[copy.pk])
    assert copy.title == "Every kind (copy)" and copy.owner == host
    assert csvio.quiz_csv_export(copy) == csvio.quiz_csv_export(quiz)
    assert (
        Choice.objects.filter(question__quiz=quiz).count()
        == Choice.objects.filter(question__quiz=copy).count()
    )


def test_another_hosts_quiz_is_not_found(host: User) -> None:
    quiz = quiz_every_kind(host)
    q = quiz.questions.first()
    stranger = Client()
    stranger.force_login(host_make("stranger"))
    for url in (
        reverse("quiz-edit", args=[quiz.pk]),
        reverse("question-edit", args=[quiz.pk, q.pk]),
        reverse("question-new", args=[quiz.pk]),
        reverse("quiz-export-csv", args=[quiz.pk]),
    ):
        assert stranger.get(url).status_code == 404, url
    for url in (
        reverse("question-move", args=[quiz.pk, q.pk]),
        reverse("question-delete", args=[quiz.pk, q.pk]),
        reverse("quiz-duplicate", args=[quiz.pk]),
        reverse("quiz-delete", args=[quiz.pk]),
    ):
        assert stranger.post(url).status_code == 404, url
    assert quiz.questions.count() == 6 and Quiz.objects.count() == 1
    assert Client().get(reverse("quiz-edit", args=[quiz.pk])).status_code == 302  # to the login page


def test_pages_render_in_korean(client_for: Client, host: User) -> None:
    quiz = quiz_every_kind(host)
    assert "문제 추가" in client_for.get(reverse("quiz-edit", args=[quiz.pk]), **KOREAN).content.decode()
    assert "CSV" in client_for.get(reverse("quiz-import"), **KOREAN).content.decode()
    assert "새 퀴즈" in client_for.get(reverse("quiz-new"), **KOREAN).content.decode()


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_round_trip_keeps_every_kind(client_for: Client, host: User) -> None:
    quiz = quiz_every_kind(host)
    Question.objects.filter(quiz=quiz, kind="slider").update(explanation="아폴로 11호, 1969년.")
    Question.objects.filter(quiz=quiz, kind="text").update(text="가장 큰 바다는?")
    response = client_for.get(reverse("quiz-export-csv", args=[quiz.pk]))
    content = response.content
    assert content.startswith("\ufeffkind,text,choice_1".encode())  # UTF-8 with BOM, for Excel
    upload = io.BytesIO(content)
    upload.name = "quiz.csv"
    response = client_for.post(
        reverse("quiz-import"), {"file": upload, "title": "Imported", "language": "ko"}
    )
    imported = Quiz.objects.get(title="Imported")
    assert response["Location"] == reverse("quiz-edit", args=[imported.pk])
    assert imported.language == "ko"
    assert csvio.quiz_csv_export(imported).encode() == content
    spec = lambda q: [dataclasses.replace(s, choices=()) for s in quiz_spec_build(q).questions]  # noqa: E731
    assert spec(imported) == spec(quiz)


def test_csv_written_by_hand_in_excel_korean_encoding() -> None:
    rows = (
        "kind,text,choice_1,choice_2,choice_3,correct,min,max\r\n"
        "single,수도는?,서울,부산,,1,,\r\n"
        "\r\n"
        "truefalse,해는 별이다,,,,참,,\r\n"
        "slider,몇 년?,,,,1969,1900,2000\r\n"
    )
    host = host_make("excel")
    quiz = csvio.quiz_csv_import(host, "엑셀", "ko", rows.encode("cp949"))
    assert [q.kind for q in quiz.questions.all()] == ["single", "truefalse", "slider"]
    assert [(c.text, c.correct) for c in quiz.questions.first().choices.all()] == [
        ("서울", True),
        ("부산", False),
    ]


CSV_ERRORS = [
    ("kind,text\nessay,Why?\n", 2, "kind", "Unknown kind"),
    ("kind,text,choice_1,choice_2,correct\nsingle,Q,a,b,3\n", 2, "correct", "numbers"),
    ("kind,text,choice_1,choice_2,correct\nsingle,Q,a,b,\n", 2, "choice_1", "exactly one correct"),
    ("kind,text,correct\ntruefalse,Q,maybe\n", 2, "correct", "true or false"),
    ("kind,text,correct,min,max\nslider,Q,5,10,1\n", 2, "max", "greater than the minimum"),
    ("kind,text,correct,min,max\nslider,Q,five,1,10\n", 2, "correct", "number"),
    ("kind,text,time_limit\nsingle,Q,soon\n", 2, "time_limit", "whole number"),
    ("kind,text,correct\ntext,Q,a\ntext,,b\n", 3, "text", "needs text"),
    ("question,answer\nQ,A\n", 1, "", "missing: kind, text"),
    ("kind,text\n", 1, "", "no questions"),
]


@pytest.mark.parametrize(("content", "row", "column", "message"), CSV_ERRORS)
def test_csv_errors_name_the_row_and_column(
    host: User, content: str, row: int, column: str, message: str
) -> None:
    with pytest.raises(csvio.CsvImportError) as caught:
        csvio.quiz_csv_import(host, "Bad", "en", content.encode())
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (row, column) and message in problem.message, problem
    assert not Quiz.objects.exists()


def test_csv_errors_on_the_import_page_in_korean(client_for: Client) -> None:
    upload = io.BytesIO(b"kind,text,correct\ntruefalse,Q,maybe\n")
    upload.name = "bad.csv"
    response = client_for.post(
        reverse("quiz-import"), {"file": upload, "title": "T", "language": "en"}, **KOREAN
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'id="import-problems"' in html
    assert "true 또는 false" in html and '<td class="num">2</td>' in html


# --- explanation with reveal -----------------------------------------------------------------------


def test_the_explanation_comes_with_reveal_and_never_before(host: User) -> None:
    quiz = quiz_every_kind(host)
    Question.objects.filter(quiz=quiz, kind="single").update(
        explanation="Paris has been the capital since 987."
    )
    spec = quiz_spec_build(quiz)
    assert spec.questions[0].explanation.startswith("Paris")
    q = dataclasses.replace(question(SINGLE), explanation="Because.")
    g = Game(quiz=quiz_of(q, question(SINGLE)))
    g.join("ann")
    opened = g.do(c.Start())
    assert all("Because." not in str(ev.frame()) for ev in opened if hasattr(ev, "frame"))
    revealed = next(ev for ev in g.close("skip") if isinstance(ev, e.Revealed))
    assert revealed.frame()["explanation"] == "Because."
    g.do(c.Next())
    g.do(c.Next())
    assert "explanation" not in next(ev for ev in g.close("skip") if isinstance(ev, e.Revealed)).frame()


def test_the_api_reads_and_writes_the_explanation(host: User) -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(host)
    body = {
        "title": "API",
        "questions": [
            {"kind": "truefalse", "text": "Q", "correct_value": True, "explanation": "Yes."},
            {"kind": "truefalse", "text": "Q2", "correct_value": False},
        ],
    }
    created = api.post("/api/quizzes/", body, format="json").json()
    assert [q["explanation"] for q in created["questions"]] == ["Yes.", ""]
    exported = api.get(f"/api/quizzes/{created['id']}/export/").json()
    assert exported["questions"][0]["explanation"] == "Yes." and "explanation" not in exported["questions"][1]
    too_long = {**body, "questions": [{**body["questions"][0], "explanation": "x" * 1001}]}
    assert api.post("/api/quizzes/", too_long, format="json").status_code == 400
