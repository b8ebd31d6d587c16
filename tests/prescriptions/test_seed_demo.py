"""The demo clinic is made by the real services and seeding it twice changes nothing."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.http import HttpRequest

from patients.models import Patient
from prescriptions.demo import demo_totp_key_base32
from prescriptions.models import Alert, Prescription, RuleEvaluation, StageTransition

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    labels = ("patients", "exercises", "prescriptions")
    return {
        model._meta.label: model.objects.count()
        for label in labels
        for model in apps.get_app_config(label).get_models()
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module (it takes seconds), then empty the database again."""
    with django_db_blocker.unblock():
        call_command("seed_catalog", verbosity=0)
        call_command("seed_demo", verbosity=0)
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_seeding_twice_gives_the_same_row_counts(seeded):
    first = row_counts()
    call_command("seed_catalog", verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert row_counts() == first
    assert first["patients.Patient"] == 12


def test_demo_history_is_the_rules_own_output(seeded):
    assert RuleEvaluation.objects.count() > 300
    assert RuleEvaluation.objects.filter(rules_version="").count() == 0
    # every stage change and alert points back at a stored evaluation or a therapist
    assert (
        not StageTransition.objects.filter(evaluation__isnull=True, actor__isnull=True)
        .exclude(kind="start")
        .exists()
    )
    assert not Alert.objects.filter(evaluation__isnull=True).exists()


def test_demo_covers_the_clinical_stories(seeded):
    def programme(last_name: str) -> Prescription:
        return Prescription.objects.get(patient__last_name=last_name)

    morgan = programme("Morgan")  # progressing normally, each step approved by the therapist
    advances = morgan.transitions.filter(kind="advance")
    assert morgan.current_stage >= 2
    assert advances.count() == morgan.current_stage - 1
    assert not advances.filter(actor__isnull=True).exists()
    assert Patient.objects.get(last_name="Morgan").user.username == "patient"
    assert programme("Shah").current_stage == 1  # held
    assert programme("Gallagher").transitions.filter(kind="regress").exists()  # stepped back
    assert programme("Okafor").alerts.filter(kind="red_flag").exists()  # red flag
    assert programme("Okafor").status == "suspended"
    assert programme("Lewis").session_logs.latest("started_at").local_date < (
        programme("Morgan").session_logs.latest("started_at").local_date
    )  # stopped logging
    assert programme("Kowalski").alerts.filter(kind="advance_proposed", status="open").exists()


def test_demo_logins_work(client, seeded):
    for username in ("admin", "therapist", "therapist2", "patient"):
        assert client.login(request=HttpRequest(), username=username, password="stagewise-demo"), (
            username
        )
        assert client.get("/", follow=True).status_code == 200
        client.logout()


@pytest.mark.parametrize("username", ["admin", "therapist", "therapist2"])
def test_demo_staff_pass_the_second_step_with_the_printed_code(client, seeded, username):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert demo_totp_key_base32() in out.getvalue()
    client.post("/accounts/login/", {"username": username, "password": "stagewise-demo"})
    home = client.get("/")
    assert home.url.startswith("/accounts/two-step/?")
    code = io.StringIO()
    call_command("demo_code", username, stdout=code)
    response = client.post(home.url, {"token": code.getvalue().strip()})
    assert response.status_code == 302
    assert client.get(response.url, follow=True).status_code == 200
    assert client.session.get("otp_device_id")


def test_demo_code_refuses_accounts_outside_the_demo_clinic(seeded):
    from django.core.management.base import CommandError

    from tests.factories import ClinicianFactory

    ClinicianFactory(user__username="real-pt")
    with pytest.raises(CommandError):
        call_command("demo_code", "real-pt")
    with pytest.raises(CommandError):
        call_command("demo_code", "patient")
