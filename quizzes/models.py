from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules
from .images import image_check


class Quiz(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quizzes", verbose_name=_("owner")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "rooms_quiz"  # created by the rooms app before quizzes became an app of its own
        ordering = ["-updated_at", "-id"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

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

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions", verbose_name=_("quiz"))
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(_("text"))
    image = models.ImageField(
        _("image"),
        upload_to="questions/",
        blank=True,
        null=True,
        validators=[image_check],
        help_text=_("PNG, JPEG, GIF or WebP, up to 5 MB. Shown on the host screen and the phones."),
    )
    time_limit = models.PositiveIntegerField(
        _("time limit"),
        default=rules.TIME_LIMIT_DEFAULT,
        validators=[MinValueValidator(rules.TIME_LIMIT_MIN), MaxValueValidator(rules.TIME_LIMIT_MAX)],
        help_text=_("Seconds, 5 to 240."),
    )
    points = models.PositiveSmallIntegerField(_("points"), default=1, choices=[(0, "0"), (1, "1"), (2, "2")])
    slider_min = models.FloatField(_("minimum"), null=True, blank=True, help_text=_("Slider only."))
    slider_max = models.FloatField(_("maximum"), null=True, blank=True, help_text=_("Slider only."))
    correct_value = models.FloatField(_("correct value"), null=True, blank=True, help_text=_("Slider only."))
    tolerance = models.FloatField(_("tolerance"), null=True, blank=True, help_text=_("Slider only."))
    accepted_answers = models.JSONField(
        _("accepted answers"), default=list, blank=True, help_text=_("Text only: a list of answers.")
    )
    explanation = models.TextField(
        _("explanation"),
        blank=True,
        default="",
        validators=[MaxLengthValidator(rules.EXPLANATION_MAX)],
        help_text=_("Optional: shown to everyone after the answer is revealed."),
    )

    class Meta:
        db_table = "rooms_question"
        ordering = ["order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

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
            explanation=self.explanation,
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
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.CharField(_("text"), max_length=200)
    correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        db_table = "rooms_choice"
        ordering = ["order", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text


class ImageFileKept(models.Model):
    """An image file no question uses any more, kept because a game of `quiz_id` was being played (it shows
    the pictures it started with); `image_files_release_kept` (Celery beat) deletes it once none is."""

    name = models.CharField(max_length=255)
    quiz_id = models.PositiveBigIntegerField()  # not a foreign key: the row outlives the questions
    kept_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "quiz_id"], name="unique_kept_image_per_quiz")]

    def __str__(self) -> str:
        return self.name
