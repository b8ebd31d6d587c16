"""The audit trail: every create, change, delete and view of a patient's record is recorded
with actor, role, clinic, patient, route, request id, IP and UTC time; the trail is append-only
and a therapist or clinic admin of the patient's clinic can read it."""

import datetime as dt
import importlib
from http import HTTPStatus

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from exercises.models import Protocol
from patients.audit import access_log_for_patient, audited_models
from patients.models import Intake, OdiAssessment, Patient, RedFlagScreen
from prescriptions.models import (
    Alert,
    MorningCheck,
    PrescribedStage,
    Prescription,
    RuleEvaluation,
    SessionLog,
    StatusChange,
)
from prescriptions.services import prescription_create
from tests.factories import ClinicianFactory, PatientFactory, UserFactory
from tests.prescriptions.conftest import log, make_intake

pytestmark = pytest.mark.django_db

REQUEST_ID = "req-0123456789abcdef"
ACTIONS = LogEntry.Action


@pytest.fixture
def world(therapist):
    """A patient of the therapist's clinic, signed up, with a programme and one alerting set."""
    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    patient = PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, user=UserFactory()
    )
    make_intake(therapist, patient, now=timezone.now() - dt.timedelta(days=1, hours=1))
    prescription_create(
        clinician=therapist,
        patient=patient,
        protocol=protocol,
        now=timezone.now() - dt.timedelta(days=1),
    )
    result = log(patient, timezone.now() - dt.timedelta(hours=2), pain_during_max=9)
    return {"patient": patient, "therapist": therapist, "evaluation": result.evaluation}


def entries(model, action, **data):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        action=action,
        **{f"additional_data__{key}": value for key, value in data.items()},
    )


def assert_complete(entry, *, user, role, patient, route):
    """Every field the audit promises is there, and right."""
    assert entry.actor == user
    assert entry.remote_addr == "127.0.0.1"
    assert entry.cid == REQUEST_ID
    assert entry.timestamp.utcoffset() == dt.timedelta(0)
    assert abs(timezone.now() - entry.timestamp) < dt.timedelta(minutes=1)
    data = entry.additional_data
    assert data["role"] == role
    assert data["actor_clinic_id"] == patient.clinic_id
    assert data["clinic_id"] == patient.clinic_id
    assert data["patient_id"] == patient.pk
    assert data["route"] == route
    assert data["request_id"] == REQUEST_ID


def test_the_services_record_a_creation_of_each_kind_of_record(world):
    patient = world["patient"]
    for model in (
        Intake,
        OdiAssessment,
        RedFlagScreen,
        Prescription,
        PrescribedStage,
        SessionLog,
        RuleEvaluation,
        Alert,
    ):
        found = entries(model, ACTIONS.CREATE, patient_id=patient.pk, clinic_id=patient.clinic_id)
        assert found.exists(), model
        assert found.first().additional_data["role"] == "system"


def test_registering_a_patient_is_recorded(client, therapist):
    client.force_login(therapist.user)
    response = client.post(
        reverse("patients:patient_new"),
        {
            "first_name": "Ada",
            "last_name": "Quill",
            "date_of_birth": "1980-02-03",
            "email": "ada@example.com",
            "phone": "",
            "timezone": "Europe/London",
        },
        headers={"X-Request-ID": REQUEST_ID},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["X-Request-ID"] == REQUEST_ID
    patient = Patient.objects.get(last_name="Quill")
    entry = entries(Patient, ACTIONS.CREATE, patient_id=patient.pk).get()
    assert_complete(
        entry, user=therapist.user, role="therapist", patient=patient, route="patients:patient_new"
    )
    assert entry.changes["last_name"] == [None, "Quill"]


def test_a_status_change_is_recorded_as_a_change_and_a_creation(client, world):
    patient, therapist = world["patient"], world["therapist"]
    client.force_login(therapist.user)
    client.post(
        reverse("prescriptions:status_change", args=[patient.public_id]),
        {"to_status": "stopped", "reason": "Moved away"},
        headers={"X-Request-ID": REQUEST_ID},
    )
    changed = entries(Prescription, ACTIONS.UPDATE, request_id=REQUEST_ID).get()
    assert changed.changes["status"][1] == "stopped"
    created = entries(StatusChange, ACTIONS.CREATE, request_id=REQUEST_ID).get()
    for entry in (changed, created):
        assert_complete(
            entry,
            user=therapist.user,
            role="therapist",
            patient=patient,
            route="prescriptions:status_change",
        )


def test_clearing_an_alert_is_recorded(client, world):
    patient, therapist = world["patient"], world["therapist"]
    alert = Alert.objects.get(prescription__patient=patient)
    client.force_login(therapist.user)
    response = client.post(
        reverse("prescriptions:alert_action", args=[alert.pk, "clear"]),
        {"reason": "Phoned: pain settled"},
        headers={"X-Request-ID": REQUEST_ID},
    )
    assert response.status_code == HTTPStatus.FOUND
    entry = entries(Alert, ACTIONS.UPDATE, request_id=REQUEST_ID).get()
    assert_complete(
        entry,
        user=therapist.user,
        role="therapist",
        patient=patient,
        route="prescriptions:alert_action",
    )


def test_the_patients_own_morning_check_is_recorded(client, world):
    therapist = world["therapist"]
    patient = PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, user=UserFactory()
    )
    make_intake(therapist, patient, now=timezone.now() - dt.timedelta(days=1, hours=1))
    prescription_create(
        clinician=therapist,
        patient=patient,
        protocol=Protocol.objects.get(slug="lumbar-flexion-progression"),
        now=timezone.now() - dt.timedelta(days=1),
    )
    client.force_login(patient.user)
    client.post(
        reverse("prescriptions:morning_check"),
        {"pain": "3", "level_left": "1", "level_right": "0", "stiffness_vs_usual": "SAME"},
        headers={"X-Request-ID": REQUEST_ID},
    )
    for model in (MorningCheck, RuleEvaluation):
        entry = entries(model, ACTIONS.CREATE, request_id=REQUEST_ID).get()
        assert_complete(
            entry,
            user=patient.user,
            role="patient",
            patient=patient,
            route="prescriptions:morning_check",
        )


