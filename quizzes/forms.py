"""The host's quiz editor forms. A question is checked with `rules.question_errors`, the rules the API and
the admin use, and each error is put next to the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _

from . import rules
from .images import image_check
from .models import Choice, Question, Quiz
from .serializers import truefalse_choices, truefalse_value

# The question fields each kind uses beyond the common ones (the template shows only these).
KIND_SECTIONS = {
    "choices": (rules.SINGLE, rules.MULTI, rules.POLL),
    "truefalse": (rules.TRUEFALSE,),
    "answers": (rules.TEXT,),
    "slider": (rules.SLIDER,),
}
# `rules` names some fields by their JSON names.
RULE_FIELDS = {"min": "slider_min", "max": "slider_max"}


class AnswerLinesField(forms.CharField):
    """A list of strings edited as one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        return [line.strip() for line in (super().to_python(value) or "").splitlines() if line.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return list(initial or []) != self.to_python(data)


class QuizForm(forms.ModelForm):
    class Meta:
        model = Quiz
        fields = ["title", "description", "language"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class QuestionForm(forms.ModelForm):
    accepted_answers = AnswerLinesField(
        label=_("Accepted answers"),
        required=False,
        help_text=_("Type the answer only: one accepted answer per line (case does not matter)."),
    )
    truefalse_answer = forms.TypedChoiceField(
        label=_("The right answer"),
        choices=[("true", _("True")), ("false", _("False"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )

    class Meta:
        model = Question
        fields = [
            "kind",
            "text",
            "image",
            "time_limit",
            "points",
            "slider_min",
            "slider_max",
            "correct_value",
            "tolerance",
            "explanation",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "explanation": forms.Textarea(attrs={"rows": 2}),
            "image": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        question = self.instance
        if question.pk and question.kind == rules.TRUEFALSE:
            value = truefalse_value([(c.text, c.correct) for c in question.choices.all()])
            self.initial.setdefault("truefalse_answer", "" if value is None else str(value).lower())
        self.fields["kind"].widget.attrs["data-kind-select"] = ""
        self.fields["accepted_answers"].initial = question.accepted_answers

    def clean_image(self) -> Any:
        image = self.cleaned_data.get("image")
        if image and image is not self.initial.get("image"):
            image_check(image)
        return image

    def _post_clean(self) -> None:
        # No model validation: QuestionEditor checks the question whole (with its choices) with `rules`.
        pass


class ChoiceRowForm(forms.Form):
    text = forms.CharField(
        label=_("Choice"), max_length=Choice._meta.get_field("text").max_length, required=False
    )
    correct = forms.BooleanField(label=_("Right answer"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("correct") and not (data.get("text") or "").strip():
            self.add_error("text", _("Every choice needs text."))
        return data


ChoiceFormSet = forms.formset_factory(
    ChoiceRowForm, extra=rules.MAX_CHOICES, max_num=rules.MAX_CHOICES, validate_max=True
)


class QuestionEditor:
    """A question form and its choice rows, checked together."""

    def __init__(self, data: Any = None, files: Any = None, *, question: Question) -> None:
        initial_choices = []
        if question.pk and question.kind in (rules.SINGLE, rules.MULTI, rules.POLL):
            initial_choices = [{"text": c.text, "correct": c.correct} for c in question.choices.all()]
        self.form = QuestionForm(data, files, instance=question)
        # Posted rows are taken as they are: with `initial`, an unchanged extra row would count as empty.
        self.choices = ChoiceFormSet(data, initial=None if data else initial_choices, prefix="choices")
        self.choice_errors = ErrorList()

    @property
    def kind(self) -> str:
        kind = self.form["kind"].value()
        return kind if kind in rules.KINDS else rules.SINGLE

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.choices.is_valid()
        if not valid:
            return False
        kind = self.form.cleaned_data["kind"]
        errors = rules.question_errors(self.draft())
        for name, messages in errors.items():
            for message in messages:
                if name == "choices":
                    self.choice_errors.append(message)
                elif kind == rules.TRUEFALSE and name == "correct_value":
                    self.form.add_error("truefalse_answer", message)
                else:
                    self.form.add_error(RULE_FIELDS.get(name, name), message)
        if kind == rules.TRUEFALSE and self.form.cleaned_data.get("truefalse_answer") is None:
            self.form.add_error("truefalse_answer", _("Pick the right answer: true or false."))
        return not errors and self.form.is_valid()

    def choice_rows(self) -> list[tuple[str, bool]]:
        kind = self.form.cleaned_data["kind"]
        if kind == rules.TRUEFALSE:
            answer = self.form.cleaned_data.get("truefalse_answer")
            return [(c["text"], c["correct"]) for c in truefalse_choices(bool(answer))]
        if kind not in rules.CHOICE_KINDS:
            return []
        rows = [form.cleaned_data for form in self.choices.forms if form.cleaned_data]
        return [(row["text"].strip(), row["correct"]) for row in rows if (row.get("text") or "").strip()]

    def draft(self) -> rules.QuestionDraft:
        data = self.form.cleaned_data
        return rules.QuestionDraft(
            kind=data["kind"],
            text=data.get("text") or "",
            time_limit=data.get("time_limit"),
            points=data.get("points"),
            choices=self.choice_rows(),
            slider_min=data.get("slider_min"),
            slider_max=data.get("slider_max"),
            correct_value=data.get("correct_value") if data["kind"] == rules.SLIDER else None,
            tolerance=data.get("tolerance"),
            accepted_answers=data.get("accepted_answers") or [],
            explanation=data.get("explanation") or "",
        )

    def fields(self) -> dict[str, Any]:
        """The model fields to save (see services.question_save)."""
        data = self.form.cleaned_data
        names = ("kind", "text", "time_limit", "points", "explanation", "accepted_answers")
        fields = {name: data.get(name) for name in names}
        fields |= {
            name: data.get(name) for name in ("slider_min", "slider_max", "correct_value", "tolerance")
        }
        return fields

    def image(self) -> Any:
        """An upload to store, False to remove the image, None to keep it."""
        image = self.form.cleaned_data.get("image")
        if image is False:
            return False
        return image if image and image is not self.form.initial.get("image") else None


class PackageImportForm(forms.Form):
    package = forms.FileField(
        label=_("QuizZone package (.zip)"),
        help_text=_("A quiz exported “with pictures”: its questions, settings and pictures."),
        widget=forms.FileInput(attrs={"accept": ".zip,application/zip"}),
    )


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}))
    title = forms.CharField(label=_("title"), max_length=Quiz._meta.get_field("title").max_length)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES, initial="en")
