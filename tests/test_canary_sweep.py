"""No PHI where it leaks: unique canary strings go into every free-text patient field, the main
flows run (therapist, patient, admin, reminders by e-mail and text, the urgent notice, the PT
digest, a password reset), and not one canary may appear in the application's log, in any e-mail
subject or body, in any text message, or in any URL the app requested, rendered or redirected to.
"""

import datetime as dt
import email
import email.policy
import re
import time
import uuid
from http import HTTPStatus

import pytest
import sms
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.celery_app import app as celery_app
from exercises.models import Protocol
from patients.models import Intake, Patient
from prescriptions.forms import OVERRIDABLE
from prescriptions.models import (
    Alert,
    OutboxMessage,
    Prescription,
    Reminder,
    SessionLog,
    StatusChange,
    ThresholdOverride,
)
from prescriptions.services import prescription_create
from prescriptions.services.digests import pt_digests_write
from prescriptions.services.reminders import slot_instant
from prescriptions.tasks import reminders_dispatch_task
from tests.canaries import Canaries, urls_in_html, urls_in_text
from tests.conftest import totp_code
from tests.factories import ClinicianFactory, PatientFactory, UserFactory
from tests.patients.test_views import intake_answers
from tests.prescriptions.conftest import make_intake, set_answers
from tests.prescriptions.test_reminder_channels import settings_answers
from tests.production_server import ProductionServer, ProductionWorker, ProxiedVisitor

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-patient-password-1"
ZONE = "Europe/London"