def test_a_deletion_is_recorded(world):
    change = StatusChange.objects.filter(prescription__patient=world["patient"]).first()
    if change is None:
        change = StatusChange.objects.create(
            prescription=Prescription.objects.get(patient=world["patient"]),
            from_status="active",
            to_status="paused",
            reason="test",
            occurred_at=timezone.now(),
        )
    pk = change.pk
    change.delete()
    entry = entries(StatusChange, ACTIONS.DELETE, patient_id=world["patient"].pk).get()
    assert entry.object_id == pk


@pytest.mark.parametrize(
    ("route", "who", "role"),
    [
        ("prescriptions:patient_detail", "therapist", "therapist"),
        ("patients:access_log", "therapist", "therapist"),
        ("patients:access_log", "admin", "clinic_admin"),
        ("prescriptions:today", "patient", "patient"),
        ("prescriptions:history", "patient", "patient"),
        ("prescriptions:decision", "patient", "patient"),
    ],
)
def test_each_view_of_the_record_is_recorded(client, world, route, who, role):
    patient = world["patient"]
    users = {
        "therapist": world["therapist"].user,
        "patient": patient.user,
        "admin": ClinicianFactory(clinic=patient.clinic, role="clinic_admin").user,
    }
    kwargs = {
        "prescriptions:patient_detail": {"public_id": patient.public_id},
        "patients:access_log": {"public_id": patient.public_id},
        "prescriptions:decision": {"evaluation_id": world["evaluation"].pk},
    }.get(route)
    client.force_login(users[who])
    response = client.get(reverse(route, kwargs=kwargs), headers={"X-Request-ID": REQUEST_ID})
    assert response.status_code == HTTPStatus.OK
    entry = LogEntry.objects.get(action=ACTIONS.ACCESS, cid=REQUEST_ID)
    assert_complete(entry, user=users[who], role=role, patient=patient, route=route)


def test_opening_a_record_in_the_admin_is_recorded(client, world, superuser):
    patient = world["patient"]
    client.force_login(superuser)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    assert client.get(url, headers={"X-Request-ID": REQUEST_ID}).status_code == HTTPStatus.OK
    entry = LogEntry.objects.get(action=ACTIONS.ACCESS, cid=REQUEST_ID)
    assert entry.actor == superuser
    data = entry.additional_data
    assert (data["role"], data["patient_id"]) == ("superuser", patient.pk)
    assert data["route"] == "admin:patients_patient_change"


def test_a_request_id_that_is_not_an_opaque_token_is_replaced(client, world):
    client.force_login(world["therapist"].user)
    url = reverse("prescriptions:patient_detail", args=[world["patient"].public_id])
    response = client.get(url, headers={"X-Request-ID": "Ada Quill <script>"})
    entry = LogEntry.objects.get(action=ACTIONS.ACCESS)
    assert entry.cid == response["X-Request-ID"]
    assert len(entry.cid) == 32
    assert entry.cid.isalnum()


