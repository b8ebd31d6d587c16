"""Every URL the project defines, for every role: the expected status of each cell.

Roles: anonymous; two patients of clinic A (``pa1`` owns the objects in the URLs); two
therapists of clinic A (``ta1`` is the primary therapist); a therapist of clinic B; the clinic
admin of each clinic; the site superuser. GET on every URL, POST on every mutating one. A new
URL pattern without a row here fails ``test_every_url_pattern_has_a_row``.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from exercises.models import Protocol
from prescriptions.models import Alert
from prescriptions.services import prescription_create
from tests import query_scope
from tests.factories import (
    ClinicFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    ProtocolFactory,
    ProtocolStageFactory,
    UserFactory,
)
from tests.prescriptions.conftest import log, make_intake

ROLES = ("anon", "pa1", "pa2", "ta1", "ta2", "tb", "adm_a", "adm_b", "su")


def cells(
    default: int,
    *,
    anon: int = 302,
    patients: int | None = None,
    pa2: int | None = None,
    therapists_a: int | None = None,
    tb: int | None = None,
    admins: int | None = None,
    adm_b: int | None = None,
    su: int | None = None,
) -> dict[str, int]:
    """Expected statuses by role, starting from ``default`` for every signed-in role."""
    result = dict.fromkeys(ROLES, default)
    result["anon"] = anon
    for roles, value in (
        (("pa1", "pa2"), patients),
        (("pa2",), pa2),
        (("ta1", "ta2"), therapists_a),
        (("tb",), tb),
        (("adm_a", "adm_b"), admins),
        (("adm_b",), adm_b),
        (("su",), su),
    ):
        if value is not None:
            result |= dict.fromkeys(roles, value)
    return result


THERAPIST_PAGE = cells(403, therapists_a=200, tb=200)
THERAPIST_OBJECT = cells(403, therapists_a=200, tb=404)
PATIENT_PAGE = cells(403, patients=200)
PUBLIC = cells(200, anon=200)
STAFF_PAGE = cells(403, therapists_a=200, tb=200, admins=200)
ADMIN_PAGE = cells(403, admins=200)
ADMIN_OBJECT = cells(403, admins=200, adm_b=404)


@dataclass(frozen=True)
class Row:
    """What one URL answers: GET (and POST, for mutating URLs) per role."""

    get: dict[str, int]
    post: dict[str, int] | None = None
    kwargs: Any = None  # a function of the world giving the URL kwargs
    data: dict[str, str] = field(default_factory=dict)


MATRIX: dict[str, Row] = {
    "home": Row(get=cells(302, anon=200)),
    "login": Row(get=PUBLIC),
    "logout": Row(get=cells(405, anon=405), post=cells(302, anon=302)),
    # Staff in the matrix have passed the second step (tests/conftest.py); patients have none.
    "two_factor_verify": Row(get=cells(302), post=cells(302)),
    "two_factor_enrol": Row(get=cells(200), post=cells(302, patients=400)),
    "password_change": Row(get=cells(200), post=cells(200)),
    "password_change_done": Row(get=cells(200)),
    "password_reset": Row(get=PUBLIC, post=cells(302, anon=302), data={"email": "x@example.com"}),
    "password_reset_done": Row(get=PUBLIC),
    "password_reset_confirm": Row(get=PUBLIC, kwargs=lambda w: {"uidb64": "MQ", "token": "bad"}),
    "password_reset_complete": Row(get=PUBLIC),
    "invite_accept": Row(get=PUBLIC, kwargs=lambda w: {"uidb64": "MQ", "token": "bad"}),
    "patients:patient_new": Row(get=THERAPIST_PAGE, post=cells(403, therapists_a=400, tb=400)),
    "patients:intake": Row(
        get=THERAPIST_OBJECT,
        post=cells(403, therapists_a=400, tb=404),
        kwargs=lambda w: {"public_id": w["patient"].public_id},
    ),
    "patients:invite": Row(
        get=cells(405, anon=405),
        post=cells(403, therapists_a=302, tb=404),
        kwargs=lambda w: {"public_id": w["patient"].public_id},
    ),
    "patients:access_log": Row(
        get=cells(403, therapists_a=200, tb=404, admins=200, adm_b=404),
        kwargs=lambda w: {"public_id": w["patient"].public_id},
    ),
    "prescriptions:caseload": Row(get=THERAPIST_PAGE, post=cells(403, therapists_a=302, tb=302)),
    "prescriptions:alert_queue": Row(get=THERAPIST_PAGE),
    "prescriptions:alert_action": Row(
        get=cells(405, anon=405),
        post=cells(403, therapists_a=302, tb=404),
        kwargs=lambda w: {"alert_id": w["alert"].pk, "action": "clear"},
    ),
    "prescriptions:patient_detail": Row(
        get=THERAPIST_OBJECT, kwargs=lambda w: {"public_id": w["patient"].public_id}
    ),
    "prescriptions:prescribe": Row(
        get=THERAPIST_OBJECT,
        post=cells(403, therapists_a=400, tb=404),
        kwargs=lambda w: {"public_id": w["patient"].public_id},
    ),
    "prescriptions:status_change": Row(
        get=cells(405, anon=405),
        post=cells(403, therapists_a=302, tb=404),
        kwargs=lambda w: {"public_id": w["patient"].public_id},
    ),
    "prescriptions:threshold_override": Row(
        get=cells(405, anon=405),
        post=cells(403, therapists_a=302, tb=404),
        kwargs=lambda w: {"public_id": w["patient"].public_id},
    ),
    "prescriptions:reminders_pause": Row(
        get=PUBLIC, post=cells(400, anon=400), kwargs=lambda w: {"token": "tampered"}
    ),
    "prescriptions:today": Row(get=PATIENT_PAGE),
    "prescriptions:history": Row(get=PATIENT_PAGE),
    "prescriptions:reminder_settings": Row(get=PATIENT_PAGE, post=cells(403, patients=400)),
    "prescriptions:morning_check": Row(get=PATIENT_PAGE, post=cells(403, patients=400)),
    "prescriptions:session_log": Row(get=PATIENT_PAGE, post=cells(403, patients=400)),
    "prescriptions:decision": Row(
        get=cells(403, patients=200, pa2=404),
        kwargs=lambda w: {"evaluation_id": w["evaluation"].pk},
    ),
    "exercises:exercise_list": Row(get=STAFF_PAGE),
    "exercises:exercise_create": Row(get=ADMIN_PAGE, post=cells(403, admins=400)),
    "exercises:exercise_update": Row(
        get=ADMIN_OBJECT,
        post=cells(403, admins=400, adm_b=404),
        kwargs=lambda w: {"exercise_id": w["exercise"].pk},
    ),
    "exercises:exercise_retire": Row(
        get=cells(403, admins=405),
        post=cells(403, admins=302, adm_b=404),
        kwargs=lambda w: {"exercise_id": w["exercise"].pk},
    ),
    "exercises:protocol_list": Row(get=STAFF_PAGE),
    "exercises:protocol_create": Row(get=ADMIN_PAGE, post=cells(403, admins=400)),
    "exercises:protocol_update": Row(
        get=ADMIN_OBJECT,
        post=cells(403, admins=400, adm_b=404),
        kwargs=lambda w: {"protocol_id": w["draft"].pk},
    ),
    "exercises:protocol_publish": Row(
        get=cells(403, admins=405),
        post=cells(403, admins=302, adm_b=404),
        kwargs=lambda w: {"protocol_id": w["draft"].pk},
    ),
    "exercises:protocol_new_version": Row(
        get=cells(403, admins=405),
        post=cells(403, admins=302, adm_b=404),
        kwargs=lambda w: {"protocol_id": w["published"].pk},
    ),
    "exercises:protocol_copy": Row(
        get=cells(403, admins=405),
        post=cells(403, admins=302),
        kwargs=lambda w: {"protocol_id": w["shipped"].pk},
    ),
    "patients:staff": Row(get=ADMIN_PAGE, post=cells(403, admins=400)),
    "patients:access_logs": Row(get=ADMIN_PAGE),
    "patients:staff_deactivate": Row(
        get=cells(405, anon=405),
        post=cells(403, admins=302, adm_b=404),
        kwargs=lambda w: {"clinician_id": w["ta2"].pk},
    ),
    "patients:rule_defaults": Row(get=ADMIN_PAGE, post=cells(403, admins=400)),
}


def project_url_names() -> set[str]:
    """Every named URL pattern of the project, except the Django admin's own."""
    names: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_pattern_has_a_row():
    assert project_url_names() - set(MATRIX) == set()


