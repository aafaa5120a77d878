"""A quiz with its pictures in one .zip (quizzes/packages.py): exported and imported through the API and the
host's pages, the same quiz and the same picture bytes on the way back; every bad package refused whole with
a clear reason, nothing written."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from quizzes.models import Question, Quiz
from quizzes.packages import PACKAGE_MAX
from tests.factories import host_make, quiz_every_kind

pytestmark = pytest.mark.django_db
LIST = "/api/quizzes/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def host():
    return host_make("packer", "pw-packer-1")


@pytest.fixture
def api(host) -> APIClient:
    client = APIClient()
    client.force_authenticate(host)
    return client


def picture(fmt: str = "PNG", colour: str = "teal") -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (9, 7), colour).save(data, fmt)
    return data.getvalue()


def pictured_quiz(host) -> Quiz:
    quiz = quiz_every_kind(host)
    first, third = quiz.questions.order_by("order", "id")[0], quiz.questions.order_by("order", "id")[2]
    first.image.save("map.png", ContentFile(picture()))
    third.image.save("flag.jpg", ContentFile(picture("JPEG", "red")))
    return quiz


def package_of(entries: dict[str, bytes | str]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in entries.items():
            package.writestr(name, content)
    return SimpleUploadedFile("quiz.zip", buffer.getvalue(), content_type="application/zip")


def images_of(quiz: Quiz) -> list[bytes | None]:
    return [q.image.read() if q.image else None for q in quiz.questions.order_by("order", "id")]


def test_a_package_round_trips_questions_settings_and_picture_bytes(api, host):
    quiz = pictured_quiz(host)
    response = api.get(f"{LIST}{quiz.pk}/package/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="quiz-{quiz.pk}.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as package:
        assert sorted(package.namelist()) == ["images/1.png", "images/3.jpg", "quiz.json"]
        assert json.loads(package.read("quiz.json")) == api.get(f"{LIST}{quiz.pk}/export/").json()

    upload = SimpleUploadedFile("q.zip", response.content, content_type="application/zip")
    created = api.post(f"{LIST}import-package/", {"file": upload}, format="multipart")
    assert created.status_code == 201, created.content
    copy = Quiz.objects.get(pk=created.json()["id"])
    assert copy.owner == host and copy.title == quiz.title
    assert api.get(f"{LIST}{copy.pk}/export/").json() == api.get(f"{LIST}{quiz.pk}/export/").json()
    assert images_of(copy) == images_of(quiz) and images_of(copy)[0] is not None
    originals = {q.image.name for q in quiz.questions.all() if q.image}
    assert not originals & {q.image.name for q in copy.questions.all() if q.image}  # files of its own
    assert created.json()["questions"][0]["image"].endswith(copy.questions.order_by("order")[0].image.url)


def test_only_the_owner_downloads_a_package(api, host):
    other = pictured_quiz(host_make("other"))
    assert api.get(f"{LIST}{other.pk}/package/").status_code == 404
    assert APIClient().get(f"{LIST}{other.pk}/package/").status_code in (401, 403)


@pytest.mark.parametrize(
    "entries, problem",
    [
        ({"images/1.png": picture()}, "no quiz.json"),
        ({"quiz.json": "{not json"}, "quiz.json: not a JSON file"),
        ({"quiz.json": "QUIZ", "../../etc/passwd": "x"}, "holds only quiz.json and images/"),
        ({"quiz.json": "QUIZ", "images/1.png": b"not a picture"}, "images/1.png: Upload a PNG"),
        ({"quiz.json": "QUIZ", "images/9.png": picture()}, "images/9: the quiz has no question 9"),
        ({"quiz.json": "QUIZ", "images/1.png": picture(), "images/1.jpg": picture("JPEG")}, "two pictures"),
    ],
)
def test_a_bad_package_is_refused_whole_with_its_reason(api, host, entries, problem):
    quiz = quiz_every_kind(host)
    text = json.dumps(api.get(f"{LIST}{quiz.pk}/export/").json())
    entries = {name: (text if content == "QUIZ" else content) for name, content in entries.items()}
    response = api.post(f"{LIST}import-package/", {"file": package_of(entries)}, format="multipart")
    assert response.status_code == 400
    assert any(problem in reason for reason in response.json()["file"]), response.json()
    assert Quiz.objects.count() == 1 and Question.objects.filter(image__gt="").count() == 0


def test_not_a_zip_a_missing_file_an_invalid_quiz_and_a_zip_bomb_are_refused(api, host):
    post = lambda data: api.post(f"{LIST}import-package/", data, format="multipart")  # noqa: E731
    assert post({"file": SimpleUploadedFile("q.zip", b"PK\x03\x04 nope")}).json()["file"] == [
        "This is not a .zip file."
    ]
    assert "multipart field `file`" in post({}).json()["file"][0]
    invalid = package_of({"quiz.json": json.dumps({"format": "quizzone.quiz.v1", "title": ""})})
    assert "title" in post({"file": invalid}).json()  # quiz.json's own errors, as the JSON import gives them
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("quiz.json", b"{}")
        package.writestr("images/1.png", b"\0" * (PACKAGE_MAX + 1))  # a few hundred KB that unpack to 100 MB
    assert len(buffer.getvalue()) < 1024 * 1024
    bomb = post({"file": SimpleUploadedFile("bomb.zip", buffer.getvalue())})
    assert bomb.status_code == 400 and "more than a quiz may hold" in bomb.json()["file"][0]
    assert Quiz.objects.count() == 0


def test_the_host_exports_and_imports_a_package_on_their_pages(host, media_root):
    quiz = pictured_quiz(host)
    client = Client()
    client.force_login(host)
    edit = client.get(reverse("quiz-edit", args=[quiz.pk])).content.decode()
    assert reverse("quiz-export-zip", args=[quiz.pk]) in edit and "Export with pictures (.zip)" in edit
    package = client.get(reverse("quiz-export-zip", args=[quiz.pk]))
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"

    upload = SimpleUploadedFile("quiz.zip", package.content, content_type="application/zip")
    imported = client.post(reverse("quiz-import"), {"kind": "package", "package": upload})
    assert imported.status_code == 302
    copy = Quiz.objects.exclude(pk=quiz.pk).get()
    assert imported["Location"] == reverse("quiz-edit", args=[copy.pk]) and images_of(copy) == images_of(quiz)

    bad_quiz = {"format": "quizzone.quiz.v1", "title": "x", "questions": [{}]}
    broken = package_of({"quiz.json": json.dumps(bad_quiz)})
    form = {"kind": "package", "package": broken}
    page = client.post(reverse("quiz-import"), form, HTTP_ACCEPT_LANGUAGE="ko")
    html = page.content.decode()
    assert page.status_code == 400 and 'id="package-problems"' in html and "quiz.json questions.1" in html
    assert "사진과 함께" in html  # the page in Korean
    assert Quiz.objects.count() == 2
    other = pictured_quiz(host_make("someone"))
    assert client.get(reverse("quiz-export-zip", args=[other.pk])).status_code == 404
