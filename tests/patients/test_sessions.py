"""Sessions end on the server: after a spell without requests (staff 15 minutes, patients 30),
after a fixed lifetime whatever the person does (staff 10 hours, patients 24), at sign-out, and
for every other device when the password changes or the account is deactivated."""

import datetime as dt
from http import HTTPStatus
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import ClinicianFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# A page every signed-in person may open, whatever their role.
PAGE = "password_change"


@pytest.fixture(params=["therapist", "clinic_admin", "superuser", "patient"])
def person(request, clinic, django_user_model):
    """Someone of each role, with the idle timeout and lifetime their role gets (minutes)."""
    if request.param == "superuser":
        return django_user_model.objects.create_superuser("root", "r@example.com", "pw"), 15, 600
    if request.param == "patient":
        patient = PatientFactory(clinic=clinic, user=UserFactory())
        return patient.user, 30, 24 * 60
    return ClinicianFactory(clinic=clinic, role=request.param).user, 15, 600


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_sent_to_sign_in(response, path: str) -> None:
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('login')}?next={quote(path)}"


def test_idle_session_ends_just_after_the_roles_timeout(person):
    user, idle, _ = person
    url = reverse(PAGE)
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in(user)
        session_key = client.session.session_key
        clock.shift(dt.timedelta(minutes=idle - 1, seconds=59))
        assert client.get(url).status_code == HTTPStatus.OK
        # Each request restarts the idle clock.
        clock.shift(dt.timedelta(minutes=idle - 1, seconds=59))
        assert client.get(url).status_code == HTTPStatus.OK
        clock.shift(dt.timedelta(minutes=idle, seconds=1))
        response = client.get(url)
    assert_sent_to_sign_in(response, url)
    assert not Session.objects.filter(session_key=session_key).exists()
    login_page = client.get(response.url)
    assert f"after {idle} minutes without activity" in login_page.content.decode()
    assert f'name="next" value="{url}"' in login_page.content.decode()


def test_session_ends_at_the_roles_lifetime_even_with_activity(person):
    user, idle, lifetime = person
    url = reverse(PAGE)
    step = dt.timedelta(minutes=idle - 5)
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in(user)
        elapsed = dt.timedelta(0)
        while elapsed + step < dt.timedelta(minutes=lifetime - 1):
            clock.shift(step)
            elapsed += step
            assert client.get(url).status_code == HTTPStatus.OK, elapsed
        clock.shift(dt.timedelta(minutes=lifetime - 1) - elapsed)
        assert client.get(url).status_code == HTTPStatus.OK
        clock.shift(dt.timedelta(minutes=2))
        response = client.get(url)
    assert_sent_to_sign_in(response, url)
    hours = lifetime // 60
    assert f"at most {hours} hours" in client.get(response.url).content.decode()


def test_signing_in_again_starts_the_clocks_afresh(clinic):
    user = ClinicianFactory(clinic=clinic).user
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in(user)
        clock.shift(dt.timedelta(hours=9, minutes=50))
        client.force_login(user)
        clock.shift(dt.timedelta(minutes=14))
        assert client.get(reverse(PAGE)).status_code == HTTPStatus.OK


def test_sign_out_is_a_post_and_ends_the_session_on_the_server(clinic):
    client = signed_in(ClinicianFactory(clinic=clinic).user)
    cookie = client.cookies["sessionid"].value
    assert client.get(reverse("logout")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert Session.objects.filter(session_key=cookie).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=cookie).exists()
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get(reverse(PAGE)).status_code == HTTPStatus.FOUND


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(clinic):
    user = ClinicianFactory(clinic=clinic).user
    here, elsewhere = signed_in(user), signed_in(user)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": "stagewise-test",
            "new_password1": "a-fresh-long-passphrase",
            "new_password2": "a-fresh-long-passphrase",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert here.get(reverse(PAGE)).status_code == HTTPStatus.OK
    assert_sent_to_sign_in(elsewhere.get(reverse(PAGE)), reverse(PAGE))


def test_a_deactivated_member_of_staff_is_signed_out_everywhere(clinic):
    admin = ClinicianFactory(clinic=clinic, role="clinic_admin")
    therapist = ClinicianFactory(clinic=clinic)
    theirs = signed_in(therapist.user)
    assert theirs.get(reverse("prescriptions:caseload")).status_code == HTTPStatus.OK
    signed_in(admin.user).post(reverse("patients:staff_deactivate", args=[therapist.pk]))
    caseload = reverse("prescriptions:caseload")
    assert_sent_to_sign_in(theirs.get(caseload), caseload)


def test_an_inactive_users_existing_session_no_longer_authenticates(clinic):
    patient = PatientFactory(clinic=clinic, user=UserFactory())
    client = signed_in(patient.user)
    assert client.get(reverse(PAGE)).status_code == HTTPStatus.OK
    patient.user.is_active = False
    patient.user.save(update_fields=["is_active"])
    assert_sent_to_sign_in(client.get(reverse(PAGE)), reverse(PAGE))