@pytest.mark.parametrize(
    ("trusted_proxies", "recorded"),
    [(0, "127.0.0.1"), (1, "203.0.113.7")],
)
def test_the_address_recorded_is_the_one_our_proxy_saw(
    client, world, settings, trusted_proxies, recorded
):
    """A client-typed ``X-Forwarded-For`` entry is never recorded; behind our one proxy, the
    address it appended is."""
    settings.STAGEWISE_TRUSTED_PROXIES = trusted_proxies
    client.force_login(world["therapist"].user)
    url = reverse("prescriptions:patient_detail", args=[world["patient"].public_id])
    client.get(url, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert LogEntry.objects.get(action=ACTIONS.ACCESS).remote_addr == recorded


def test_the_access_log_shows_who_looked(client, world):
    patient, therapist = world["patient"], world["therapist"]
    colleague = ClinicianFactory(clinic=patient.clinic)
    client.force_login(colleague.user)
    client.get(reverse("prescriptions:patient_detail", args=[patient.public_id]))
    client.force_login(therapist.user)
    page = client.get(reverse("patients:access_log", args=[patient.public_id]))
    assert page.status_code == HTTPStatus.OK
    assert str(colleague).encode() in page.content
    assert b"prescriptions:patient_detail" in page.content


def test_a_clinic_admin_finds_each_patients_access_log_from_the_clinic_pages(client, world):
    patient = world["patient"]
    other = PatientFactory(last_name="Elsewhere")
    admin = ClinicianFactory(clinic=patient.clinic, role="clinic_admin")
    client.force_login(admin.user)
    assert reverse("patients:access_logs").encode() in client.get(reverse("patients:staff")).content
    listing = client.get(reverse("patients:access_logs"))
    assert listing.status_code == HTTPStatus.OK
    own_log = reverse("patients:access_log", args=[patient.public_id])
    assert own_log.encode() in listing.content
    assert str(other.public_id).encode() not in listing.content
    page = client.get(own_log)
    assert reverse("patients:access_logs").encode() in page.content
    assert reverse("prescriptions:patient_detail", args=[patient.public_id]).encode() not in (
        page.content
    )


def test_another_clinics_staff_cannot_read_the_access_log(client, world):
    outsider = ClinicianFactory(role="clinic_admin")
    client.force_login(outsider.user)
    response = client.get(reverse("patients:access_log", args=[world["patient"].public_id]))
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.postgres
def test_a_patients_access_log_reads_the_patient_index(world):
    """The migration's index serves the access log's query (the test database is built without
    migrations, so the index is created here from the migration's own SQL)."""
    migration = importlib.import_module("patients.migrations.0003_audit_patient_index")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the fixture's deferred checks, first
        cursor.execute(migration.POSTGRES_INSTALL)
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = access_log_for_patient(patient=world["patient"]).explain()
    assert migration.INDEX in plan


def test_every_audited_model_is_registered():
    from auditlog.registry import auditlog

    assert set(audited_models()) <= set(auditlog.get_models())


# Models that point at a patient's records but hold no health data, and why.
NOT_AUDITED = {"prescriptions.Reminder": "delivery bookkeeping: a due time and a status"}


def test_every_model_that_reaches_a_patient_is_audited_or_excused():
    """``audited_models()`` is what the audit, the data-safety and the query-scope suites take
    as the patient data; a new model pointing at a patient's records must join it or be
    excused here with a reason."""
    from django.apps import apps

    from patients.models import Patient

    reaching, grew = {Patient}, True
    while grew:  # every model with a foreign key into what already reaches a patient
        found = {
            model
            for model in apps.get_models()
            if any(
                field.is_relation and field.related_model in reaching
                for field in model._meta.concrete_fields
            )
            and model._meta.app_label in {"patients", "prescriptions", "exercises"}
        }
        grew = not found <= reaching
        reaching |= found
    labels = {model._meta.label for model in reaching}
    audited = {model._meta.label for model in audited_models()}
    assert labels - audited == set(NOT_AUDITED)
    assert "prescriptions.SessionLog" in labels  # the walk does reach the records


# --- append-only ---------------------------------------------------------------------------


def test_the_admin_cannot_add_change_or_delete_audit_entries(rf, superuser):
    from django.contrib import admin

    model_admin = admin.site._registry[LogEntry]
    request = rf.get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.fixture
def guarded():
    """The migration's trigger, installed in the test database for this test only (the test
    database is built without migrations; the transaction is rolled back afterwards)."""
    migration = importlib.import_module("patients.migrations.0002_audit_append_only")

    class Editor:
        """The two things the migration asks of its schema editor (SQLite's real one refuses
        to open inside the test's transaction)."""

        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.install(None, Editor())


@pytest.mark.parametrize(
    "statement",
    ["UPDATE auditlog_logentry SET object_repr = 'x'", "DELETE FROM auditlog_logentry"],
)
def test_the_database_refuses_to_rewrite_the_audit(world, guarded, statement):
    assert LogEntry.objects.exists()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.all().delete()
    assert LogEntry.objects.count() > 0
