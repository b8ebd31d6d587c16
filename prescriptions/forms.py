"""Forms the patient and the therapist fill in. They validate; the services persist."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from typing import TYPE_CHECKING

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from exercises.models import Protocol
from patients.forms import TIMEZONE_CHOICES
from patients.models import SymptomLevel
from patients.red_flags import DAILY_CES

from . import rules
from .models import Ease, ExtensionEffect, ExtensionType, MorningCheck, NeuroChange
from .services import SessionEntry, StageDose

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAIN_CHOICES = [(n, str(n)) for n in range(11)]
LEVEL_CHOICES = [(level.value, f"{level.value} {level.label}") for level in SymptomLevel]
STARTED_CHOICES = [
    (5, _("Just now")),
    (30, _("About 30 minutes ago")),
    (60, _("About an hour ago")),
    (120, _("About 2 hours ago")),
    (240, _("About 4 hours ago")),
]
YES_NO = [(False, _("No")), (True, _("Yes"))]


def pain_field(label: StrOrPromise) -> forms.TypedChoiceField:
    """A 0–10 pain rating shown as a row of large buttons."""
    return forms.TypedChoiceField(
        label=label,
        choices=PAIN_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "pain-scale"}),
    )


def inline_helper(form: forms.Form) -> FormHelper:
    """A crispy helper for a phone: radio choices in a row (big touch targets), except the
    body-chart levels, which stand in a column, left and right side by side."""
    helper = FormHelper()
    helper.form_tag = False
    parts: list[object] = []
    for name, field in form.fields.items():
        if name.endswith("_right") and name.replace("_right", "_left") in form.fields:
            continue
        partner = name.replace("_left", "_right")
        if name.endswith("_left") and partner in form.fields:
            parts.append(Row(Column(name, css_class="col-6"), Column(partner, css_class="col-6")))
        elif isinstance(field.widget, forms.RadioSelect) and "body-level" not in str(
            field.widget.attrs.get("class", "")
        ):
            parts.append(InlineRadios(name))
        else:
            parts.append(name)
    helper.layout = Layout(*parts)
    return helper


def level_field(label: StrOrPromise) -> forms.TypedChoiceField:
    """How far one side's symptoms reach, picked against the body chart (0 none … 5 foot)."""
    return forms.TypedChoiceField(
        label=label,
        choices=LEVEL_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "body-level"}),
    )


def yes_no_field(label: StrOrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value in {True, "True"},
        widget=forms.RadioSelect,
    )