@pytest.fixture
def world(db, django_user_model):
    """Two clinics, every role, and a patient of clinic A with a suspended programme."""
    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    clinic_a, clinic_b = ClinicFactory(), ClinicFactory()
    ta1, ta2 = ClinicianFactory(clinic=clinic_a), ClinicianFactory(clinic=clinic_a)
    users = {
        "ta1": ta1.user,
        "ta2": ta2.user,
        "tb": ClinicianFactory(clinic=clinic_b).user,
        "adm_a": ClinicianFactory(clinic=clinic_a, role="clinic_admin").user,
        "adm_b": ClinicianFactory(clinic=clinic_b, role="clinic_admin").user,
        "su": django_user_model.objects.create_superuser("su", "su@example.com", "pw"),
    }
    patients = {}
    for role in ("pa1", "pa2"):
        patient = PatientFactory(clinic=clinic_a, primary_clinician=ta1, user=UserFactory())
        make_intake(ta1, patient, now=timezone.now() - dt.timedelta(days=1, hours=1))
        prescription_create(
            clinician=ta1,
            patient=patient,
            protocol=protocol,
            now=timezone.now() - dt.timedelta(days=1),
        )
        users[role] = patient.user
        patients[role] = patient
    result = log(patients["pa1"], timezone.now() - dt.timedelta(hours=2), pain_during_max=9)
    own = ExerciseFactory(clinic=clinic_a)
    draft = ProtocolFactory(clinic=clinic_a, status="draft", published_at=None)
    published = ProtocolFactory(clinic=clinic_a, slug="clinic-flexion")
    for number in (1, 2, 3):
        ProtocolStageFactory(protocol=published, number=number, exercise=own)
    return {
        "users": users,
        "ta2": ta2,
        "exercise": own,
        "draft": draft,
        "published": published,
        "shipped": protocol,
        "patient": patients["pa1"],
        "alert": Alert.objects.get(prescription__patient=patients["pa1"]),
        "evaluation": result.evaluation,
    }


def assert_security_headers(response, *, signed_in: bool, where: str) -> None:
    """Every response carries the content policy (no framing, no inline script), nosniff, a
    referrer policy and X-Frame-Options; every response to a signed-in person is no-store."""
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], (where, policy)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, (where, policy)
    assert "'unsafe-inline'" not in script_src, (where, policy)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in {
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    }, where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    if signed_in:
        assert "no-store" in response.headers.get("Cache-Control", ""), where


def statuses(client, world, name: str, method: str) -> dict[str, int]:
    row = MATRIX[name]
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    found = {}
    for role in ROLES:
        client.logout()
        if role != "anon":
            client.force_login(world["users"][role])
        with query_scope.watching(world["users"].get(role)):
            response = client.get(url) if method == "GET" else client.post(url, row.data)
        assert_security_headers(response, signed_in=role != "anon", where=f"{method} {url} {role}")
        found[role] = response.status_code
    return found


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_get(client, world, name):
    assert statuses(client, world, name, "GET") == MATRIX[name].get


@pytest.mark.parametrize("name", sorted(n for n, row in MATRIX.items() if row.post))
def test_post(client, world, name):
    assert statuses(client, world, name, "POST") == MATRIX[name].post
