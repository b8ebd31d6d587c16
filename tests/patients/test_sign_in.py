"""Guessing passwords: five wrong ones lock that username out from that address for a quarter
of an hour (never for good); an address sending a flood of attempts gets 429 before any password
hash is computed, while signed-in people keep working."""

import datetime as dt
import time
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from tests.factories import ClinicianFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
RIGHT = "stagewise-test"


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting every hash it computes (checking a password computes one)."""

    computed = 0

    def encode(self, password, salt):
        CountingHasher.computed += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.patients.test_sign_in.CountingHasher"]
    CountingHasher.computed = 0
    return CountingHasher


def sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def signed_in_as(client: Client) -> int | None:
    return client.session.get("_auth_user_id") and int(client.session["_auth_user_id"])


@pytest.fixture
def patient_user(clinic):
    return PatientFactory(clinic=clinic, user=UserFactory(username="pat")).user


def test_the_sixth_wrong_password_is_refused_and_the_lock_lifts_after_the_cool_off(
    patient_user,
):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert sign_in(client, "pat", "wrong").status_code == HTTPStatus.OK
        fifth = sign_in(client, "pat", "wrong")
        assert fifth.status_code == HTTPStatus.TOO_MANY_REQUESTS
        sixth = sign_in(client, "pat", "wrong")
        assert sixth.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert "Try again in 15 minutes" in sixth.content.decode()
        assert sixth["Retry-After"] == str(15 * 60)
        # The right password is refused while the lock holds…
        assert sign_in(client, "pat", RIGHT).status_code == HTTPStatus.TOO_MANY_REQUESTS
        clock.shift(dt.timedelta(minutes=14))
        assert sign_in(client, "pat", RIGHT).status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert signed_in_as(client) is None
        # …and accepted once the cool-off has passed.
        clock.shift(dt.timedelta(minutes=1, seconds=1))
        response = sign_in(client, "pat", RIGHT)
        assert response.status_code == HTTPStatus.FOUND
        assert signed_in_as(client) == patient_user.pk


def test_a_lockout_holds_one_username_from_one_address_only(patient_user, clinic):
    colleague = ClinicianFactory(clinic=clinic, user=UserFactory(username="pt-colleague")).user
    with time_machine.travel(T0, tick=False):
        attacker = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            sign_in(attacker, "pat", "wrong")
        assert sign_in(Client(), "pat", RIGHT).status_code == HTTPStatus.TOO_MANY_REQUESTS
        # Another person at the same address still signs in…
        same_address = Client()
        assert sign_in(same_address, "pt-colleague", RIGHT).status_code == HTTPStatus.FOUND
        assert signed_in_as(same_address) == colleague.pk
        # …and so does the locked-out person from somewhere else.
        at_home = Client()
        assert sign_in(at_home, "pat", RIGHT, ip="198.51.100.9").status_code == HTTPStatus.FOUND
        assert signed_in_as(at_home) == patient_user.pk


def test_a_right_password_clears_the_count_of_wrong_ones(patient_user):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            sign_in(Client(), "pat", "wrong")
        assert sign_in(Client(), "pat", RIGHT).status_code == HTTPStatus.FOUND
        clock.shift(dt.timedelta(minutes=2))  # a new rate-limit window
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert sign_in(Client(), "pat", "wrong").status_code == HTTPStatus.OK


def test_a_burst_of_wrong_logins_is_answered_429_without_hashing_while_staff_keep_working(
    counting_hasher, clinic
):
    therapist = ClinicianFactory(clinic=clinic)
    PatientFactory(clinic=clinic, primary_clinician=therapist)
    dashboard = Client()
    dashboard.force_login(therapist.user)
    limit = int(settings.STAGEWISE_SIGN_IN_RATE.split("/")[0])
    statuses, limited_seconds = [], []
    with time_machine.travel(T0, tick=False):
        counting_hasher.computed = 0
        attacker = Client()
        for number in range(50):
            # A spray over many usernames, so no single one is locked out by django-axes.
            started = time.perf_counter()
            response = sign_in(attacker, f"guess{number}", "wrong")
            statuses.append(response.status_code)
            if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
                limited_seconds.append(time.perf_counter() - started)
            if number == 25:
                started = time.perf_counter()
                page = dashboard.get(reverse("prescriptions:caseload"))
                assert page.status_code == HTTPStatus.OK
                assert time.perf_counter() - started < 1.0
        hashes = counting_hasher.computed
    assert statuses[:limit] == [HTTPStatus.OK] * limit
    assert statuses[limit:] == [HTTPStatus.TOO_MANY_REQUESTS] * (50 - limit)
    # One hash per attempt let through (a missing user is hashed too, against timing attacks);
    # none for the limited ones.
    assert hashes == limit
    assert max(limited_seconds) < 0.5
    assert "Wait a minute" in response.content.decode()


def test_the_rate_limit_resets_the_next_minute(patient_user):
    limit = int(settings.STAGEWISE_SIGN_IN_RATE.split("/")[0])
    with time_machine.travel(T0, tick=False) as clock:
        for number in range(limit):
            sign_in(Client(), f"guess{number}", "wrong")
        assert sign_in(Client(), "pat", RIGHT).status_code == HTTPStatus.TOO_MANY_REQUESTS
        clock.shift(dt.timedelta(minutes=1))
        assert sign_in(Client(), "pat", RIGHT).status_code == HTTPStatus.FOUND


def test_the_admin_sign_in_page_is_the_same_guarded_page():
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('login')}?next=/admin/"