class RecordingClient(Client):
    """A test client that keeps every URL it requested, was redirected to or saw in a page."""

    def __init__(self, urls: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    def request(self, **request):
        response = super().request(**request)
        query = request.get("QUERY_STRING", "")
        self.urls.append(request["PATH_INFO"] + (f"?{query}" if query else ""))
        if response.has_header("Location"):
            self.urls.append(response["Location"])
        if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
            self.urls.extend(urls_in_html(response.content.decode()))
        return response


def ok(response, *expected: int) -> None:
    expected = expected or (HTTPStatus.OK, HTTPStatus.FOUND)
    assert response.status_code in expected, response.content.decode()[:3000]


def canary_intake_answers(canaries: Canaries) -> dict[str, str]:
    """The intake form's answers, with canaries in its two free-text notes."""
    return intake_answers(
        baseline_level_left="2",
        notes=canaries.add("intake.notes"),
        plan_note=canaries.add("intake.plan_note"),
    )


def session_answers(**changes: str) -> dict[str, str]:
    """A quiet set's answers (as the patient's phone posts them), with ``changes``."""
    return set_answers(uuid.uuid4(), **changes)


def test_no_canary_in_logs_emails_texts_or_urls(app_log, django_user_model, capsys):
    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    therapist = ClinicianFactory()
    canaries = Canaries()
    urls: list[str] = []
    sms.outbox = []
    mail.outbox = []

    # --- The therapist registers, screens, prescribes and invites --------------------------
    desk = RecordingClient(urls)
    desk.force_login(therapist.user)
    ok(desk.get(reverse("prescriptions:caseload")))
    email = f"{canaries.add('patient.email_local_part')}@example.com"
    ok(
        desk.post(
            reverse("patients:patient_new"),
            {
                "first_name": canaries.add("patient.first_name"),
                "last_name": canaries.add("patient.last_name"),
                "date_of_birth": "1971-05-06",
                "email": email,
                "phone": canaries.add("patient.phone", "+44" + str(uuid.uuid4().int)[:10]),
                "timezone": ZONE,
            },
        ),
        HTTPStatus.FOUND,
    )
    patient = Patient.objects.get(last_name=canaries.by_field["patient.last_name"])
    ok(desk.get(reverse("patients:intake", args=[patient.public_id])))
    ok(
        desk.post(
            reverse("patients:intake", args=[patient.public_id]), canary_intake_answers(canaries)
        ),
        HTTPStatus.FOUND,
    )
    assert Intake.objects.get(patient=patient).notes == canaries.by_field["intake.notes"]
    ok(desk.get(reverse("prescriptions:prescribe", args=[patient.public_id])))
    ok(
        desk.post(
            reverse("prescriptions:prescribe", args=[patient.public_id]),
            {
                "protocol": protocol.pk,
                "start_stage": "1",
                "reminder_times": "08:00",
                "nudge_time": "",
            },
        ),
        HTTPStatus.FOUND,
    )
    ok(desk.post(reverse("patients:invite", args=[patient.public_id])), HTTPStatus.FOUND)

    # --- The patient follows the invitation, sets a password and signs in ------------------
    (invitation,) = [m for m in mail.outbox if email in m.to]
    link = urls_in_text(invitation.body)[0]
    phone = RecordingClient(urls)
    form_page = phone.get(re.sub(r"^https?://[^/]+", "", link), follow=True)
    ok(form_page)
    ok(
        phone.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": PASSWORD, "new_password2": PASSWORD},
        ),
        HTTPStatus.FOUND,
    )
    ok(phone.post(reverse("login"), {"username": email.lower(), "password": PASSWORD}), 302)
    ok(phone.get(reverse("home"), follow=True))
    ok(
        phone.post(
            reverse("prescriptions:reminder_settings"),
            settings_answers(timezone=ZONE, channel="email", reminded_times=["08:00"]),
        ),
        HTTPStatus.FOUND,
    )
    # --- Reminders by e-mail, then by text message --------------------------------------------
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert reminders_dispatch_task(now_iso=slot_instant(tomorrow, "08:00", ZONE).isoformat()) == {
        "due": 1,
        "created": 1,
        "already_existed": 0,
        "skipped": 0,
    }
    ok(
        phone.post(
            reverse("prescriptions:reminder_settings"),
            settings_answers(timezone=ZONE, channel="sms", reminded_times=["08:00"]),
        ),
        HTTPStatus.FOUND,
    )
    after = tomorrow + dt.timedelta(days=1)
    assert reminders_dispatch_task(now_iso=slot_instant(after, "08:00", ZONE).isoformat()) == {
        "due": 1,
        "created": 1,
        "already_existed": 0,
        "skipped": 0,
    }
    sent = Reminder.objects.filter(status=Reminder.Status.SENT)
    assert set(sent.values_list("channel", flat=True)) == {"email", "sms"}

    # --- A safety answer: the urgent notice, the PT's alert queue and digest -----------------
    ok(
        phone.post(
            reverse("prescriptions:morning_check"),
            {"pain": "3", "level_left": "2", "level_right": "0", "stiffness_vs_usual": "SAME"},
        ),
        HTTPStatus.FOUND,
    )
    ok(phone.get(reverse("prescriptions:session_log")))

    ok(
        phone.post(reverse("prescriptions:session_log"), session_answers(ces_saddle="True")),
        HTTPStatus.FOUND,
    )
    ok(phone.get(reverse("prescriptions:history")))
    # A comment on the logged set (the field exists; the phone form does not ask for it yet).
    first_log = SessionLog.objects.get(prescription__patient=patient)
    first_log.note = canaries.add("session_log.note")
    first_log.save(update_fields=["note"])
    red_flag = Alert.objects.get(prescription__patient=patient, kind=Alert.Kind.RED_FLAG)
    assert OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.URGENT_PT_NOTICE, status=OutboxMessage.Status.SENT
    ).exists()
    digest_at = slot_instant(after + dt.timedelta(days=1), "09:00", therapist.clinic.timezone)
    assert pt_digests_write(now=digest_at).written == 1
    ok(desk.get(reverse("prescriptions:alert_queue")))
    ok(desk.get(reverse("prescriptions:patient_detail", args=[patient.public_id])))
    ok(
        desk.post(
            reverse("prescriptions:alert_action", args=[red_flag.pk, "clear"]),
            {"reason": canaries.add("alert.clear_reason")},
        ),
        HTTPStatus.FOUND,
    )
    ok(
        desk.post(
            reverse("prescriptions:threshold_override", args=[patient.public_id]),
            {
                "parameter": OVERRIDABLE[0][0],
                "value": "3",
                "reason": canaries.add("override.reason"),
            },
        )
    )
    for to_status, field in (("paused", "pause"), ("active", "resume")):
        ok(
            desk.post(
                reverse("prescriptions:status_change", args=[patient.public_id]),
                {"to_status": to_status, "reason": canaries.add(f"status_change.{field}")},
            ),
            HTTPStatus.FOUND,
        )
    # Each of those posts stored its canary, so "no canary found" below means something.
    red_flag.refresh_from_db()
    assert red_flag.resolution_reason == canaries.by_field["alert.clear_reason"]
    assert ThresholdOverride.objects.filter(
        prescription__patient=patient, reason=canaries.by_field["override.reason"]
    ).exists()
    assert {
        canaries.by_field["status_change.pause"],
        canaries.by_field["status_change.resume"],
    } <= set(
        StatusChange.objects.filter(prescription__patient=patient).values_list("reason", flat=True)
    )
    # The caseload search by surname, as the page's form sends it.
    search = {"q": canaries.by_field["patient.last_name"], "everyone": "on"}
    ok(desk.post(reverse("prescriptions:caseload"), search), HTTPStatus.FOUND)
    found = desk.get(reverse("prescriptions:caseload"), {"everyone": "on", "page": "1"})
    assert str(patient.public_id) in found.content.decode()
    ok(desk.get(reverse("prescriptions:patient_detail", args=[patient.public_id])))

    # --- The site superuser opens the record in the admin; the patient resets a password -----
    admin = RecordingClient(urls)
    admin.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    ok(admin.get(reverse("admin:patients_patient_changelist")))
    ok(admin.get(reverse("admin:patients_patient_change", args=[patient.pk])))
    ok(admin.get(reverse("admin:patients_intake_changelist")))
    ok(admin.get(reverse("admin:prescriptions_sessionlog_changelist")))
    visitor = RecordingClient(urls)
    ok(visitor.post(reverse("password_reset"), {"email": email}), HTTPStatus.FOUND)
    ok(visitor.post(reverse("login"), {"username": email, "password": "wrong"}))

    # --- The sweep ---------------------------------------------------------------------------
    for message in mail.outbox:
        alternatives = " ".join(str(body) for body, _ in getattr(message, "alternatives", []))
        canaries.scan("e-mails", f"to {len(message.to)}", message.subject)
        canaries.scanned["e-mails"] -= 1  # one e-mail, its subject and body counted once
        canaries.scan("e-mails", "body", message.body + alternatives)
        canaries.scan_urls("link in an e-mail", urls_in_text(message.body + alternatives))
    for text in sms.outbox:
        canaries.scan("text messages", "body", text.body)
        canaries.scan_urls("link in a text message", urls_in_text(text.body))
    canaries.scan_urls("request, redirect or page link", urls)
    canaries.scan_log("application log", app_log.read_text())
    with capsys.disabled():
        print("\n" + canaries.report())
    assert canaries.found == []
    kinds = {m.subject for m in mail.outbox}
    assert len(kinds) >= 5, kinds  # invitation, reminder, urgent notice, digest, reset
    assert canaries.scanned["text messages"] >= 1
    assert canaries.scanned["log lines"] > 0


