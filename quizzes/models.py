from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules


class Quiz(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quizzes")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "rooms_quiz"  # created by the rooms app before quizzes became an app of its own
        ordering = ["-updated_at", "-id"]
        verbose_name_plural = "quizzes"

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = rules.SINGLE, _("Single choice")
        MULTI = rules.MULTI, _("Multiple choice")
        TRUEFALSE = rules.TRUEFALSE, _("True or false")
        TEXT = rules.TEXT, _("Type the answer")
        SLIDER = rules.SLIDER, _("Slider")
        POLL = rules.POLL, _("Poll")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(_("text"))
    image = models.ImageField(upload_to="questions/", blank=True, null=True)
    time_limit = models.PositiveIntegerField(
        default=rules.TIME_LIMIT_DEFAULT,
        validators=[MinValueValidator(rules.TIME_LIMIT_MIN), MaxValueValidator(rules.TIME_LIMIT_MAX)],
        help_text=_("Seconds, 5 to 240."),
    )
    points = models.PositiveSmallIntegerField(default=1, choices=[(0, "0"), (1, "1"), (2, "2")])
    slider_min = models.FloatField(null=True, blank=True)
    slider_max = models.FloatField(null=True, blank=True)
    correct_value = models.FloatField(null=True, blank=True, help_text=_("Slider only."))
    tolerance = models.FloatField(null=True, blank=True, help_text=_("Slider only."))
    accepted_answers = models.JSONField(
        default=list, blank=True, help_text=_("Text only: a list of answers.")
    )

    class Meta:
        db_table = "rooms_question"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.text[:60]}"

    def to_draft(self, choices: list[tuple[str, bool]] | None = None) -> rules.QuestionDraft:
        if choices is None:
            choices = [(c.text, c.correct) for c in self.choices.all()] if self.pk else []
        return rules.QuestionDraft(
            kind=self.kind,
            text=self.text,
            time_limit=self.time_limit,
            points=self.points,
            choices=choices,
            slider_min=self.slider_min,
            slider_max=self.slider_max,
            correct_value=self.correct_value,
            tolerance=self.tolerance,
            accepted_answers=self.accepted_answers or [],
        )

    def clean(self) -> None:
        # Choices are checked where they are edited together with the question (serializer, admin formset).
        errors = question_errors_without_choices(self.to_draft(choices=[]))
        if errors:
            raise ValidationError(errors)


def question_errors_without_choices(draft: rules.QuestionDraft) -> dict[str, list[str]]:
    errors = rules.question_errors(draft)
    errors.pop("choices", None)
    return errors


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=200)
    correct = models.BooleanField(default=False)

    class Meta:
        db_table = "rooms_choice"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text
