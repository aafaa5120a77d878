"""The quiz editor's pages, included at the site root before rooms' `host/<pin>/`."""

from django.urls import path

from . import pages

urlpatterns = [
    path("host/quizzes/new/", pages.quiz_new, name="quiz-new"),
    path("host/quizzes/import/", pages.quiz_import_csv, name="quiz-import"),
    path("host/quizzes/<int:quiz_id>/", pages.quiz_edit, name="quiz-edit"),
    path("host/quizzes/<int:quiz_id>/duplicate/", pages.quiz_duplicate_view, name="quiz-duplicate"),
    path("host/quizzes/<int:quiz_id>/delete/", pages.quiz_delete_view, name="quiz-delete"),
    path("host/quizzes/<int:quiz_id>/export.csv", pages.quiz_export_csv, name="quiz-export-csv"),
    path("host/quizzes/<int:quiz_id>/export.zip", pages.quiz_export_zip, name="quiz-export-zip"),
    path("host/quizzes/<int:quiz_id>/questions/new/", pages.question_edit, name="question-new"),
    path(
        "host/quizzes/<int:quiz_id>/questions/<int:question_id>/", pages.question_edit, name="question-edit"
    ),
    path(
        "host/quizzes/<int:quiz_id>/questions/<int:question_id>/move/",
        pages.question_move_view,
        name="question-move",
    ),
    path(
        "host/quizzes/<int:quiz_id>/questions/<int:question_id>/delete/",
        pages.question_delete_view,
        name="question-delete",
    ),
]
