"""Forms for registering a patient and recording the intake. They validate; services persist."""

from __future__ import annotations

import zoneinfo

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import RegexValidator
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from .models import Clinician, Patient, SymptomLevel
from .red_flags import INTAKE_QUESTIONS

# Oswestry v2.1a sections, in order (R21); each is scored 0 (no problem) to 5 (worst).
ODI_SECTIONS = (
    _("Pain intensity"),
    _("Personal care (washing, dressing)"),
    _("Lifting"),
    _("Walking"),
    _("Sitting"),
    _("Standing"),
    _("Sleeping"),
    _("Sex life (if applicable)"),
    _("Social life"),
    _("Travelling"),
)
ODI_CHOICES = [("", _("Not answered"))] + [(str(n), str(n)) for n in range(6)]
TIMEZONE_CHOICES = sorted((zone, zone) for zone in zoneinfo.available_timezones())


def submitted(request: HttpRequest) -> QueryDict | None:
    """The posted data to bind a form to, or None for a GET: an empty POST is still a POST,
    so it is validated (and refused) instead of showing a blank form."""
    return request.POST if request.method == "POST" else None


def form_status(form_is_bound: bool) -> int:
    """A form re-rendered with errors after a POST answers 400; a fresh form answers 200."""
    return 400 if form_is_bound else 200


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class PatientForm(forms.ModelForm):
    """Who the patient is and which time zone their day runs in."""

    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, initial="Europe/London")

    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "email", "phone", "timezone"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The invitation to set a password goes here.")
        self.helper = _helper()


class IntakeForm(forms.Form):
    """The screening before prescribing: ODI, red flags, contraindications, baselines."""

    baseline_pain = forms.TypedChoiceField(
        label=_("Worst back or leg pain now (0–10)"),
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
    )
    baseline_level_left = forms.TypedChoiceField(
        label=_("Left side: symptoms reach"),
        choices=[(level.value, f"{level.value} {level.label}") for level in SymptomLevel],
        coerce=int,
        widget=forms.RadioSelect,
    )
    baseline_level_right = forms.TypedChoiceField(
        label=_("Right side: symptoms reach"),
        choices=[(level.value, f"{level.value} {level.label}") for level in SymptomLevel],
        coerce=int,
        widget=forms.RadioSelect,
    )
    acute_disc_herniation = forms.BooleanField(label=_("Acute disc herniation"), required=False)
    compression_fracture_or_osteoporosis = forms.BooleanField(
        label=_("Compression fracture or osteoporosis"), required=False
    )
    flexion_intolerant = forms.BooleanField(label=_("Flexion intolerant"), required=False)
    dx_stenosis_or_spondylolisthesis = forms.BooleanField(
        label=_("Stenosis or spondylolisthesis (extension may aggravate)"), required=False
    )
    assessment_confirmed = forms.BooleanField(
        label=_("I confirm my assessment (needed when the ODI is above 40%)"), required=False
    )
    plan_note = forms.CharField(
        label=_("Plan (needed when the ODI is above 60%)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for index, section in enumerate(ODI_SECTIONS):
            self.fields[f"odi_{index}"] = forms.ChoiceField(
                label=section,
                choices=ODI_CHOICES,
                required=False,
                widget=forms.Select(attrs={"class": "odi-answer"}),
            )
        for question in INTAKE_QUESTIONS:
            self.fields[f"flag_{question.key}"] = forms.TypedChoiceField(
                label=str(question.text),
                choices=[("no", _("No")), ("yes", _("Yes"))],
                coerce=lambda value: value == "yes",
                widget=forms.RadioSelect,
            )
        self.helper = _helper()

    @property
    def odi_fields(self) -> list[forms.BoundField]:
        return [self[f"odi_{index}"] for index in range(len(ODI_SECTIONS))]

    @property
    def flag_fields(self) -> list[forms.BoundField]:
        return [self[f"flag_{q.key}"] for q in INTAKE_QUESTIONS]

    def service_kwargs(self) -> dict[str, object]:
        """The cleaned answers in the shape ``intake_create`` takes."""
        data = dict(self.cleaned_data)
        odi = [data.pop(f"odi_{i}") for i in range(len(ODI_SECTIONS))]
        flags = {q.key: data.pop(f"flag_{q.key}") for q in INTAKE_QUESTIONS}
        return {
            **data,
            "odi_answers": [int(answer) if answer != "" else None for answer in odi],
            "red_flag_answers": flags,
        }


class ClinicianInviteForm(forms.Form):
    """A new member of staff: who they are and what they do in the clinic."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Clinician.Role.choices, initial=Clinician.Role.THERAPIST)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = _helper()


# The clinic-wide thresholds an admin may change, with their allowed ranges (clinical spec 2.10).
RULE_DEFAULT_RANGES = {
    "p_safe": (0, 5),
    "p_accept": (2, 8),
    "p_mcid": (1, 4),
    "m_tol": (0, 3),
    "min_days_at_stage": (3, 28),
    "min_q_sessions": (3, 20),
    "min_q_days": (2, 7),
    "freq_flare": (2, 8),
    "freq_taper": (1, 4),
}


class RuleDefaultsForm(forms.Form):
    """The clinic's own rule thresholds; each starts at the shipped default."""

    def __init__(
        self,
        *args: object,
        current: dict[str, int],
        reminder_times: list[str],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, (low, high) in RULE_DEFAULT_RANGES.items():
            self.fields[name] = forms.IntegerField(
                min_value=low, max_value=high, initial=current[name], label=name.replace("_", " ")
            )
        self.fields["reminder_times"] = forms.CharField(
            label=_("Reminder times a new programme starts with"),
            required=False,
            initial=", ".join(reminder_times),
            help_text=_(
                "The patient's local time, e.g. 08:00, 13:00, 18:30. Empty: 08:00, "
                "12:00, 16:00, 20:00. Therapists can change them per patient."
            ),
        )
        self.helper = _helper()

    def clean_reminder_times(self) -> list[str]:
        from prescriptions.forms import parse_local_times  # prescriptions' forms import ours

        value = self.cleaned_data["reminder_times"].strip()
        return parse_local_times(value) if value else []

    def thresholds(self) -> dict[str, int]:
        """The rule thresholds alone, without the reminder times."""
        return {name: self.cleaned_data[name] for name in RULE_DEFAULT_RANGES}


class OneTimeCodeForm(forms.Form):
    """The six-digit code an authenticator app shows."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=8,
        strip=True,
        validators=[RegexValidator(r"^\d+$", _("Type the digits your authenticator app shows."))],
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
