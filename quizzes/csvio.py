"""Quizzes as CSV, one row per question (README "Quiz CSV"); a file exported here imports back unchanged.

Columns (a header row names them; any order, unknown ones ignored; only `kind` and `text` are required):

- `kind`: single, multi, truefalse, text, slider or poll;
- `text`, and optionally `time_limit` (seconds, default 20), `points` (0, 1 or 2, default 1), `explanation`;
- `choice_1` … `choice_6`: the choices of single, multi and poll questions;
- `correct`: single/multi: the numbers of the right choices (`2`, `1;3`); truefalse: `true` or `false`;
  text: the accepted answers separated by `|`; slider: the right number; poll: empty;
- `min`, `max`, `tolerance`: slider only.

Files are read as UTF-8 (with or without BOM), else as CP949 (what Excel saves in Korean); written as
UTF-8 with a BOM, so Excel opens Korean text as it is. Images are not part of the file.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from . import rules
from .models import Question, Quiz
from .serializers import MAX_QUESTIONS, QuizSerializer, truefalse_value
from .services import quiz_create

CHOICE_COLUMNS = [f"choice_{n}" for n in range(1, rules.MAX_CHOICES + 1)]
COLUMNS = [
    "kind",
    "text",
    *CHOICE_COLUMNS,
    "correct",
    "min",
    "max",
    "tolerance",
    "time_limit",
    "points",
    "explanation",
]
MAX_BYTES = 1024 * 1024
ANSWER_SEPARATOR = "|"
TRUE_WORDS, FALSE_WORDS = {"true", "t", "yes", "1", "참", "o"}, {"false", "f", "no", "0", "거짓", "x"}
# Where an error of the quiz serializer shows in the file.
FIELD_COLUMNS = {"choices": "choice_1", "correct_value": "correct", "accepted_answers": "correct"}


@dataclass(frozen=True)
class CsvProblem:
    row: int  # the line in the file: 1 is the header
    column: str
    message: str


class CsvImportError(Exception):
    def __init__(self, problems: list[CsvProblem]) -> None:
        super().__init__("; ".join(f"row {p.row}, {p.column}: {p.message}" for p in problems))
        self.problems = problems


# --- export


def quiz_csv_export(quiz: Quiz) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for question in quiz.questions.prefetch_related("choices").order_by("order", "id"):
        writer.writerow(_row_of(question))
    return out.getvalue()


def _row_of(q: Question) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": q.kind,
        "text": q.text,
        "time_limit": q.time_limit,
        "points": q.points,
        "explanation": q.explanation,
    }
    choices = list(q.choices.all())
    if q.kind == rules.TRUEFALSE:
        value = truefalse_value([(c.text, c.correct) for c in choices])
        row["correct"] = "" if value is None else str(value).lower()
    elif q.kind in rules.CHOICE_KINDS:
        row |= {column: c.text for column, c in zip(CHOICE_COLUMNS, choices, strict=False)}
        row["correct"] = ";".join(str(n) for n, c in enumerate(choices, start=1) if c.correct)
    elif q.kind == rules.TEXT:
        row["correct"] = ANSWER_SEPARATOR.join(q.accepted_answers or [])
    elif q.kind == rules.SLIDER:
        row |= {
            "min": _number(q.slider_min),
            "max": _number(q.slider_max),
            "correct": _number(q.correct_value),
            "tolerance": _number(q.tolerance),
        }
    return row


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}" if float(value).is_integer() else repr(value)


# --- import


def quiz_csv_import(owner: AbstractBaseUser, title: str, language: str, content: bytes) -> Quiz:
    """A new quiz for `owner` from a CSV file; raises CsvImportError naming each bad row and column."""
    rows = quiz_csv_questions(content)
    questions = [question for _line, question in rows]
    serializer = QuizSerializer(data={"title": title, "language": language, "questions": questions})
    if not serializer.is_valid():
        raise CsvImportError(_problems_of(serializer.errors, [line for line, _question in rows]))
    return quiz_create(owner, serializer.validated_data)


def quiz_csv_questions(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The file's rows as (line, question in the quiz JSON's write format), not yet validated."""
    if len(content) > MAX_BYTES:
        raise CsvImportError([CsvProblem(1, "", _("The file is larger than 1 MB."))])
    text = _decode(content)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("kind", "text") if name not in header]
    if missing:
        message = _("The first row must name the columns; missing: %(columns)s.") % {
            "columns": ", ".join(missing)
        }
        raise CsvImportError([CsvProblem(1, "", message)])
    reader.fieldnames = header
    problems: list[CsvProblem] = []
    questions = []
    for line, raw in enumerate(reader, start=2):
        row = {name: (value or "").strip() for name, value in raw.items() if name in COLUMNS}
        if not any(row.values()):
            continue  # blank lines between questions are harmless
        try:
            questions.append((line, _question_of(row)))
        except _RowError as exc:
            problems.append(CsvProblem(line, exc.column, exc.message))
        if len(questions) > MAX_QUESTIONS:
            message = _("A quiz has at most %(max)d questions.") % {"max": MAX_QUESTIONS}
            raise CsvImportError([CsvProblem(line, "", message)])
    if problems:
        raise CsvImportError(problems)
    if not questions:
        raise CsvImportError([CsvProblem(1, "", _("The file has no questions."))])
    return questions


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvImportError([CsvProblem(1, "", _("Save the file as CSV UTF-8."))])


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def _question_of(row: dict[str, str]) -> dict[str, Any]:
    kind = row.get("kind", "").lower()
    if kind not in rules.KINDS:
        message = _("Unknown kind %(kind)r; expected one of %(kinds)s.") % {
            "kind": kind,
            "kinds": ", ".join(rules.KINDS),
        }
        raise _RowError("kind", message)
    question: dict[str, Any] = {"kind": kind, "text": row.get("text", "")}
    for name in ("time_limit", "points"):
        if row.get(name):
            question[name] = _integer(row, name)
    if row.get("explanation"):
        question["explanation"] = row["explanation"]
    correct = row.get("correct", "")
    if kind == rules.TRUEFALSE:
        word = correct.casefold()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise _RowError("correct", _("Write true or false."))
        question["correct_value"] = word in TRUE_WORDS
    elif kind in rules.CHOICE_KINDS:
        numbered = [(n, row.get(column, "")) for n, column in enumerate(CHOICE_COLUMNS, start=1)]
        filled = {n for n, text in numbered if text}
        right = set()
        for part in filter(None, re.split(r"[\s,;|]+", correct)):
            if not part.isdigit() or int(part) not in filled:
                raise _RowError("correct", _("Name the right choices by their numbers, e.g. 2 or 1;3."))
            right.add(int(part))
        question["choices"] = [{"text": text, "correct": n in right} for n, text in numbered if text]
    elif kind == rules.TEXT:
        question["accepted_answers"] = [a.strip() for a in correct.split(ANSWER_SEPARATOR) if a.strip()]
    elif kind == rules.SLIDER:
        for column, name in (
            ("min", "min"),
            ("max", "max"),
            ("correct", "correct_value"),
            ("tolerance", "tolerance"),
        ):
            if row.get(column):
                question[name] = _decimal(row, column)
    return question


def _integer(row: dict[str, str], column: str) -> int:
    try:
        return int(row[column])
    except ValueError:
        raise _RowError(column, _("Write a whole number.")) from None


def _decimal(row: dict[str, str], column: str) -> float:
    try:
        value = float(row[column].replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _RowError(column, _("Write a number."))
    return value


def _problems_of(errors: Any, lines: list[int]) -> list[CsvProblem]:
    problems = []
    for name, detail in errors.items():
        if (
            name != "questions"
            or not isinstance(detail, list)
            or not all(isinstance(d, dict) for d in detail)
        ):
            problems.append(CsvProblem(1, "", " ".join(_messages(detail))))
            continue
        for index, question_errors in enumerate(detail):
            for field, messages in question_errors.items():
                if field == "choices" and messages and isinstance(messages[0], dict):
                    for n, choice_errors in enumerate(messages, start=1):
                        for message in _messages(choice_errors):
                            problems.append(CsvProblem(lines[index], f"choice_{n}", message))
                    continue
                column = FIELD_COLUMNS.get(field, field)
                problems.extend(CsvProblem(lines[index], column, m) for m in _messages(messages))
    return problems


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]