class MorningCheckForm(forms.Form):
    """How the patient is on waking, before the first set of the day."""

    pain = pain_field(_("Your worst back or leg pain right now (0 = none, 10 = worst)"))
    level_left = level_field(_("Left side: how far do symptoms reach?"))
    level_right = level_field(_("Right side: how far do symptoms reach?"))
    stiffness_vs_usual = forms.ChoiceField(
        label=_("Stiffness compared with usual"),
        choices=MorningCheck.Stiffness.choices,
        initial=MorningCheck.Stiffness.SAME,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = inline_helper(self)


class SessionLogForm(forms.Form):
    """One set, logged in under a minute (clinical spec 2.2)."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    started_minutes_ago = forms.TypedChoiceField(
        label=_("When did you start the set?"), choices=STARTED_CHOICES, coerce=int, initial=5
    )
    reps_done = forms.IntegerField(label=_("Repetitions done"), min_value=0, max_value=30)
    pain_pre = pain_field(_("Pain before the set"))
    pain_during_max = pain_field(_("Worst pain during the set"))
    pain_post = pain_field(_("Pain about 5 minutes after the set"))
    level_pre_left = level_field(_("Before: left side reaches"))
    level_pre_right = level_field(_("Before: right side reaches"))
    level_post_left = level_field(_("After: left side reaches"))
    level_post_right = level_field(_("After: right side reaches"))
    ease = forms.ChoiceField(
        label=_("How did it feel?"), choices=Ease.choices, widget=forms.RadioSelect
    )
    neuro_change = forms.ChoiceField(
        label=_("Any new or worse numbness, tingling or weakness?"),
        choices=NeuroChange.choices,
        initial=NeuroChange.NONE,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: object,
        ask_safety: bool,
        extension: bool,
        reps_target: int,
        usual_levels: tuple[int, int] = (0, 0),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reps_done"].initial = reps_target
        # Most sets start and end where symptoms usually are: the stage's baseline body chart.
        for when in ("pre", "post"):
            self.fields[f"level_{when}_left"].initial = usual_levels[0]
            self.fields[f"level_{when}_right"].initial = usual_levels[1]
        self.ask_safety = ask_safety
        if ask_safety:
            for question in DAILY_CES:
                self.fields[question.key] = yes_no_field(str(question.text))
        if extension:
            self.fields["extension_type"] = forms.ChoiceField(
                label=_("Which counter-movement did you do?"), choices=ExtensionType.choices
            )
            self.fields["extension_reps"] = forms.IntegerField(
                label=_("How many?"), min_value=0, max_value=3, initial=2
            )
            self.fields["extension_effect"] = forms.ChoiceField(
                label=_("What did it do to your symptoms?"),
                choices=ExtensionEffect.choices,
                widget=forms.RadioSelect,
            )
        self.helper = inline_helper(self)

    def entry(self, *, now: dt.datetime) -> SessionEntry:
        """The cleaned answers as the service's input."""
        data = dict(self.cleaned_data)
        minutes = data.pop("started_minutes_ago")
        data.pop("idempotency_key")
        return SessionEntry(started_at=now - dt.timedelta(minutes=minutes), **data)

    @staticmethod
    def new_key() -> uuid.UUID:
        return uuid.uuid4()


class ReasonForm(forms.Form):
    """The reason a therapist gives for an action; kept with the record."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        error_messages={"required": _("Say why: this action needs a reason.")},
        widget=forms.TextInput(attrs={"placeholder": _("Reason (required)")}),
    )


TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_local_times(value: str) -> list[str]:
    """'8:00, 13:00 18:30' → ['08:00', '13:00', '18:30'] (local times, sorted, unique)."""
    times = set()
    for part in value.replace(",", " ").split():
        match = TIME_PATTERN.match(part)
        if match is None:
            raise forms.ValidationError(
                _("“%(part)s” is not a time like 08:00."), params={"part": part}
            )
        times.add(f"{int(match[1]):02d}:{match[2]}")
    if not times:
        raise forms.ValidationError(_("Give at least one reminder time."))
    return sorted(times)


class PrescribeForm(forms.Form):
    """The programme as the therapist sets it: protocol, start, dose, reminders, options."""

    protocol = forms.ModelChoiceField(queryset=Protocol.objects.none(), empty_label=None)
    start_stage = forms.TypedChoiceField(
        choices=[(1, _("Stage 1 · lying")), (2, _("Stage 2 · sitting (ODI ≤ 20% only)"))],
        coerce=int,
        initial=1,
    )
    override_reason = forms.CharField(
        label=_("Reason for starting at stage 2"), required=False, max_length=500
    )
    reminder_times = forms.CharField(
        label=_("Reminder times (patient's local time)"),
        initial="08:00, 12:00, 16:00, 20:00",
        help_text=_("Separate times with commas, e.g. 08:00, 18:30."),
    )
    nudge_time = forms.TimeField(
        label=_("Evening follow-up when no set is logged that day"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Patient's local time; leave empty for none."),
    )
    auto_advance = forms.BooleanField(
        required=False, label=_("Advance automatically when ready (off: I approve each step)")
    )
    extension_enabled = forms.BooleanField(
        required=False, label=_("Add 1–2 extension counter-movements after each set")
    )

    def __init__(self, *args: object, protocols: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["protocol"].queryset = protocols  # type: ignore[attr-defined]
        self.fields["nudge_time"].initial = settings.STAGEWISE_NUDGE_TIME or None
        for number in (1, 2, 3):
            self.fields[f"reps_{number}"] = forms.IntegerField(
                label=_("Stage %(n)s reps") % {"n": number},
                min_value=1,
                max_value=30,
                required=False,
            )
            self.fields[f"times_{number}"] = forms.IntegerField(
                label=_("Stage %(n)s sets a day") % {"n": number},
                min_value=1,
                max_value=8,
                required=False,
            )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_reminder_times(self) -> list[str]:
        return parse_local_times(self.cleaned_data["reminder_times"])

    def doses(self) -> dict[int, StageDose]:
        """The therapist's per-stage changes to the protocol's dose (blank keeps it)."""
        data = self.cleaned_data
        return {
            n: StageDose(reps=data.get(f"reps_{n}"), times_per_day=data.get(f"times_{n}"))
            for n in (1, 2, 3)
        }


class StatusForm(ReasonForm):
    """Pause, resume or discharge a programme, with the reason."""

    to_status = forms.ChoiceField(
        choices=[
            ("paused", _("Pause")),
            ("active", _("Resume")),
            ("completed", _("Discharge: goals met")),
            ("stopped", _("Stop the programme")),
        ]
    )


class CaseloadFilterForm(forms.Form):
    """Search and filters on the caseload (all optional; bad values are ignored, not errors)."""

    q = forms.CharField(required=False, max_length=100, label=_("Search by name"))
    stage = forms.TypedChoiceField(
        required=False,
        choices=[("", _("Any stage")), (1, "1"), (2, "2"), (3, "3")],
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    needs_attention = forms.BooleanField(
        required=False,
        label=_("Needs attention"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    inactive = forms.BooleanField(
        required=False,
        label=_("No set for 3 days"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    everyone = forms.BooleanField(
        required=False,
        label=_("Whole clinic"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class ReminderSettingsForm(forms.Form):
    """When the patient hears from Stagewise; the times come from the therapist's plan."""

    timezone = forms.ChoiceField(label=_("Your time zone"), choices=[])
    quiet_start = forms.TimeField(
        label=_("Quiet from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label=_("Quiet until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    pause_days = forms.TypedChoiceField(
        label=_("Pause reminders"),
        choices=[
            (0, _("No pause")),
            (1, _("For a day")),
            (3, _("For 3 days")),
            (7, _("For a week")),
        ],
        coerce=int,
        initial=0,
    )
    consent = forms.BooleanField(label=_("Send me reminders"), required=False)
    channel = forms.ChoiceField(
        label=_("Remind me by"),
        choices=[("email", _("E-mail")), ("sms", _("Text message"))],
        widget=forms.RadioSelect,
        required=False,  # left out: the channel stays as it was
    )
    reminded_times = forms.MultipleChoiceField(
        label=_("Remind me at these times of my plan"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    nudge_wanted = forms.BooleanField(
        label=_("One more reminder in the evening if I have not logged a set that day"),
        required=False,
    )

    def __init__(
        self,
        *args: object,
        plan: list[str],
        has_phone: bool,
        has_nudge: bool,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.has_phone = has_phone
        self.fields["timezone"].choices = TIMEZONE_CHOICES  # type: ignore[attr-defined]
        self.fields["reminded_times"].choices = [(t, t) for t in plan]  # type: ignore[attr-defined]
        if not has_nudge:
            del self.fields["nudge_wanted"]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_channel(self) -> str:
        channel: str = self.cleaned_data.get("channel") or ""
        if channel == "sms" and not self.has_phone:
            raise forms.ValidationError(
                _("We have no mobile number for you: ask your clinic to add it, or choose e-mail.")
            )
        return channel

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            raise forms.ValidationError(_("Give both ends of the quiet hours, or neither."))
        return data


OVERRIDABLE = [
    (field.name, field.name.replace("_", " "))
    for field in dataclasses.fields(rules.Config)
    if isinstance(field.default, int | float) and not isinstance(field.default, bool)
]


class ThresholdOverrideForm(ReasonForm):
    """One rule threshold changed for this patient, with the reason (clinical spec section 4)."""

    parameter = forms.ChoiceField(choices=OVERRIDABLE)
    value = forms.DecimalField(max_digits=6, decimal_places=2)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        name, value = data.get("parameter"), data.get("value")
        if name is not None and value is not None:
            default = getattr(rules.Config(), str(name))
            data["value"] = int(value) if isinstance(default, int) else float(value)
        return data
