"""The quiz editor on the host's pages (/host/quizzes/…): server-rendered forms; static/js/editor.js only
hides the fields the chosen kind does not use. A host sees and edits only their own quizzes (others: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from . import rules
from .csvio import CsvImportError, quiz_csv_export, quiz_csv_import
from .forms import KIND_SECTIONS, CsvImportForm, PackageImportForm, QuestionEditor, QuizForm
from .models import Question, Quiz
from .packages import PACKAGE_MAX, ZIP_TYPE, PackageError, package_problems, quiz_package, quiz_package_import
from .selectors import quiz_get_for
from .services import (
    QuizInUseError,
    question_delete,
    question_move,
    question_save,
    quiz_create,
    quiz_delete,
    quiz_duplicate,
    quiz_update,
)

host_required = login_required(
    login_url=reverse_lazy("login")
)  # as results.permissions (quizzes is below it)


def _own_quiz(request: HttpRequest, quiz_id: int) -> Quiz:
    quiz = quiz_get_for(request.user, quiz_id)
    if quiz is None:
        raise Http404(_("No such quiz."))
    return quiz


def _own_question(quiz: Quiz, question_id: int) -> Question:
    return get_object_or_404(Question, pk=question_id, quiz=quiz)


@host_required
def quiz_new(request: HttpRequest) -> HttpResponse:
    form = QuizForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        quiz = quiz_create(request.user, form.cleaned_data)
        return redirect("quiz-edit", quiz.pk)
    return render(request, "quizzes/quiz_new.html", {"form": form})


@host_required
def quiz_edit(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    form = QuizForm(request.POST or None, instance=quiz)
    if request.method == "POST" and form.is_valid():
        quiz_update(quiz, form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("quiz-edit", quiz.pk)
    context = {
        "quiz": quiz,
        "form": form,
        "questions": quiz.questions.prefetch_related("choices").order_by("order", "id"),
        "kinds": Question.Kind.choices,
    }
    return render(request, "quizzes/quiz_edit.html", context)


@host_required
def question_edit(request: HttpRequest, quiz_id: int, question_id: int | None = None) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    if question_id is None:
        kind = request.GET.get("kind", rules.SINGLE)
        question = Question(quiz=quiz, kind=kind if kind in rules.KINDS else rules.SINGLE)
    else:
        question = _own_question(quiz, question_id)
    editor = QuestionEditor(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        question=question,
    )
    if request.method == "POST" and editor.is_valid():
        question_save(
            quiz,
            question if question.pk else None,
            editor.fields(),
            editor.choice_rows(),
            editor.image(),
        )
        messages.success(request, _("Question saved."))
        return redirect("quiz-edit", quiz.pk)
    context = {
        "quiz": quiz,
        "question": question,
        "editor": editor,
        "form": editor.form,
        "kind": editor.kind,
        "sections": {name: " ".join(kinds) for name, kinds in KIND_SECTIONS.items()},
    }
    return render(
        request, "quizzes/question_edit.html", context, status=400 if request.method == "POST" else 200
    )


@host_required
@require_POST
def question_move_view(request: HttpRequest, quiz_id: int, question_id: int) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    step = -1 if request.POST.get("direction") == "up" else 1
    question_move(_own_question(quiz, question_id), step)
    return redirect(reverse("quiz-edit", args=[quiz.pk]) + f"#question-{question_id}")


@host_required
@require_POST
def question_delete_view(request: HttpRequest, quiz_id: int, question_id: int) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    question_delete(_own_question(quiz, question_id))
    messages.success(request, _("Question deleted."))
    return redirect("quiz-edit", quiz.pk)


@host_required
@require_POST
def quiz_duplicate_view(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    title = _("%(title)s (copy)") % {"title": quiz.title}
    copy = quiz_duplicate(quiz, request.user, title[: Quiz._meta.get_field("title").max_length])
    messages.success(request, _("This is a copy; the original is unchanged."))
    return redirect("quiz-edit", copy.pk)


@host_required
@require_POST
def quiz_delete_view(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    try:
        quiz_delete(quiz)
    except QuizInUseError:
        messages.error(request, _("This quiz has been played; its games keep it."))
        return redirect("quiz-edit", quiz.pk)
    messages.success(request, _("Quiz deleted."))
    return redirect("host-quizzes")


@host_required
def quiz_export_csv(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    response = HttpResponse(quiz_csv_export(quiz), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quiz-{quiz.pk}.csv"'
    return response


@host_required
def quiz_export_zip(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _own_quiz(request, quiz_id)
    response = HttpResponse(quiz_package(quiz), content_type=ZIP_TYPE)
    response["Content-Disposition"] = f'attachment; filename="quiz-{quiz.pk}.zip"'
    return response


def _package_import(request: HttpRequest) -> HttpResponse:
    form = PackageImportForm(request.POST, request.FILES)
    problems: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["package"]
        try:
            if upload.size > PACKAGE_MAX:
                raise PackageError([_("The package is larger than a quiz may hold.")])
            quiz = quiz_package_import(request.user, upload)
        except PackageError as exc:
            problems = exc.problems
        except DRFValidationError as exc:
            problems = package_problems(exc)
        else:
            messages.success(request, _("Imported %(n)d questions.") % {"n": quiz.questions.count()})
            return redirect("quiz-edit", quiz.pk)
    context = {
        "form": CsvImportForm(initial={"language": request.LANGUAGE_CODE}),
        "package_form": form,
        "package_problems": problems,
    }
    return render(request, "quizzes/quiz_import.html", context, status=400)


@host_required
def quiz_import_csv(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "package" in request.POST.get("kind", ""):
        return _package_import(request)
    form = CsvImportForm(
        request.POST or None, request.FILES or None, initial={"language": request.LANGUAGE_CODE}
    )
    problems = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            quiz = quiz_csv_import(request.user, data["title"], data["language"], data["file"].read())
        except CsvImportError as exc:
            problems = exc.problems
        else:
            messages.success(request, _("Imported %(n)d questions.") % {"n": quiz.questions.count()})
            return redirect("quiz-edit", quiz.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "problems": problems, "package_form": PackageImportForm()}
    return render(request, "quizzes/quiz_import.html", context, status=status)
