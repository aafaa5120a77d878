"""The quiz JSON of docs/protocol.md ("Quiz JSON"): one nested shape for reads and writes.

Writes are validated here and saved by `rooms.quiz_services` in one transaction:

- create (POST) makes the quiz with the questions and choices given, in list order;
- update (PUT) replaces the quiz fields and the WHOLE question list: the old questions and their
  choices are deleted and the new list is created, so a write never leaves a mix of old and new;
- partial update (PATCH) changes only the quiz fields it names; when it names `questions`, the list
  is replaced exactly as for PUT.

A truefalse question may be written with `"correct_value": true|false` or with two choices "True"
and "False" (any order, any case); it is stored and always read back as the choices "True" and
"False", in that order, with `correct_value` as a bool. Every question is checked with
`rooms.quiz_rules.question_errors`; errors are keyed by the JSON field name and nested per question
and choice as a list aligned with the input: `{"questions": [{}, {"choices": ["..."]}]}`.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import rules
from .models import Choice, Question, Quiz

EXCHANGE_FORMAT = "quizzone.quiz.v1"
MAX_QUESTIONS = 100
MAX_ACCEPTED_ANSWERS = 20
TRUE_TEXT, FALSE_TEXT = "True", "False"

# quiz_rules names the slider bounds by their JSON names; the model stores them as slider_*.
RULE_FIELD_TO_MODEL_FIELD = {"min": "slider_min", "max": "slider_max"}


def truefalse_choices(correct: bool) -> list[dict[str, Any]]:
    return [{"text": TRUE_TEXT, "correct": correct}, {"text": FALSE_TEXT, "correct": not correct}]


def truefalse_value(choices: list[tuple[str, bool]]) -> bool | None:
    """The answer a pair of True/False choices encodes, or None when they are not such a pair."""
    by_text = {(text or "").strip().casefold(): correct for text, correct in choices}
    if len(choices) != 2 or set(by_text) != {"true", "false"} or by_text["true"] == by_text["false"]:
        return None
    return by_text["true"]


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


class IndexedListSerializer(serializers.ListSerializer):
    """Item errors as a list aligned with the input, `[{}, {"text": [...]}]`.

    That is the format the API promises; DRF 3.18 deprecates it as its own default, so it is kept
    here rather than left to the `LIST_SERIALIZER_ERRORS_AS_DICT` setting.
    """

    def to_internal_value(self, data: Any) -> list[Any]:
        wrong_shape = (
            not isinstance(data, list)
            or (not self.allow_empty and not data)
            or (self.max_length is not None and len(data) > self.max_length)
            or (self.min_length is not None and len(data) < self.min_length)
        )
        if wrong_shape:
            return super().to_internal_value(data)  # raises DRF's own error about the list itself
        validated, errors = [], []
        for item in data:
            try:
                validated.append(self.run_child_validation(item))
                errors.append({})
            except serializers.ValidationError as exc:
                errors.append(exc.detail)
        if any(errors):
            raise serializers.ValidationError(errors)
        return validated


class NumberField(serializers.FloatField):
    """A float that reads back as an int when it is whole (1969, not 1969.0)."""

    def to_representation(self, value: float) -> float | int | None:
        return _number(value)


@extend_schema_field(
    {
        "oneOf": [{"type": "number"}, {"type": "boolean"}],
        "nullable": True,
        "description": "slider: the right number; truefalse: the right answer as a bool; otherwise null.",
    }
)
class CorrectValueField(serializers.Field):
    default_error_messages = {"invalid": "Must be a number (slider) or true/false (truefalse)."}

    def to_internal_value(self, data: Any) -> bool | float:
        if isinstance(data, bool):
            return data
        if isinstance(data, int | float) and math.isfinite(data):
            return float(data)
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value if isinstance(value, bool) else _number(value)


class ChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(max_length=Choice._meta.get_field("text").max_length)
    correct = serializers.BooleanField(default=False)

    class Meta:
        list_serializer_class = IndexedListSerializer


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    time_limit = serializers.IntegerField(
        default=rules.TIME_LIMIT_DEFAULT,
        min_value=rules.TIME_LIMIT_MIN,
        max_value=rules.TIME_LIMIT_MAX,
        help_text="Seconds.",
    )
    points = serializers.IntegerField(
        default=1, min_value=min(rules.POINTS_CHOICES), max_value=max(rules.POINTS_CHOICES)
    )
    choices = ChoiceSerializer(many=True, required=False)
    min = NumberField(source="slider_min", required=False, allow_null=True, help_text="Slider only.")
    max = NumberField(source="slider_max", required=False, allow_null=True, help_text="Slider only.")
    correct_value = CorrectValueField(required=False, allow_null=True)
    tolerance = NumberField(required=False, allow_null=True, help_text="Slider only.")
    accepted_answers = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=MAX_ACCEPTED_ANSWERS,
        help_text="Text only.",
    )
    explanation = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=rules.EXPLANATION_MAX,
        help_text="Optional; sent with `reveal`.",
    )
    image = serializers.SerializerMethodField()

    class Meta:
        list_serializer_class = IndexedListSerializer

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, question: Question) -> str | None:
        if not question.image:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(question.image.url) if request else question.image.url

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Under PATCH, DRF neither requires nor defaults nested fields, so both happen here.
        attrs.setdefault("time_limit", rules.TIME_LIMIT_DEFAULT)
        attrs.setdefault("points", 1)
        attrs.setdefault("text", "")
        attrs.setdefault("explanation", "")
        if "kind" not in attrs:
            raise serializers.ValidationError({"kind": ["This field is required."]})
        if attrs["kind"] == rules.TRUEFALSE:
            attrs["choices"] = self._truefalse_choices(attrs)
            attrs["correct_value"] = None
        elif attrs["kind"] == rules.SLIDER and isinstance(attrs.get("correct_value"), bool):
            raise serializers.ValidationError({"correct_value": ["A slider needs a number."]})

        choices = [(c.get("text", ""), c.get("correct", False)) for c in attrs.get("choices", [])]
        errors = rules.question_errors(
            rules.QuestionDraft(
                kind=attrs["kind"],
                text=attrs["text"],
                time_limit=attrs["time_limit"],
                points=attrs["points"],
                choices=choices,
                slider_min=attrs.get("slider_min"),
                slider_max=attrs.get("slider_max"),
                correct_value=attrs.get("correct_value"),
                tolerance=attrs.get("tolerance"),
                accepted_answers=attrs.get("accepted_answers", []),
                explanation=attrs["explanation"],
            )
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    @staticmethod
    def _truefalse_choices(attrs: dict[str, Any]) -> list[dict[str, Any]]:
        value = attrs.get("correct_value")
        if value is not None and not isinstance(value, bool):
            raise serializers.ValidationError({"correct_value": ["A truefalse answer is true or false."]})
        if "choices" in attrs:
            from_choices = truefalse_value(
                [(c.get("text", ""), c.get("correct", False)) for c in attrs["choices"]]
            )
            if from_choices is None:
                raise serializers.ValidationError(
                    {"choices": ['A truefalse question has two choices, "True" and "False", one correct.']}
                )
            if value is not None and value != from_choices:
                raise serializers.ValidationError({"correct_value": ["Disagrees with the correct choice."]})
            value = from_choices
        if value is None:
            raise serializers.ValidationError(
                {"correct_value": ["A truefalse question needs true or false."]}
            )
        return truefalse_choices(value)

    def to_representation(self, question: Question) -> dict[str, Any]:
        data = super().to_representation(question)
        if question.kind == rules.TRUEFALSE:
            data["choices"].sort(key=lambda choice: choice["text"] != TRUE_TEXT)
            data["correct_value"] = truefalse_value([(c["text"], c["correct"]) for c in data["choices"]])
        elif question.kind != rules.SLIDER:
            data["correct_value"] = None
        return data


class QuizSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=Quiz._meta.get_field("title").max_length)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default="en")
    questions = QuestionSerializer(many=True, max_length=MAX_QUESTIONS)


class FormatField(serializers.ChoiceField):
    """Required on import; on export it is always the current format."""

    def get_attribute(self, instance: Any) -> str:
        return EXCHANGE_FORMAT


class ChoiceExchangeSerializer(ChoiceSerializer):
    id = None


class QuestionExchangeSerializer(QuestionSerializer):
    """A question in an export file: no ids, no image, only the fields its kind uses."""

    id = None
    image = None
    choices = ChoiceExchangeSerializer(many=True, required=False)

    KIND_FIELDS = {
        rules.SINGLE: ("choices",),
        rules.MULTI: ("choices",),
        rules.POLL: ("choices",),
        rules.TRUEFALSE: ("correct_value",),
        rules.TEXT: ("accepted_answers",),
        rules.SLIDER: ("min", "max", "correct_value", "tolerance"),
    }
    COMMON_FIELDS = ("text", "kind", "time_limit", "points")

    def to_representation(self, question: Question) -> dict[str, Any]:
        data = super().to_representation(question)
        keep = self.COMMON_FIELDS + self.KIND_FIELDS[question.kind]
        kept = {name: data[name] for name in keep if data[name] is not None}
        return kept | ({"explanation": data["explanation"]} if data["explanation"] else {})


class QuizExchangeSerializer(QuizSerializer):
    """The export / import file: the write format plus `"format": "quizzone.quiz.v1"`."""

    format = FormatField(choices=[EXCHANGE_FORMAT])
    id = None
    questions = QuestionExchangeSerializer(many=True, max_length=MAX_QUESTIONS)

    def to_representation(self, quiz: Quiz) -> dict[str, Any]:
        data = super().to_representation(quiz)
        return {"format": data.pop("format"), **data}  # the format first, for whoever opens the file
