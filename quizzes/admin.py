"""Admin: quizzes edited whole on one page (questions and their choices inline).

Hosts (staff in the "Hosts" group) see and edit only their own quizzes; superusers see all.
"""

from __future__ import annotations

from typing import Any

import nested_admin
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from . import rules
from .forms import AnswerLinesField
from .models import Choice, Question, Quiz
from .serializers import FALSE_TEXT, RULE_FIELD_TO_MODEL_FIELD, TRUE_TEXT, truefalse_choices, truefalse_value

SLIDER_FIELDS = ("slider_min", "slider_max", "correct_value", "tolerance")


def _sees_everything(request: HttpRequest) -> bool:
    return request.user.is_superuser


# --- Quizzes


class PositionField(forms.IntegerField):
    """nested_admin's hidden position. Blank on rows nobody filled; a blank one that is saved sorts last
    (nested_admin then numbers every saved row 0, 1, 2...)."""

    widget = forms.HiddenInput
    LAST = 2**31 - 1

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, min_value=0, **kwargs)

    def clean(self, value: Any) -> int:
        position = super().clean(value)
        return self.LAST if position is None else position


class PositionedForm(forms.ModelForm):
    """A new row starts with a blank position rather than the model default 0: nested_admin numbers
    only rows with content, and a shared 0 would make its error page sort tied rows (and fail)."""

    order = PositionField()


class ChoiceAdminForm(PositionedForm):
    class Meta:
        model = Choice
        fields = "__all__"


class QuestionAdminForm(PositionedForm):
    accepted_answers = AnswerLinesField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Accepted answers"),
        required=False,
        help_text=_("Type the answer only: one accepted answer per line (case does not matter)."),
    )

    truefalse_correct = forms.ChoiceField(
        choices=[("", "---------"), ("true", _("True")), ("false", _("False"))],
        label=_("Correct answer"),
        required=False,
        help_text=_("True or false questions: the two choices are written from this (no need to type them)."),
    )

    class Meta:
        model = Question
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.kind == rules.TRUEFALSE:
            value = truefalse_value([(c.text, c.correct) for c in self.instance.choices.all()])
            self.initial["truefalse_correct"] = "" if value is None else str(value).lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") != rules.TRUEFALSE:
            data["truefalse_correct"] = ""
        # Keep only what the kind uses, as the API does.
        if data.get("kind") != rules.SLIDER:
            for name in SLIDER_FIELDS:
                data[name] = None
        if data.get("kind") != rules.TEXT:
            data["accepted_answers"] = []
        return data

    def _update_errors(self, errors: ValidationError) -> None:
        # Question.clean() reports the slider bounds as "min"/"max" (their JSON names).
        if hasattr(errors, "error_dict"):
            errors = ValidationError(
                {RULE_FIELD_TO_MODEL_FIELD.get(name, name): e for name, e in errors.error_dict.items()}
            )
        super()._update_errors(errors)


class OwnRowsOnly:
    """Refuses posted row ids from outside the quiz being edited.

    nested_admin looks an existing row up by its posted id alone (so rows can be dragged between
    parents), so a forged id would change, move or delete a row of someone else's quiz.
    """

    def own_ids(self) -> set[str]:
        raise NotImplementedError

    def clean(self) -> None:
        super().clean()
        pk_name = self.model._meta.pk.name
        posted = {self.data.get(f"{self.add_prefix(i)}-{pk_name}") for i in range(self.initial_form_count())}
        if posted - {None, ""} - self.own_ids():
            raise ValidationError(_("This form refers to rows of another quiz. Reload the page."))


class QuestionInlineFormSet(OwnRowsOnly, nested_admin.NestedInlineFormSet):
    def own_ids(self) -> set[str]:
        if not self.instance.pk:
            return set()
        return {
            str(pk) for pk in Question.objects.filter(quiz_id=self.instance.pk).values_list("pk", flat=True)
        }


class ChoiceInlineFormSet(OwnRowsOnly, nested_admin.NestedInlineFormSet):
    """Checks the choices of one question against its kind; errors show under that question."""

    def own_ids(self) -> set[str]:
        quiz_id = self.instance.quiz_id  # the quiz being edited: inline formsets set it on every question
        if not quiz_id:
            return set()
        return {
            str(pk) for pk in Choice.objects.filter(question__quiz_id=quiz_id).values_list("pk", flat=True)
        }

    def clean(self) -> None:
        super().clean()
        question_form = getattr(self, "parent_form", None)  # set by nested_admin
        question = getattr(question_form, "cleaned_data", None) or {}
        if not question.get("kind") or question.get("DELETE"):
            return
        rows = [form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]
        choices = [
            (form.cleaned_data.get("text", ""), form.cleaned_data.get("correct", False)) for form in rows
        ]
        if question["kind"] == rules.TRUEFALSE:
            chosen = question.get("truefalse_correct")
            if chosen:  # the select wins over the ticks
                if not rows:  # written once the question is saved (QuizAdmin.save_related)
                    return
                if sorted(text.strip().casefold() for text, _ in choices) != ["false", "true"]:
                    raise ValidationError(
                        _("Delete these choices: they are written from the correct answer picked above.")
                    )
                choices = [
                    (text, (text.strip().casefold() == "true") == (chosen == "true")) for text, _ in choices
                ]
            if truefalse_value(choices) is None:
                raise ValidationError(
                    _('A true-or-false question has two choices, "True" and "False", one correct.')
                )
            for form, (text, correct) in zip(rows, choices, strict=True):  # stored as the API stores them
                is_true = text.strip().casefold() == "true"
                form.instance.text = TRUE_TEXT if is_true else FALSE_TEXT
                form.instance.order = form.cleaned_data["order"] = 0 if is_true else 1
                form.instance.correct = form.cleaned_data["correct"] = correct
        errors = rules.question_errors(rules.QuestionDraft(kind=question["kind"], choices=choices))
        if errors.get("choices"):
            raise ValidationError(errors["choices"])


