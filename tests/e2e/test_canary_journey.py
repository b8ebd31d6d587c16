"""The canary sweep in Chromium: a therapist registers a patient whose every free-text field is
a canary, screens, prescribes, invites and searches the caseload by surname; the patient sets a
password, signs in, logs a set with a comment-free safety answer and opens their history. No URL
the browser requested and no line the application logged may contain a canary, nor any e-mail
sent on the way."""

import re

import pytest
from django.core import mail
from django.core.management import call_command

from tests.canaries import Canaries, digits_canary, urls_in_text
from tests.e2e.test_journeys import log_a_set, sign_in, with_authenticator
from tests.factories import ClinicianFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_browser_journey_leaks_no_canary(live_server, browser, app_log, capsys):
    call_command("seed_catalog", verbosity=0)
    ClinicianFactory(user=with_authenticator(UserFactory(username="pt")))
    canaries = Canaries()
    requested: list[str] = []
    mail.outbox = []

    desk = browser.new_context().new_page()
    desk.on("request", lambda request: requested.append(request.url))
    sign_in(desk, live_server.url, "pt")
    desk.get_by_role("link", name="New patient").click()
    desk.get_by_label("First name").fill(canaries.add("patient.first_name"))
    desk.get_by_label("Last name").fill(canaries.add("patient.last_name"))
    desk.get_by_label("Date of birth").fill("1968-09-12")
    email = f"{canaries.add('patient.email_local_part')}@example.com"
    desk.get_by_label("Email").fill(email)
    desk.get_by_label("Phone").fill(canaries.add("patient.phone", digits_canary()))
    desk.get_by_label("Timezone").select_option("Europe/London")
    desk.get_by_role("button", name="Continue to intake").click()
    for select in desk.locator("select.odi-answer").all():
        select.select_option("2")
    for radio in desk.locator("input[type=radio][value=no]").all():
        radio.check()
    desk.locator("input[name=baseline_level_left][value='2']").check()
    desk.locator("input[name=baseline_level_right][value='0']").check()
    desk.locator("textarea[name=notes]").fill(canaries.add("intake.notes"))
    desk.locator("textarea[name=plan_note]").fill(canaries.add("intake.plan_note"))
    desk.get_by_role("button", name="Save intake and choose the programme").click()
    desk.get_by_label("Reminder times (patient's local time)").fill("08:00")
    desk.get_by_role("button", name="Start the programme").click()
    desk.get_by_role("alert").get_by_text("Programme started").wait_for()
    desk.get_by_role("button", name="Send invitation").click()
    desk.get_by_role("alert").get_by_text("Invitation sent").wait_for()

    # The caseload search by surname, through the page's own form.
    desk.goto(f"{live_server.url}/pt/")
    desk.get_by_placeholder("Search by name").fill(canaries.by_field["patient.last_name"])
    desk.get_by_role("button", name="Filter").click()
    desk.get_by_role("link", name=re.compile(canaries.by_field["patient.last_name"])).wait_for()

    (invitation,) = [m for m in mail.outbox if email in m.to]
    link = urls_in_text(invitation.body)[0]
    phone = browser.new_context(viewport={"width": 375, "height": 812}).new_page()
    phone.on("request", lambda request: requested.append(request.url))
    phone.goto(live_server.url + re.sub(r"^https?://[^/]+", "", link))
    phone.locator("#id_new_password1").fill("a-strong-canary-pass-42")
    phone.locator("#id_new_password2").fill("a-strong-canary-pass-42")
    phone.get_by_role("button", name="Set password").click()
    sign_in(phone, live_server.url, email.lower(), "a-strong-canary-pass-42")
    phone.get_by_text("Hello").wait_for()
    log_a_set(phone, live_server.url)
    phone.get_by_text("Saved").wait_for()
    phone.goto(f"{live_server.url}/me/history/")
    phone.locator("#history-chart").wait_for()

    for message in mail.outbox:
        canaries.scan("e-mails", "subject and body", f"{message.subject}\n{message.body}")
        canaries.scan_urls("link in an e-mail", urls_in_text(message.body))
    canaries.scan_urls("URL the browser requested", requested)
    canaries.scan_log("application log", app_log.read_text())
    with capsys.disabled():
        print("\n" + canaries.report() + " (Chromium journey)")
    assert canaries.found == []
    assert canaries.scanned["URLs"] > 20
    assert canaries.scanned["log lines"] > 0
