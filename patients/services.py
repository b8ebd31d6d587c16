"""Writes to clinic, staff and patient records. Every write of clinical state passes here."""

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from prescriptions.rules import Config, odi_score

from .exceptions import IntakeInvalid
from .models import Clinic, Clinician, Intake, OdiAssessment, Patient, RedFlagScreen
from .red_flags import INTAKE_QUESTIONS, cauda_equina_positive, systemic_positive


@transaction.atomic
def clinician_create(
    *,
    clinic: Clinic,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    role: str = Clinician.Role.THERAPIST,
    password: str | None = None,
) -> Clinician:
    """Add a member of staff to a clinic with a sign-in account."""
    user: User = get_user_model()(
        username=username, email=email, first_name=first_name, last_name=last_name
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    clinician = Clinician(user=user, clinic=clinic, role=role)
    clinician.full_clean()
    clinician.save()
    return clinician


@transaction.atomic
def patient_create(
    *,
    clinician: Clinician,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    timezone_name: str,
    email: str = "",
    phone: str = "",
) -> Patient:
    """Register a patient in the clinician's clinic, with that clinician as primary."""
    patient = Patient(
        clinic=clinician.clinic,
        primary_clinician=clinician,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        timezone=timezone_name,
        email=email,
        phone=phone,
    )
    patient.full_clean()
    patient.save()
    return patient


@transaction.atomic
def patient_archive(
    *, clinician: Clinician, patient: Patient, now: dt.datetime | None = None
) -> None:
    """Take a patient off the active lists. The record is kept; nothing is deleted."""
    patient.archived_at = now or timezone.now()
    patient.full_clean()
    patient.save(update_fields=["archived_at", "updated_at"])


def odi_assessment_create(
    *,
    patient: Patient,
    answers: Sequence[int | None],
    occasion: str,
    recorded_by: Clinician | None,
    now: dt.datetime,
) -> OdiAssessment:
    """Score and store one ODI questionnaire (v2.1a; scoring in ``rules.odi_score``)."""
    if len(answers) != 10 or any(a is not None and not 0 <= a <= 5 for a in answers):
        raise IntakeInvalid(IntakeInvalid.ANSWERS)
    result = odi_score(list(answers))
    assessment = OdiAssessment(
        patient=patient,
        occasion=occasion,
        answers=list(answers),
        percent=None if result.percent is None else Decimal(str(result.percent)),
        band=result.band or "",
        taken_at=now,
        recorded_by=recorded_by,
    )
    assessment.full_clean()
    assessment.save()
    return assessment


def red_flag_screen_create(
    *,
    patient: Patient,
    kind: str,
    answers: Mapping[str, bool],
    recorded_by: Clinician | None,
    now: dt.datetime,
) -> RedFlagScreen:
    """Store red-flag answers verbatim with what they mean (clinical spec 2.6)."""
    screen = RedFlagScreen(
        patient=patient,
        kind=kind,
        answers=dict(answers),
        cauda_equina_positive=cauda_equina_positive(answers),
        systemic_positive=systemic_positive(answers),
        taken_at=now,
        recorded_by=recorded_by,
    )
    screen.full_clean()
    screen.save()
    return screen


@transaction.atomic
def intake_create(
    *,
    clinician: Clinician,
    patient: Patient,
    odi_answers: Sequence[int | None],
    red_flag_answers: Mapping[str, bool],
    baseline_pain: int,
    baseline_level_left: int,
    baseline_level_right: int,
    acute_disc_herniation: bool = False,
    compression_fracture_or_osteoporosis: bool = False,
    flexion_intolerant: bool = False,
    dx_stenosis_or_spondylolisthesis: bool = False,
    assessment_confirmed: bool = False,
    plan_note: str = "",
    notes: str = "",
    now: dt.datetime | None = None,
) -> Intake:
    """Record the therapist's screening: ODI, red flags, contraindications and baselines."""
    now = now or timezone.now()
    missing = [q.key for q in INTAKE_QUESTIONS if not isinstance(red_flag_answers.get(q.key), bool)]
    if missing:
        raise IntakeInvalid(IntakeInvalid.RED_FLAGS)
    odi = odi_assessment_create(
        patient=patient, answers=odi_answers, occasion="intake", recorded_by=clinician, now=now
    )
    screen = red_flag_screen_create(
        patient=patient, kind="intake", answers=red_flag_answers, recorded_by=clinician, now=now
    )
    intake = Intake(
        patient=patient,
        recorded_by=clinician,
        recorded_at=now,
        odi=odi,
        red_flag_screen=screen,
        acute_disc_herniation=acute_disc_herniation,
        compression_fracture_or_osteoporosis=compression_fracture_or_osteoporosis,
        flexion_intolerant=flexion_intolerant,
        dx_stenosis_or_spondylolisthesis=dx_stenosis_or_spondylolisthesis,
        baseline_pain=baseline_pain,
        baseline_level_left=baseline_level_left,
        baseline_level_right=baseline_level_right,
        assessment_confirmed=assessment_confirmed,
        plan_note=plan_note,
        notes=notes,
    )
    intake.full_clean()
    intake.save()
    return intake


@transaction.atomic
def intake_clear_contraindications(
    *, clinician: Clinician, intake: Intake, reason: str, now: dt.datetime | None = None
) -> Intake:
    """The therapist has assessed the patient and judges flexion safe despite a flag (R-STOP-3)."""
    if not reason.strip():
        raise IntakeInvalid(IntakeInvalid.REASON)
    intake.contraindications_cleared_at = now or timezone.now()
    intake.contraindications_cleared_by = clinician
    intake.contraindications_clear_reason = reason.strip()
    intake.full_clean()
    intake.save()
    return intake


@transaction.atomic
def red_flag_screen_clear(
    *, clinician: Clinician, screen: RedFlagScreen, reason: str, now: dt.datetime | None = None
) -> RedFlagScreen:
    """The therapist has reviewed a positive screen; the answers themselves stay as given."""
    if not reason.strip():
        raise IntakeInvalid(IntakeInvalid.REASON)
    screen.cleared_at = now or timezone.now()
    screen.cleared_by = clinician
    screen.clear_reason = reason.strip()
    screen.full_clean()
    screen.save()
    return screen


@transaction.atomic
def patient_account_create(*, patient: Patient, username: str, password: str) -> User:
    """Give a patient a sign-in account linked to their record (the demo's shortcut for the
    e-mail invitation, which sets the password through a one-time link)."""
    user: User = get_user_model()(
        username=username,
        email=patient.email,
        first_name=patient.first_name,
        last_name=patient.last_name,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    patient.user = user
    patient.save(update_fields=["user", "updated_at"])
    return user


def invitation_link(user: User) -> str:
    """A one-time link to set a password: it stops working once the password is set."""
    path = reverse(
        "invite_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.STAGEWISE_SITE_URL.rstrip("/") + path


def invitation_send(*, user: User, first_name: str, why: str) -> None:
    """E-mail a one-time link to set a password, once the transaction commits.

    The text carries the link and, for staff, their first name; a patient's invitation is
    greeted without a name (``first_name=""``): no patient detail goes into an e-mail.
    """
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    greeting = f"Hello {first_name}," if first_name else "Hello,"
    body = (
        f"{greeting}\n\n{why}\n"
        f"Set your password here (the link works once and for {days} days):\n"
        f"{invitation_link(user)}\n"
    )
    transaction.on_commit(lambda: send_mail("Your Stagewise account", body, None, [user.email]))


@transaction.atomic
def patient_invite(*, clinician: Clinician, patient: Patient) -> User:
    """Give the patient an account without a password and e-mail them the link to set one.

    The e-mail carries a greeting and the link only: no name, no health details.
    """
    if not patient.email:
        raise IntakeInvalid(IntakeInvalid.NO_EMAIL)
    user = patient.user
    if user is None:
        username = patient.email.lower()
        if get_user_model().objects.filter(username=username).exists():
            raise IntakeInvalid(IntakeInvalid.EMAIL_TAKEN)
        user = get_user_model()(
            username=username, email=patient.email, first_name=patient.first_name
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
    invitation_send(
        user=user,
        first_name="",
        why="Your physiotherapist has set up your home exercise programme in Stagewise.",
    )
    return user


@transaction.atomic
def clinician_invite(
    *, admin: Clinician, email: str, first_name: str, last_name: str, role: str
) -> Clinician:
    """Add a member of staff to the admin's clinic and e-mail them a link to set a password."""
    username = email.lower()
    if get_user_model().objects.filter(username=username).exists():
        raise IntakeInvalid(IntakeInvalid.EMAIL_TAKEN)
    clinician = clinician_create(
        clinic=admin.clinic,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
    )
    invitation_send(
        user=clinician.user,
        first_name=first_name,
        why=f"{admin.clinic.name} has added you to Stagewise.",
    )
    return clinician


@transaction.atomic
def clinician_deactivate(*, admin: Clinician, clinician: Clinician) -> Clinician:
    """Take a member of staff off the clinic: they can no longer sign in. Their records stay."""
    if clinician.pk == admin.pk:
        raise IntakeInvalid(IntakeInvalid.SELF_DEACTIVATE)
    clinician.is_active = False
    clinician.full_clean()
    clinician.save(update_fields=["is_active", "updated_at"])
    clinician.user.is_active = False
    clinician.user.save(update_fields=["is_active"])
    return clinician


@transaction.atomic
def clinic_rule_defaults_update(
    *, admin: Clinician, values: Mapping[str, object], reminder_times: list[str] | None = None
) -> Clinic:
    """Set the clinic's own rule thresholds (values equal to the shipped defaults are dropped)
    and, when given, the reminder times a new programme starts with."""
    defaults = Config()
    clinic = admin.clinic
    clinic.rule_defaults = {
        name: value for name, value in values.items() if getattr(defaults, name) != value
    }
    if reminder_times is not None:
        clinic.default_reminder_times = reminder_times
    clinic.full_clean()
    clinic.save(update_fields=["rule_defaults", "default_reminder_times", "updated_at"])
    return clinic
