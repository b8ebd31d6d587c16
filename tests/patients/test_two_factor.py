"""The second sign-in step (TOTP, django-otp): required for therapists, clinic admins and
superusers before any page, the admin included; offered to patients; a code works once."""

import datetime as dt
from http import HTTPStatus
from urllib.parse import quote

import pytest
import time_machine
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import totp_code
from tests.factories import ClinicianFactory, PatientFactory, PrescriptionFactory, UserFactory
from tests.test_access_matrix import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PASSWORD = "stagewise-test"
CASELOAD = "/pt/"


def password_step(username: str, password: str = PASSWORD) -> Client:
    """A client that has passed the password step through the real sign-in form."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == HTTPStatus.FOUND, response.content
    return client


def step_url(name: str, next_path: str) -> str:
    return f"{reverse(name)}?next={quote(next_path, safe='')}"


@pytest.fixture
def therapist_user(clinic):
    user = ClinicianFactory(clinic=clinic, user=UserFactory(username="pt")).user
    PatientFactory(clinic=clinic, primary_clinician=user.clinician)
    return user


@pytest.fixture
def device(therapist_user):
    return TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)


@pytest.mark.parametrize("role", ["therapist", "clinic_admin"])
def test_staff_without_an_authenticator_are_sent_to_set_one_up(clinic, role):
    ClinicianFactory(clinic=clinic, role=role, user=UserFactory(username="staff"))
    client = password_step("staff")
    for path in (CASELOAD, "/catalog/", "/clinic/staff/", "/"):
        assert client.get(path).url == step_url("two_factor_enrol", path), path


def test_staff_set_up_an_authenticator_and_then_reach_their_pages(therapist_user):
    client = password_step("pt")
    with time_machine.travel(T0, tick=False) as clock:
        page = client.get(step_url("two_factor_enrol", CASELOAD))
        assert page.status_code == HTTPStatus.OK
        assert b"<svg" in page.content
        pending = TOTPDevice.objects.get(user=therapist_user, confirmed=False)
        assert page.context["secret"] in page.content.decode()
        wrong = client.post(reverse("two_factor_enrol"), {"token": "000000", "next": CASELOAD})
        assert wrong.status_code == HTTPStatus.BAD_REQUEST
        clock.shift(dt.timedelta(seconds=30))
        done = client.post(
            reverse("two_factor_enrol"), {"token": totp_code(pending), "next": CASELOAD}
        )
        assert done.status_code == HTTPStatus.FOUND
        assert done.url == CASELOAD
        assert client.get(CASELOAD).status_code == HTTPStatus.OK
    pending.refresh_from_db()
    assert pending.confirmed


def test_staff_with_an_authenticator_must_type_a_code_and_a_code_works_once(device):
    with time_machine.travel(T0, tick=False):
        first = password_step("pt")
        assert first.get(CASELOAD).url == step_url("two_factor_verify", CASELOAD)
        # The set-up page is no way around the step either.
        assert first.get(reverse("two_factor_enrol")).url.startswith(reverse("two_factor_verify"))
        code = totp_code(device)
        passed = first.post(reverse("two_factor_verify"), {"token": code, "next": CASELOAD})
        assert passed.status_code == HTTPStatus.FOUND
        assert passed.url == CASELOAD
        assert first.get(CASELOAD).status_code == HTTPStatus.OK
        # Someone who saw the code over the shoulder signs in with the password too…
        second = password_step("pt")
        replay = second.post(reverse("two_factor_verify"), {"token": code, "next": CASELOAD})
        assert replay.status_code == HTTPStatus.BAD_REQUEST
        assert "already used" in replay.content.decode()
        assert second.get(CASELOAD).status_code == HTTPStatus.FOUND


def test_a_wrong_or_malformed_code_is_refused_with_400(device):
    client = password_step("pt")
    for token in ("123", "abcdef", "12345678901", ""):
        response = client.post(reverse("two_factor_verify"), {"token": token})
        assert response.status_code == HTTPStatus.BAD_REQUEST, token
    assert client.get(CASELOAD).status_code == HTTPStatus.FOUND


def test_the_code_step_never_sends_anyone_off_the_site(device):
    with time_machine.travel(T0, tick=False):
        client = password_step("pt")
        response = client.post(
            reverse("two_factor_verify"),
            {"token": totp_code(device), "next": "https://evil.example/"},
        )
    assert response.url == "/"


def test_a_patient_signs_in_without_a_code_and_may_turn_one_on(clinic):
    PatientFactory(clinic=clinic, user=UserFactory(username="pat"))
    client = password_step("pat")
    assert client.get("/me/").status_code == HTTPStatus.OK
    with time_machine.travel(T0, tick=False):
        offer = client.get(reverse("two_factor_enrol"))
        assert offer.status_code == HTTPStatus.OK
        assert "You can protect your account" in offer.content.decode()
        device = TOTPDevice.objects.get(user__username="pat", confirmed=False)
        client.post(reverse("two_factor_enrol"), {"token": totp_code(device)})
        device.refresh_from_db()
        assert device.confirmed
    # Once it is on, the next sign-in asks for a code.
    later = password_step("pat")
    assert later.get("/me/").url == step_url("two_factor_verify", "/me/")


def test_the_patients_pages_offer_the_second_step(client, clinic):
    prescription = PrescriptionFactory(patient=PatientFactory(clinic=clinic, user=UserFactory()))
    client.force_login(prescription.patient.user)
    for name in ("prescriptions:today", "prescriptions:reminder_settings"):
        page = client.get(reverse(name))
        assert page.status_code == HTTPStatus.OK
        assert reverse("two_factor_enrol") in page.content.decode(), name


def test_the_admin_requires_the_second_step(superuser):
    client = password_step("root", "pw")
    assert client.get("/admin/").url == step_url("two_factor_enrol", "/admin/")
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client = password_step("root", "pw")
    assert client.get("/admin/").url == step_url("two_factor_verify", "/admin/")
    with time_machine.travel(T0, tick=False):
        client.post(reverse("two_factor_verify"), {"token": totp_code(device)})
        assert client.get("/admin/").status_code == HTTPStatus.OK


def test_the_admin_site_itself_refuses_a_superuser_without_the_second_step(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    superuser.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    superuser.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_no_page_but_the_sign_in_ones_opens_to_staff_before_the_second_step(client, world):  # noqa: F811
    """Every URL of the role × URL matrix, for each staff role without an authenticator."""
    from patients.middleware import SIGN_IN_URL_NAMES
    from tests.test_access_matrix import MATRIX

    # Written out here: the exemption the middleware grants is what this test checks.
    assert {"login", "logout", "two_factor_verify", "two_factor_enrol"} == SIGN_IN_URL_NAMES
    for role in ("ta1", "adm_a", "su"):
        client.logout()
        client.unverified_force_login(world["users"][role])
        for name, row in MATRIX.items():
            url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
            response = client.get(url)
            if name in SIGN_IN_URL_NAMES:
                assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
            else:
                assert response.status_code == HTTPStatus.FOUND, (role, name)
                assert response.url == step_url("two_factor_enrol", url), (role, name)


def test_guessing_codes_is_limited_per_person(device):
    from django.conf import settings

    limit = int(settings.STAGEWISE_SIGN_IN_RATE.split("/")[0])
    with time_machine.travel(T0, tick=False):
        client = password_step("pt")
        statuses = [
            client.post(reverse("two_factor_verify"), {"token": f"{n:06d}"}).status_code
            for n in range(limit + 1)
        ]
        assert statuses == [HTTPStatus.BAD_REQUEST] * limit + [HTTPStatus.TOO_MANY_REQUESTS]
        # Even the right code waits for the next minute.
        right = client.post(reverse("two_factor_verify"), {"token": totp_code(device)})
        assert right.status_code == HTTPStatus.TOO_MANY_REQUESTS
