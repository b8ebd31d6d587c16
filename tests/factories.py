"""factory_boy factories for the domain model: valid rows with the fewest decisions made."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from exercises.models import Exercise, Protocol, ProtocolStage
from patients.models import Clinic, Clinician, Patient
from prescriptions.models import MorningCheck, Prescription, Reminder, SessionLog


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "stagewise-test")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "Europe/London"


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Clinician.Role.THERAPIST


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    primary_clinician = factory.SubFactory(
        ClinicianFactory, clinic=factory.SelfAttribute("..clinic")
    )
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1970, 5, 17)
    timezone = "Europe/London"


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    slug = factory.Sequence(lambda n: f"exercise-{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    position = Exercise.Position.SUPINE
    direction = Exercise.Direction.FLEXION
    summary = "A test exercise."
    steps = "Lie down.\nBend.\nRelax."


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol

    slug = factory.Sequence(lambda n: f"protocol-{n}")
    name = "Test progression"
    status = Protocol.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class ProtocolStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtocolStage

    protocol = factory.SubFactory(ProtocolFactory)
    number = 1
    exercise = factory.SubFactory(ExerciseFactory)


class PrescriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prescription

    patient = factory.SubFactory(PatientFactory)
    prescribed_by = factory.LazyAttribute(lambda o: o.patient.primary_clinician)
    protocol = factory.SubFactory(ProtocolFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    stage_started_at = factory.SelfAttribute("started_at")
    phase_started_at = factory.SelfAttribute("started_at")
    stage_base_pain = 3
    stage_base_level_left = 2
    stage_base_level_right = 0


class SessionLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionLog

    prescription = factory.SubFactory(PrescriptionFactory)
    stage = 1
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    entered_at = factory.LazyFunction(timezone.now)
    local_date = factory.LazyFunction(timezone.localdate)
    reps_done = 10
    pain_pre = 2
    pain_during_max = 2
    pain_post = 2
    level_pre_left = 1
    level_pre_right = 1
    level_post_left = 1
    level_post_right = 1
    ease = "EASY"


class MorningCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MorningCheck

    prescription = factory.SubFactory(PrescriptionFactory)
    local_date = factory.LazyFunction(timezone.localdate)
    pain = 2
    level_left = 1
    level_right = 1
    entered_at = factory.LazyFunction(timezone.now)


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    prescription = factory.SubFactory(PrescriptionFactory)
    local_date = factory.LazyFunction(timezone.localdate)
    slot = "08:00"
    due_at = factory.LazyFunction(timezone.now)
