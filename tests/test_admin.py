"""Every model is in the admin, and every admin page a superuser can reach renders."""

from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("patients", "exercises", "prescriptions")
# Records of what happened: made only by the services (rules, audit), never typed into the admin.
READ_ONLY = {
    "thresholdoverride",
    "sessionlog",
    "morningcheck",
    "ruleevaluation",
    "stagetransition",
    "statuschange",
    "alert",
    "reminder",
    "outboxmessage",
}
REGISTERED = [
    model
    for model in admin.site._registry
    if model._meta.app_label in PROJECT_APPS or model._meta.app_label == "auth"
]


def admin_url(model, page: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")


def test_every_project_model_is_registered():
    models = [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]
    missing = [m.__name__ for m in models if m not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_answers_200(client, superuser, model):
    client.force_login(superuser)
    assert client.get(admin_url(model, "changelist")).status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_add_page_answers_200_unless_the_record_is_read_only(client, superuser, model):
    client.force_login(superuser)
    response = client.get(admin_url(model, "add"))
    if model._meta.model_name in READ_ONLY:
        assert response.status_code == HTTPStatus.FORBIDDEN
    else:
        assert response.status_code == HTTPStatus.OK


def test_changelist_with_seeded_rows_answers_200(client, superuser):
    from django.core.management import call_command

    call_command("seed_catalog", verbosity=0)
    client.force_login(superuser)
    for model in REGISTERED:
        assert client.get(admin_url(model, "changelist")).status_code == HTTPStatus.OK


def test_patient_cannot_be_deleted_in_the_admin(client, superuser, patient):
    client.force_login(superuser)
    url = reverse("admin:patients_patient_delete", args=[patient.pk])
    assert client.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    patient.refresh_from_db()
