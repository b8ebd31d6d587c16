"""The Content-Security-Policy in a real browser: each role's main pages load, run their scripts
and show their charts and previews without a single violation reported by Chromium."""

import base64

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from exercises.models import Protocol
from prescriptions.services import prescription_create
from tests.e2e.test_journeys import PASSWORD, sign_in
from tests.factories import ClinicianFactory, PatientFactory, UserFactory
from tests.prescriptions.conftest import at, good_days, make_intake

pytestmark = pytest.mark.django_db(transaction=True)

# A 1×1 PNG, chosen on the exercise form to exercise the blob: preview.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def watch_policy(page) -> list[str]:
    """Console errors and uncaught exceptions (Chromium reports each CSP violation as a console
    error starting "Refused to …"), plus every securitypolicyviolation event the page fires.
    The one error left out is the admin's request for /favicon.ico, which has no route."""
    problems: list[str] = []

    def on_console(msg) -> None:
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{msg.text} ({msg.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return problems


@pytest.fixture
def world():
    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    therapist = ClinicianFactory(user=UserFactory(username="pt"))
    ClinicianFactory(
        clinic=therapist.clinic, role="clinic_admin", user=UserFactory(username="boss")
    )
    patient = PatientFactory(
        clinic=therapist.clinic, primary_clinician=therapist, user=UserFactory(username="pat")
    )
    make_intake(therapist, patient)
    prescription_create(clinician=therapist, patient=patient, protocol=protocol, now=at(0, 8))
    good_days(patient, 0, 2)
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    return {"patient": patient}


def visit_all(page, base_url: str, username: str, paths: list[str]) -> list[str]:
    """Sign in and open each page; returns the paths visited (each must answer 200)."""
    sign_in(page, base_url, username)
    for path in paths:
        response = page.goto(base_url + path)
        assert response is not None
        assert response.status == 200, path
        page.wait_for_load_state("load")
    return paths


def test_every_roles_main_pages_load_without_a_policy_violation(live_server, browser, world):
    patient = world["patient"]
    pages = {
        "pat": ["/me/", "/me/morning/", "/me/log/", "/me/history/", "/me/reminders/"],
        "pt": [
            "/pt/",
            "/pt/alerts/",
            f"/pt/patients/{patient.public_id}/",
            f"/pt/patients/{patient.public_id}/prescribe/",
            f"/pt/patients/{patient.public_id}/intake/",
            "/pt/patients/new/",
            "/catalog/",
            "/catalog/protocols/",
            "/accounts/password_change/",
        ],
        "boss": [
            "/clinic/staff/",
            "/clinic/rules/",
            "/catalog/exercises/new/",
            "/catalog/protocols/new/",
        ],
        "root": [
            "/admin/",
            "/admin/patients/patient/",
            f"/admin/patients/patient/{patient.pk}/change/",
        ],
    }
    visited = 0
    for username, paths in pages.items():
        context = browser.new_context()
        page = context.new_page()
        problems = watch_policy(page)
        visited += len(visit_all(page, live_server.url, username, paths))
        if username == "boss":
            page.goto(f"{live_server.url}/catalog/exercises/new/")
            page.set_input_files(
                "#id_illustration",
                files=[{"name": "pixel.png", "mimeType": "image/png", "buffer": PIXEL}],
            )
            preview = page.locator("#illustration-preview")
            preview.wait_for(state="visible")
            assert preview.get_attribute("src").startswith("blob:")
        if username == "pat":
            page.goto(f"{live_server.url}/me/history/")
            page.locator("canvas").first.wait_for(state="visible")
        context.close()
        assert problems == [], (username, problems)
    print(f"content policy: {visited} pages visited in Chromium, no violation")


def test_an_inline_script_is_refused_and_reported(live_server, page):
    """The watcher above sees violations: an inline script added to a live page is blocked and
    reported."""
    problems = watch_policy(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ranInline = true'; document.body.appendChild(s); }"
    )
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.ranInline === undefined")
    assert any("Content Security Policy" in p or "CSP violation" in p for p in problems), problems