def test_the_scanner_finds_a_canary_however_it_is_written():
    canaries = Canaries()
    name = canaries.add("patient.last_name")
    number = canaries.add("patient.phone", "+44123456789012")
    canaries.scan_log("log", f"INFO x looked up {name.lower()}\nINFO y nothing")
    canaries.scan_urls("url", [f"/pt/?q={name}", "/pt/?q=%2B44123456789012", "/pt/"])
    canaries.scan("e-mails", "body", f"Call 44123456789012 about {number}")
    assert len(canaries.found) == 4, canaries.found
    assert canaries.scanned == {"log lines": 2, "e-mails": 1, "text messages": 0, "URLs": 3}


@pytest.fixture
def production(tmp_path):
    """gunicorn and a Celery worker with the production settings, on the test database and
    the configured Redis, each writing its own log file and LOG_FILE."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    extra_env = {"LOG_FILE": str(tmp_path / "web-app.log"), "EMAIL_URL": f"filemail:///{mail_dir}"}
    server = ProductionServer(tmp_path, extra_env=extra_env)
    server.start()
    worker_env = {**server.env, "LOG_FILE": str(tmp_path / "worker-app.log")}
    worker = ProductionWorker(worker_env, tmp_path / "worker.log").start()
    yield server, worker
    worker.stop()
    server.stop()


@pytest.fixture
def queued_tasks():
    """Tasks the test queues go through the broker to the worker, not run in this process."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager


def wait_for(condition, worker: ProductionWorker, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.alive(), worker.log_text()
        assert time.monotonic() < deadline, f"{what} did not happen:\n{worker.log_text()}"
        time.sleep(0.25)  # polling the database for the worker's result


def production_user(username: str):
    """A user whose password production can check (the test settings hash with MD5)."""
    user = UserFactory(username=username)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


@pytest.mark.postgres
@pytest.mark.redis
def test_no_canary_in_the_web_servers_or_the_workers_logs(production, queued_tasks, capsys):
    """The same sweep on real processes: gunicorn serves the therapist and the patient through
    the proxy, the worker relays the urgent notice and sends a reminder (e-mail written to files,
    scanned like the others); every line of gunicorn's, the worker's and both LOG_FILEs is
    scanned."""
    server, worker = production
    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.get(slug="lumbar-flexion-progression")
    canaries = Canaries()
    therapist = ClinicianFactory(user=production_user("pt"))
    device = TOTPDevice.objects.create(user=therapist.user, name="phone", confirmed=True)
    patient = PatientFactory(
        clinic=therapist.clinic,
        primary_clinician=therapist,
        first_name=canaries.add("patient.first_name"),
        last_name=canaries.add("patient.last_name"),
        email=f"{canaries.add('patient.email_local_part')}@example.com",
        phone=canaries.add("patient.phone", "+44" + str(uuid.uuid4().int)[:10]),
        timezone=ZONE,
        user=production_user("pat"),
    )
    make_intake(
        therapist,
        patient,
        notes=canaries.add("intake.notes"),
        plan_note=canaries.add("intake.plan_note"),
        now=timezone.now() - dt.timedelta(days=1),
    )
    prescription = prescription_create(
        clinician=therapist, patient=patient, protocol=protocol, now=timezone.now()
    )
    prescription.reminder_consent = True
    prescription.reminder_times = ["08:00"]
    prescription.save(update_fields=["reminder_consent", "reminder_times"])

    desk = ProxiedVisitor(server)
    desk.sign_in("pt", PASSWORD, code=lambda: totp_code(device))
    search = {"q": canaries.by_field["patient.last_name"], "everyone": "on"}
    assert desk.submit("/pt/", search).status == HTTPStatus.FOUND
    assert str(patient.public_id) in desk.get("/pt/?everyone=on").body
    assert desk.get(f"/pt/patients/{patient.public_id}/").status == HTTPStatus.OK

    phone = ProxiedVisitor(server)
    phone.sign_in("pat", PASSWORD)
    assert phone.get("/me/").status == HTTPStatus.OK
    logged = phone.submit("/me/log/", session_answers(ces_saddle="True"))
    assert logged.status == HTTPStatus.FOUND, logged.body[:2000]
    assert phone.get(logged.headers["Location"]).status == HTTPStatus.OK
    assert desk.get("/pt/alerts/").status == HTTPStatus.OK

    notice = OutboxMessage.objects.get(kind=OutboxMessage.Kind.URGENT_PT_NOTICE)
    wait_for(
        lambda: OutboxMessage.objects.get(pk=notice.pk).status == OutboxMessage.Status.SENT,
        worker,
        "the urgent notice",
    )
    # The red flag suspended the programme; a reminder needs an active one.
    Prescription.objects.filter(pk=prescription.pk).update(status=Prescription.Status.ACTIVE)
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    reminders_dispatch_task.delay(slot_instant(tomorrow, "08:00", ZONE).isoformat())
    wait_for(
        lambda: Reminder.objects.filter(status=Reminder.Status.SENT).exists(),
        worker,
        "the reminder",
    )
    worker.stop()
    server.stop()

    canaries.scan_urls("gunicorn request or redirect", desk.paths + phone.paths)
    app_logs = sorted(server.tmp_path.glob("*-app.log"))
    assert app_logs, "no LOG_FILE was written: the sweep would read nothing of the app's logs"
    for path in (server.log_path, worker.log_path, *app_logs):
        canaries.scan_log(path.name, path.read_text(errors="replace"))
    for path in sorted((server.tmp_path / "mail").iterdir()):
        for raw in path.read_bytes().split(b"-" * 79):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            canaries.scan("e-mails", path.name, f"{message['Subject']}\n{text}")
            canaries.scan_urls("link in an e-mail", urls_in_text(text))
    assert canaries.scanned["e-mails"] >= 2  # the urgent notice and the reminder
    worker_lines = worker.log_text()
    assert re.search(r"reminder.* sent", worker_lines), worker_lines
    assert "GET /pt/patients/" in server.log_text()  # the access log is among the lines
    with capsys.disabled():
        print("\n" + canaries.report() + " (gunicorn, Celery worker, LOG_FILEs)")
    assert canaries.found == []
