"""Forms a clinic admin fills in to keep the catalog. They validate; the services persist."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from patients.models import Clinic

from .models import Exercise, ProtocolStage
from .selectors import exercise_list_extension_for_clinic, exercise_list_for_clinic
from .services import ExerciseDetails, StageDetails

# Pictures are shown on a phone; 2 MB is ample for a clear drawing or photo.
ILLUSTRATION_MAX_BYTES = 2 * 1024 * 1024
ILLUSTRATION_EXTENSIONS = ["png", "jpg", "jpeg", "webp"]
ILLUSTRATION_FORMATS = {"PNG", "JPEG", "WEBP"}
SVG_REFUSED = _(
    "SVG drawings are not accepted because they can carry scripts. "
    "Upload a PNG, JPEG or WebP picture instead."
)
WRONG_FORMAT = _("Upload a PNG, JPEG or WebP picture.")
TOO_LARGE = _("The picture is larger than 2 MB: make it smaller and try again.")


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True  # The page's own <form> carries the token once.
    return helper


class IllustrationField(forms.ImageField):
    """A PNG, JPEG or WebP picture of at most 2 MB; SVG is refused by name before decoding."""

    default_validators = [FileExtensionValidator(ILLUSTRATION_EXTENSIONS, message=WRONG_FORMAT)]

    def to_python(self, data: Any) -> Any:
        if isinstance(data, UploadedFile):
            name = PurePath(data.name or "").suffix.lower()
            if name in {".svg", ".svgz"} or "svg" in (data.content_type or ""):
                raise forms.ValidationError(SVG_REFUSED, code="svg")
            if data.size is not None and data.size > ILLUSTRATION_MAX_BYTES:
                raise forms.ValidationError(TOO_LARGE, code="too_large")
        try:
            checked = super().to_python(data)
        except forms.ValidationError as exc:
            raise forms.ValidationError(WRONG_FORMAT, code="invalid_image") from exc
        image = getattr(checked, "image", None)
        if image is not None and image.format not in ILLUSTRATION_FORMATS:
            raise forms.ValidationError(WRONG_FORMAT, code="invalid_image")
        return checked


class ExerciseForm(forms.Form):
    """One of the clinic's own exercises, as the clinic admin describes it."""

    name = forms.CharField(label=_("Name"), max_length=120)
    summary = forms.CharField(
        label=_("Summary"), max_length=300, help_text=_("One sentence the patient sees first.")
    )
    position = forms.ChoiceField(label=_("Starting position"), choices=Exercise.Position.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Exercise.Direction.choices)
    steps = forms.CharField(
        label=_("Steps"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One step per line, in order."),
    )
    cautions = forms.CharField(
        label=_("Cautions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One caution per line."),
    )
    default_reps = forms.IntegerField(label=_("Repetitions"), min_value=1, max_value=30, initial=10)
    default_hold_seconds = forms.IntegerField(
        label=_("Hold (seconds)"), min_value=0, max_value=60, initial=0
    )
    default_sets = forms.IntegerField(label=_("Sets"), min_value=1, max_value=10, initial=1)
    default_times_per_day = forms.IntegerField(
        label=_("Times per day"), min_value=1, max_value=8, initial=1
    )
    illustration = IllustrationField(
        label=_("Illustration"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("PNG, JPEG or WebP, at most 2 MB. Leave empty to keep the current picture."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    @classmethod
    def initial_for(cls, exercise: Exercise) -> dict[str, object]:
        """The form's starting values for an existing exercise."""
        return {name: getattr(exercise, name) for name in ExerciseDetails.__dataclass_fields__}

    def details(self) -> ExerciseDetails:
        """The validated answers, as the services take them."""
        data = self.cleaned_data
        return ExerciseDetails(
            **{name: data[name] for name in ExerciseDetails.__dataclass_fields__}
        )


class ProtocolForm(forms.Form):
    """A protocol's name and what it is for."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class StageForm(forms.Form):
    """One stage of a draft protocol: its exercise, dose and counter-movements."""

    exercise = forms.ModelChoiceField(label=_("Exercise"), queryset=Exercise.objects.none())
    reps = forms.IntegerField(label=_("Repetitions"), min_value=1, max_value=30, initial=10)
    hold_seconds = forms.IntegerField(
        label=_("Hold (seconds)"), min_value=0, max_value=60, initial=0
    )
    times_per_day = forms.IntegerField(
        label=_("Times per day"), min_value=1, max_value=8, initial=4
    )
    counter_movements = forms.ModelMultipleChoiceField(
        label=_("Counter-movements"),
        queryset=Exercise.objects.none(),
        required=False,
        help_text=_("Extension movements offered after each set."),
    )
    counter_movement_reps = forms.IntegerField(
        label=_("Counter-movement repetitions"), min_value=1, max_value=3, initial=2
    )
    guidance = forms.CharField(
        label=_("Guidance"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        exercise_field = cast(forms.ModelChoiceField, self.fields["exercise"])
        counter_field = cast(forms.ModelMultipleChoiceField, self.fields["counter_movements"])
        exercise_field.queryset = exercise_list_for_clinic(clinic=clinic)
        counter_field.queryset = exercise_list_extension_for_clinic(clinic=clinic)
        self.helper = _helper()


class BaseStageFormSet(forms.BaseFormSet):
    """Exactly three stages, numbered 1 to 3 by their place on the page."""

    def stages(self) -> list[StageDetails]:
        """The validated stages, as the services take them."""
        return [
            StageDetails(number=number, **form.cleaned_data)
            for number, form in enumerate(self.forms, start=1)
        ]


StageFormSet = forms.formset_factory(
    StageForm,
    formset=BaseStageFormSet,
    extra=0,
    min_num=3,
    max_num=3,
    validate_min=True,
    validate_max=True,
    absolute_max=3,
)


def stage_formset(
    *, clinic: Clinic, data: Any = None, initial: list[dict[str, object]] | None = None
) -> BaseStageFormSet:
    """The three stage forms of a draft, offering only exercises the clinic can use."""
    formset = StageFormSet(data, initial=initial, prefix="stages", form_kwargs={"clinic": clinic})
    return cast(BaseStageFormSet, formset)


def stage_initial(protocol_stages: Iterable[ProtocolStage]) -> list[dict[str, object]]:
    """The formset's starting values: the draft's stages where it has them, defaults elsewhere."""
    by_number = {stage.number: stage for stage in protocol_stages}
    initial: list[dict[str, object]] = []
    for number in (1, 2, 3):
        stage = by_number.get(number)
        if stage is None:
            initial.append({})
            continue
        initial.append(
            {
                "exercise": stage.exercise_id,
                "reps": stage.reps,
                "hold_seconds": stage.hold_seconds,
                "times_per_day": stage.times_per_day,
                "counter_movements": [e.pk for e in stage.counter_movements.all()],
                "counter_movement_reps": stage.counter_movement_reps,
                "guidance": stage.guidance,
            }
        )
    return initial
