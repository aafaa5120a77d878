"""A quiz with its pictures in one .zip: `quiz.json` (the JSON export file, unchanged) and
`images/<n>.<ext>` for question n (1-based). Imported whole or not at all: every entry is checked before
anything is written, and a zip that would unpack to more than it may (a zip bomb) is refused by the sizes
its directory declares, before anything is read."""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import IO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as DRFValidationError

from .images import MAX_BYTES, image_check
from .models import Question, Quiz
from .serializers import MAX_QUESTIONS
from .services import quiz_export, quiz_import

QUIZ_FILE = "quiz.json"
QUIZ_FILE_MAX = 2 * 1024 * 1024
PACKAGE_MAX = 100 * 1024 * 1024  # what a package may unpack to, at most
IMAGE_NAME = re.compile(r"images/([1-9][0-9]{0,2})\.(png|jpe?g|gif|webp)", re.IGNORECASE)
ZIP_TYPE = "application/zip"


class PackageError(Exception):
    """The package cannot be imported; `problems` says why, one sentence each, in the active language."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def quiz_package(quiz: Quiz) -> bytes:
    """The quiz and its pictures as a .zip (pictures are already compressed: stored as they are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        text = json.dumps(quiz_export(quiz), ensure_ascii=False, indent=2)
        package.writestr(QUIZ_FILE, text, compress_type=zipfile.ZIP_DEFLATED)
        for number, question in enumerate(quiz.questions.order_by("order", "id"), start=1):
            if question.image:
                extension = PurePosixPath(question.image.name).suffix.lower() or ".png"
                with question.image.open("rb") as image:
                    package.writestr(f"images/{number}{extension}", image.read())
    return buffer.getvalue()


def quiz_package_import(owner: AbstractBaseUser, upload: IO[bytes]) -> Quiz:
    """A new quiz for `owner` from a package; raises PackageError, or DRF's ValidationError for a
    quiz.json the JSON import would refuse."""
    try:
        package = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageError([_("This is not a .zip file.")]) from None
    with package:
        data, images = _entries(package)
    with transaction.atomic():
        quiz = quiz_import(owner, data)
        questions = list(quiz.questions.order_by("order", "id"))
        missing = sorted(number for number in images if number > len(questions))
        if missing:
            problem = _("images/%(n)d: the quiz has no question %(n)d.") % {"n": missing[0]}
            raise PackageError([problem])
        for number, (name, content) in sorted(images.items()):
            question = questions[number - 1]
            question.image.save(name, ContentFile(content), save=False)
            Question.objects.filter(pk=question.pk).update(image=question.image.name)
    return Quiz.objects.prefetch_related("questions__choices").get(pk=quiz.pk)


def _entries(package: zipfile.ZipFile) -> tuple[object, dict[int, tuple[str, bytes]]]:
    """quiz.json's data and the pictures by question number, each checked; PackageError otherwise."""
    infos = [info for info in package.infolist() if not info.is_dir()]
    problems: list[str] = []
    if len(infos) > MAX_QUESTIONS + 1:
        problems.append(_("A package holds quiz.json and at most one picture per question."))
    if sum(info.file_size for info in infos) > PACKAGE_MAX:
        problems.append(_("The package unpacks to more than a quiz may hold."))
    if problems:
        raise PackageError(problems)
    data: object = None
    images: dict[int, tuple[str, bytes]] = {}
    for info in infos:
        name = info.filename
        matched = IMAGE_NAME.fullmatch(name)
        if name == QUIZ_FILE:
            data = _quiz_data(package, info, problems)
        elif matched is None:
            problem = _("%(name)s: a package holds only quiz.json and images/<n>.png (or .jpg, .gif, .webp).")
            problems.append(problem % {"name": name[:80]})
        elif info.file_size > MAX_BYTES:
            problems.append(_("%(name)s: an image is at most 5 MB.") % {"name": name})
        else:
            number = int(matched.group(1))
            content = _read(package, info, problems)
            if content is None:
                continue
            try:
                image_check(ContentFile(content, name=name))
            except ValidationError as exc:
                problems.extend(f"{name}: {message}" for message in exc.messages)
                continue
            if number in images:
                problem = _("%(name)s: question %(n)d has two pictures.")
                problems.append(problem % {"name": name, "n": number})
            images[number] = (PurePosixPath(name).name, content)
    if data is None and not any(QUIZ_FILE in problem for problem in problems):
        problems.insert(0, _("The package has no quiz.json."))
    if problems:
        raise PackageError(problems)
    return data, images


def _read(package: zipfile.ZipFile, info: zipfile.ZipInfo, problems: list[str]) -> bytes | None:
    try:
        return package.read(info)  # never more than the declared size, checked before
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        problems.append(
            _("%(name)s: damaged, or packed in a way QuizZone cannot read.") % {"name": info.filename}
        )
        return None


def _quiz_data(package: zipfile.ZipFile, info: zipfile.ZipInfo, problems: list[str]) -> object:
    if info.file_size > QUIZ_FILE_MAX:
        problems.append(_("quiz.json: at most 2 MB."))
        return None
    content = _read(package, info, problems)
    if content is None:
        return None
    try:
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        problems.append(_("quiz.json: not a JSON file in UTF-8."))
        return None


def package_problems(exc: DRFValidationError) -> list[str]:
    """A refused quiz.json's errors as sentences for a page: `questions.2.text: This field is required.`"""
    problems: list[str] = []

    def walk(detail: object, path: str) -> None:
        if isinstance(detail, dict):
            for key, value in detail.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(detail, list) and detail and not all(isinstance(d, str) for d in detail):
            for index, value in enumerate(detail):
                walk(value, f"{path}.{index + 1}")
        elif isinstance(detail, list):
            problems.extend(f"quiz.json {path}: {message}" for message in detail)
        elif detail:
            problems.append(f"quiz.json {path}: {detail}")

    walk(exc.detail, "")
    return problems