class SortedByOrder:
    """Drag-and-drop sorting on the hidden `order` field (see PositionedForm).

    On submit nested_admin numbers every row holding a value outside `sortable_excludes`; fields with
    defaults are excluded so that untouched blank rows stay blank (and are not saved).
    """

    sortable_field_name = "order"
    sortable_excludes: tuple[str, ...] = ("order",)


class ChoiceInline(SortedByOrder, nested_admin.NestedTabularInline):
    model = Choice
    form = ChoiceAdminForm
    formset = ChoiceInlineFormSet
    fields = ("order", "text", "correct")
    max_num = rules.MAX_CHOICES

    def get_extra(self, request: HttpRequest, obj: Question | None = None, **kwargs: Any) -> int:
        return 0 if obj is not None and obj.pk else 4


class QuestionInline(SortedByOrder, nested_admin.NestedStackedInline):
    model = Question
    form = QuestionAdminForm
    formset = QuestionInlineFormSet
    inlines = [ChoiceInline]
    sortable_excludes = ("order", "kind", "time_limit", "points")
    fieldsets = [
        (None, {"fields": ["order", "kind", "text", "image", ("time_limit", "points"), "explanation"]}),
        (_("True or false"), {"fields": ["truefalse_correct"]}),
        (_("Slider"), {"fields": [SLIDER_FIELDS]}),
        (_("Type the answer"), {"fields": ["accepted_answers"]}),
    ]

    def get_extra(self, request: HttpRequest, obj: Quiz | None = None, **kwargs: Any) -> int:
        return 0 if obj is not None and obj.pk else 1


@admin.register(Quiz)
class QuizAdmin(nested_admin.NestedModelAdmin):
    inlines = [QuestionInline]
    list_display = ("title", "language", "question_count", "updated_at")
    list_filter = ("language",)
    search_fields = ("title", "description")
    readonly_fields = ("preview",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Quiz]:
        quizzes = super().get_queryset(request).annotate(question_count=Count("questions"))
        return quizzes if _sees_everything(request) else quizzes.filter(owner=request.user)

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if _sees_everything(request):
            return (*self.list_display, "owner")
        return self.list_display

    def get_fields(self, request: HttpRequest, obj: Quiz | None = None) -> list[str]:
        fields = ["title", "description", "language"]
        if _sees_everything(request):
            fields.append("owner")
        return [*fields, "preview"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Quiz, form: forms.ModelForm, change: bool) -> None:
        if not obj.owner_id:  # hosts never see the owner field: a new quiz is theirs
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            for question_form in formset.forms:
                _truefalse_choices_write(question_form)

    def _owns(self, request: HttpRequest, obj: Quiz | None) -> bool:
        return obj is None or _sees_everything(request) or obj.owner_id == request.user.pk

    def has_view_permission(self, request: HttpRequest, obj: Quiz | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._owns(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Quiz | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._owns(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Quiz | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._owns(request, obj)

    @admin.display(description=_("questions"), ordering="question_count")
    def question_count(self, quiz: Quiz) -> int:
        return quiz.question_count

    @admin.display(description=_("preview"))
    def preview(self, quiz: Quiz) -> SafeString | str:
        if not quiz.pk:
            return _("Save the quiz to see it as players will.")
        questions = quiz.questions.prefetch_related("choices")
        return format_html(
            '<ol class="qz-preview" style="margin:0;padding-left:1.5em">{}</ol>',
            format_html_join("", "<li>{}</li>", ((question_preview(q),) for q in questions)),
        )


def _truefalse_choices_write(question_form: forms.ModelForm) -> None:
    """Writes "True" and "False" for a true-or-false question saved with its answer picked and no choices."""
    data = getattr(question_form, "cleaned_data", None) or {}
    question = question_form.instance
    if (
        not data.get("truefalse_correct")
        or data.get("DELETE")
        or not question.pk
        or question.choices.exists()
    ):
        return
    choices = truefalse_choices(data["truefalse_correct"] == "true")
    Choice.objects.bulk_create(
        Choice(question=question, order=i, **choice) for i, choice in enumerate(choices)
    )


def question_preview(question: Question) -> SafeString:
    """One question as a player sees it, with the right answers marked ✔ for the host."""
    meta = format_html(
        "<small> · {} · {} s · ×{}</small>", question.get_kind_display(), question.time_limit, question.points
    )
    if question.kind in rules.CHOICE_KINDS:
        marked = question.kind != rules.POLL
        body = format_html(
            '<ul style="margin:0.2em 0 0.6em">{}</ul>',
            format_html_join(
                "",
                "<li>{}{}</li>",
                (("✔ " if marked and c.correct else "", c.text) for c in question.choices.all()),
            ),
        )
    elif question.kind == rules.SLIDER:
        body = format_html(
            "<p>{} … {} · ✔ {} ± {}</p>",
            *(_number_text(value) for value in (question.slider_min, question.slider_max)),
            _number_text(question.correct_value),
            _number_text(question.tolerance or 0),
        )
    else:
        body = format_html("<p>✔ {}</p>", " / ".join(question.accepted_answers or []))
    return format_html("<strong>{}</strong>{}{}", question.text, meta, body)


def _number_text(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"
