"""Data safety: clinical records are archived, never deleted; no delete cascades into them;
every change that writes several rows writes all of them or none."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import models
from django.db.models.signals import post_save
from django.utils import timezone

from exercises.models import Protocol
from patients.audit import audited_models
from patients.models import Intake, OdiAssessment, RedFlagScreen
from prescriptions.models import (
    Alert,
    PrescribedStage,
    Prescription,
    RuleEvaluation,
    SessionLog,
    StageTransition,
    StatusChange,
)
from prescriptions.services import prescription_create
from tests.factories import PatientFactory, UserFactory
from tests.prescriptions.conftest import log, make_intake


def clinical_models() -> set[type[models.Model]]:
    """The patient's health record, and the audit trail of who touched it."""
    return {*audited_models(), LogEntry}


# Relations into clinical records that are not PROTECT, each with why no record can be lost.
ALLOWED_RELATIONS = {
    "auditlog.LogEntry.content_type": (
        "A content type goes only when a model is removed by a migration; the append-only "
        "trigger (patients/migrations/0002) refuses the cascading DELETE on audit rows."
    ),
    "auditlog.LogEntry.actor": (
        "SET_NULL would blank the actor, but the append-only trigger refuses that UPDATE, so a "
        "user who appears in the audit cannot be deleted (staff and patients are PROTECT anyway)."
    ),
}


def relations() -> list[models.ForeignKey]:
    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.concrete
    ]


def label(field: models.ForeignKey) -> str:
    return f"{field.model._meta.label}.{field.name}"


def test_every_relation_on_a_clinical_record_is_protect():
    clinical = clinical_models()
    loose = [
        label(field)
        for field in relations()
        if field.model in clinical
        and field.remote_field.on_delete is not models.PROTECT
        and label(field) not in ALLOWED_RELATIONS
    ]
    assert loose == []


def test_no_delete_anywhere_cascades_into_a_clinical_record():
    """Walk every CASCADE (and SET_NULL / SET_DEFAULT) edge from every model; none may reach a
    clinical record, directly or through other models."""
    erasing = {models.CASCADE, models.SET_NULL, models.SET_DEFAULT}
    edges: dict[type[models.Model], list[models.ForeignKey]] = defaultdict(list)
    for field in relations():
        if field.remote_field.on_delete in erasing and label(field) not in ALLOWED_RELATIONS:
            edges[field.related_model].append(field)  # type: ignore[index]
    clinical = clinical_models()
    reached = []
    for start in apps.get_models():
        seen, todo = {start}, [start]
        while todo:
            for field in edges[todo.pop()]:
                if field.model in clinical:
                    reached.append(f"{start._meta.label} -> {label(field)}")
                if field.model not in seen:
                    seen.add(field.model)
                    todo.append(field.model)
    assert reached == []


def test_the_walk_sees_a_cascade(monkeypatch):
    field = SessionLog._meta.get_field("prescription")
    monkeypatch.setattr(field.remote_field, "on_delete", models.CASCADE)
    with pytest.raises(AssertionError):
        test_no_delete_anywhere_cascades_into_a_clinical_record()
    with pytest.raises(AssertionError):
        test_every_relation_on_a_clinical_record_is_protect()


@pytest.mark.django_db
@pytest.mark.parametrize("model", sorted(audited_models(), key=lambda m: m.__name__))
def test_the_admin_cannot_delete_a_clinical_record(rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_no_page_deletes_anything():
    from tests.test_access_matrix import project_url_names

    assert not [name for name in project_url_names() if "delete" in name]


# --- all or nothing ------------------------------------------------------------------------


class Injected(Exception):
    """A failure injected half-way through a service (as a database error would be)."""


@pytest.fixture
def fail_on_save():
    """Make saving one kind of row raise, after the service has already written others."""
    connected = []

    def arm(model: type[models.Model]) -> None:
        def explode(**kwargs):  # type: ignore[no-untyped-def]
            raise Injected

        post_save.connect(explode, sender=model, weak=False, dispatch_uid="inject")
        connected.append(model)

    yield arm
    for model in connected:
        post_save.disconnect(sender=model, dispatch_uid="inject")


@pytest.fixture
def world(db, therapist):
    call_command("seed_catalog", verbosity=0)
    patient = PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, user=UserFactory()
    )
    return {
        "therapist": therapist,
        "patient": patient,
        "protocol": Protocol.objects.get(slug="lumbar-flexion-progression"),
    }


def intake(world) -> None:
    make_intake(world["therapist"], world["patient"], now=timezone.now() - dt.timedelta(days=2))


def prescribe(world) -> Prescription:
    return prescription_create(
        clinician=world["therapist"],
        patient=world["patient"],
        protocol=world["protocol"],
        now=timezone.now() - dt.timedelta(days=1),
    )


def log_a_suspending_set(world) -> None:
    log(world["patient"], timezone.now() - dt.timedelta(hours=1), pain_during_max=9)


def counts() -> dict[str, int]:
    return {m.__name__: m._default_manager.count() for m in clinical_models()}


# Each multi-row service, what it needs first, and the row whose save fails after others.
CASES: dict[str, tuple[Callable, Callable, type[models.Model]]] = {
    # The ODI and the red-flag screen are written before the intake itself.
    "intake": (lambda w: None, intake, Intake),
    # The programme and its stage snapshot are written before the START transition.
    "prescribing": (intake, prescribe, StageTransition),
    # The log, the evaluation and the status change are written before the alert.
    "logging a set": (lambda w: (intake(w), prescribe(w)), log_a_suspending_set, Alert),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_failure_half_way_writes_nothing(world, fail_on_save, case):
    setup, action, failing = CASES[case]
    setup(world)
    before = counts()
    fail_on_save(failing)
    with pytest.raises(Injected):
        action(world)
    assert counts() == before


@pytest.mark.parametrize(
    ("case", "written"),
    [
        ("intake", [OdiAssessment, RedFlagScreen, Intake]),
        ("prescribing", [Prescription, PrescribedStage, StageTransition]),
        ("logging a set", [SessionLog, RuleEvaluation, StatusChange, Alert]),
    ],
)
def test_without_the_failure_each_case_writes_several_rows(world, case, written):
    setup, action, _ = CASES[case]
    setup(world)
    before = counts()
    action(world)
    after = counts()
    assert [m for m in written if after[m.__name__] <= before[m.__name__]] == []
