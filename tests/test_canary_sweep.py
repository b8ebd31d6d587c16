"""No PHI where it leaks: unique canary strings go into every free-text patient field, the main
flows run (therapist, patient, admin, reminders by e-mail and text, the urgent notice, the PT
digest, a password reset), and not one canary may appear in the application's log, in any e-mail
subject or body, in any text message, or in any URL the app requested, rendered or redirected to.
"""

import datetime as dt
import logging
import re
import uuid
from http import HTTPStatus
from pathlib import Path

import pytest
import sms
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from exercises.models import Protocol
from patients.models import Intake, Patient
from patients.red_flags import INTAKE_QUESTIONS
from prescriptions.forms import OVERRIDABLE
from prescriptions.models import Alert, OutboxMessage, Reminder, SessionLog
from prescriptions.services.digests import pt_digests_write
from prescriptions.services.reminders import slot_instant
from prescriptions.tasks import reminders_dispatch_task
from tests.canaries import Canaries, urls_in_html, urls_in_text
from tests.factories import ClinicianFactory

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


@pytest.fixture
def app_log(tmp_path: Path):
    """Every record the application logs, at the configured levels, written to a file (what
    ``LOG_FILE`` does in production)."""
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield path
    root.removeHandler(handler)
    handler.close()


def intake_answers(canaries: Canaries) -> dict[str, str]:
    answers = {f"odi_{i}": "2" for i in range(10)}
    answers |= {f"flag_{q.key}": "no" for q in INTAKE_QUESTIONS}
    answers |= {"baseline_pain": "4", "baseline_level_left": "2", "baseline_level_right": "0"}
    answers["notes"] = canaries.add("intake.notes")
    answers["plan_note"] = canaries.add("intake.plan_note")
    return answers


def settings_answers(*, channel: str) -> dict[str, str | list[str]]:
    return {
        "timezone": ZONE,
        "pause_days": "0",
        "consent": "on",
        "channel": channel,
        "reminded_times": ["08:00"],
    }


def session_answers(**changes: str) -> dict[str, str]:
    answers = {
        "idempotency_key": str(uuid.uuid4()),
        "started_minutes_ago": "5",
        "reps_done": "10",
        "pain_pre": "2",
        "pain_during_max": "2",
        "pain_post": "2",
        "level_pre_left": "2",
        "level_pre_right": "0",
        "level_post_left": "2",
        "level_post_right": "0",
        "ease": "EASY",
        "neuro_change": "NONE",
        "ces_saddle": "False",
        "ces_bladder": "False",
        "ces_bowel": "False",
        "ces_legs": "False",
    }
    answers.update(changes)
    return answers


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
        desk.post(reverse("patients:intake", args=[patient.public_id]), intake_answers(canaries)),
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
    assert phone.login(username=email.lower(), password=PASSWORD)
    ok(phone.get(reverse("home"), follow=True))
    ok(
        phone.post(
            reverse("prescriptions:reminder_settings"),
            settings_answers(channel="email"),
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
            settings_answers(channel="sms"),
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
