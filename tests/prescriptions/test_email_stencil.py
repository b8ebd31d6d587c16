"""E-mail stencils: a batch's headers rendered once by Django, each copy byte for byte what
Django would have built for it, and an ordinary EmailMessage whenever that cannot be promised."""

import copy
import email
import email.policy
import io
import re
import string
from unittest import mock

import pytest
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from prescriptions.services.delivery import EmailStencil, EmailStencils, email_deliver

SUBJECT = "Time for your exercise session"
BODY = "Hello,\n\nIt is time for your exercise session.\n\nOpen Stagewise: https://x.test/me/\n"


def wire(message: EmailMessage) -> bytes:
    """What Django's SMTP backend puts on the wire for ``message``."""
    return message.message().as_bytes(linesep="\r\n")


def django_built(message: EmailMessage, copied: bytes) -> bytes:
    """What Django itself builds for the same subject, body and recipient, stamped with the
    Date and Message-ID of ``copied``, the message's bytes (both differ on every build: the
    time, the process id and a random number), so the two can be compared byte for byte."""
    date = re.search(rb"^Date: ([^\r]+)\r\n", copied, re.MULTILINE)
    message_id = re.search(rb"^Message-ID: (?:\r\n )?(<[^>]+>)\r\n", copied, re.MULTILINE)
    assert date is not None
    assert message_id is not None
    stamps = {"Date": date[1].decode(), "Message-ID": message_id[1].decode()}
    return wire(EmailMessage(message.subject, message.body, to=message.to, headers=stamps))


plain_bodies = st.text(alphabet=string.ascii_letters + string.digits + " .,:;/?=&-_~'\"!\t\n")
# The Message-ID ends in this machine's name, so its length decides whether Django folds it:
# from "localhost" to a Kubernetes pod's name, 9 to 63 characters and more.
host_names = st.sampled_from(
    [
        "localhost",
        "ip-10-0-1-23.ec2.internal",
        "ip-172-31-40-7.eu-central-1.compute.internal",
        "stagewise-worker-7d9f8b6c5-x2k4q.stagewise.svc.cluster.local",
    ]
) | st.from_regex(r"[a-z][a-z0-9-]{0,62}(\.[a-z][a-z0-9-]{0,20}){0,3}", fullmatch=True)


@settings(max_examples=400, deadline=None)
@given(to=st.emails(), body=plain_bodies, host=host_names)
def test_a_copy_is_what_django_builds_or_is_built_by_django(to, body, host):
    with mock.patch.object(DNS_NAME, "_fqdn", host, create=True):
        stencil = EmailStencil(subject=SUBJECT)
        message = stencil.message(to=to, body=body)
        copied = wire(message)
        built = django_built(message, copied)

    assert stencil.usable

    assert (message.subject, message.body, message.to) == (SUBJECT, body, [to])
    assert copied == built  # whoever built it, stencil or Django, the bytes are Django's
    if stencil.copyable(to=to, body=body):
        assert type(message) is not EmailMessage
        assert copied == built
    else:
        assert type(message) is EmailMessage


@pytest.mark.parametrize("host", ["localhost", "stagewise-worker-7d9f8b6c5-x2k4q.svc.local"])
def test_message_ids_are_folded_as_django_folds_them(host):
    """Django folds a Message-ID that runs past 78 characters; the length varies with the
    time, the process id and a random number, so compare many copies."""
    with mock.patch.object(DNS_NAME, "_fqdn", host, create=True):
        stencil = EmailStencil(subject=SUBJECT)
        pairs = []
        for _ in range(200):
            message = stencil.message(to="robin@example.com", body=BODY)
            copied = wire(message)
            pairs.append((copied, django_built(message, copied)))

    folded = [copied for copied, _built in pairs if b"Message-ID: \r\n <" in copied]
    assert all(copied == built for copied, built in pairs)
    if len(host) > 30:
        assert len(folded) == len(pairs)  # each of them too long for one line
    else:
        assert folded == []


def test_a_plain_reminder_is_copied_with_its_own_stamps():
    stencil = EmailStencil(subject=SUBJECT)
    first = stencil.message(to="robin@example.com", body=BODY)
    second = stencil.message(to="alex.k+pt@clinic.example.org", body=BODY + "More.\n")

    assert type(first) is not EmailMessage  # the stencil made these, not Django
    for message in (first, second):
        assert (copied := wire(message)) == django_built(message, copied)
    parsed = [email.message_from_bytes(wire(m), policy=email.policy.SMTP) for m in (first, second)]
    assert [p["To"] for p in parsed] == ["robin@example.com", "alex.k+pt@clinic.example.org"]
    assert parsed[0]["Message-ID"] != parsed[1]["Message-ID"]
    assert all(p["Date"].datetime is not None for p in parsed)
    assert parsed[1].get_content() == (BODY + "More.\n").replace("\n", "\r\n")


@pytest.mark.parametrize(
    ("to", "body"),
    [
        ("zoë@example.com", BODY),  # a non-ASCII mailbox needs encoding
        ("robin@exämple.com", BODY),  # an international domain
        ('"Robin Lee"@example.com', BODY),  # a quoted local part
        ("a" * 65 + "@example.com", BODY),  # long enough to risk folding
        ("robin@example.com", "Grüße,\n" + BODY),  # a body Django sends as 8bit
        ("robin@example.com", "x" * 1000),  # a line Django must encode
        ("robin@example.com", "Hello\r\nthere"),  # a carriage return of its own
    ],
)
def test_anything_the_stencil_cannot_promise_is_built_by_django(to, body):
    stencil = EmailStencil(subject=SUBJECT)
    assert not stencil.copyable(to=to, body=body)
    assert type(stencil.message(to=to, body=body)) is EmailMessage


def test_a_subject_django_folds_is_copied_as_django_folded_it():
    long_subject = "Zeit für Ihre Übungen " * 6  # encoded and folded over several lines
    stencil = EmailStencil(subject=long_subject)
    message = stencil.message(to="robin@example.com", body=BODY)
    assert stencil.usable
    assert type(message) is not EmailMessage
    assert b"\r\n =?utf-8?" in wire(message)
    assert (copied := wire(message)) == django_built(message, copied)


@pytest.mark.parametrize(
    ("mail_settings", "stencilled"),
    [
        ({"EMAIL_USE_LOCALTIME": True, "TIME_ZONE": "Australia/Sydney"}, True),
        ({"DEFAULT_FROM_EMAIL": "Physiothérapie Rivière-Ouest <rappels@clinique.example>"}, True),
        (
            {"DEFAULT_FROM_EMAIL": "A long clinic name, Stagewise Physio <no-reply@example.org>"},
            True,
        ),
        ({"DEFAULT_CHARSET": "iso-8859-1"}, False),  # Django quotes-printable the body
    ],
)
def test_copies_follow_the_mail_settings_as_django_does(mail_settings, stencilled):
    with override_settings(**mail_settings):
        stencil = EmailStencil(subject=SUBJECT)
        message = stencil.message(to="robin@example.com", body=BODY)
        copied = wire(message)
        built = django_built(message, copied)
    assert copied == built
    assert (type(message) is not EmailMessage) == stencilled


def test_a_stencil_that_cannot_copy_builds_every_message_with_django():
    with override_settings(DEFAULT_CHARSET="utf-16"):  # Django would base64 the body
        stencil = EmailStencil(subject=SUBJECT)
        message = stencil.message(to="robin@example.com", body=BODY)
    assert not stencil.usable
    assert type(message) is EmailMessage


def test_the_copy_answers_questions_about_its_headers_and_can_be_copied():
    message = EmailStencil(subject=SUBJECT).message(to="robin@example.com", body=BODY)
    mime = message.message()
    assert (mime["To"], mime["Subject"]) == ("robin@example.com", SUBJECT)
    assert mime.get_payload().replace("\r\n", "\n") == BODY
    assert copy.deepcopy(mime).as_bytes() == mime.as_bytes()
    assert copy.deepcopy(message).message().as_bytes() == mime.as_bytes()


def test_a_short_encoded_subject_is_copied_as_django_encoded_it():
    stencil = EmailStencil(subject="Zeit für Übungen")
    message = stencil.message(to="robin@example.com", body=BODY)
    assert stencil.usable
    assert type(message) is not EmailMessage
    assert (copied := wire(message)) == django_built(message, copied)
    assert b"Subject: =?utf-8?" in wire(message)


def test_a_batch_keeps_one_stencil_per_subject():
    stencils = EmailStencils()
    a = stencils.message(subject="A", to="robin@example.com", body=BODY)
    b = stencils.message(subject="B", to="robin@example.com", body=BODY)
    again = stencils.message(subject="A", to="alex@example.com", body=BODY)
    assert [m.subject for m in (a, b, again)] == ["A", "B", "A"]
    assert len(stencils._by_subject) == 2


@pytest.mark.parametrize("backend", ["console", "filebased", "locmem"])
def test_other_backends_take_a_stencilled_message(backend, mailoutbox, tmp_path):
    stream = io.StringIO()
    options = {"console": {"stream": stream}, "filebased": {"file_path": tmp_path}}
    connection = get_connection(
        f"django.core.mail.backends.{backend}.EmailBackend", **options.get(backend, {})
    )
    email_deliver(
        subject=SUBJECT,
        body=BODY,
        to=["robin@example.com"],
        connection=connection,
        stencils=EmailStencils(),
    )
    connection.close()
    if backend == "locmem":
        assert [(m.to, m.subject, m.body) for m in mailoutbox] == [
            (["robin@example.com"], SUBJECT, BODY)
        ]
        return
    written = (
        stream.getvalue()
        if backend == "console"
        else "".join(path.read_text() for path in tmp_path.iterdir())
    )
    assert "To: robin@example.com" in written
    assert f"Subject: {SUBJECT}" in written
    assert "Open Stagewise: https://x.test/me/" in written


def test_a_stencilled_message_crosses_real_smtp_intact(smtp_sink):
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp_sink.port,
    ):
        connection = get_connection()
        stencils = EmailStencils()
        for address in ("robin@example.com", "robin@exämple.com"):  # copied; built by Django
            email_deliver(
                subject=SUBJECT, body=BODY, to=[address], connection=connection, stencils=stencils
            )
        connection.close()

    received = {
        recipients: email.message_from_bytes(content, policy=email.policy.default)
        for recipients, content in smtp_sink.messages()
    }
    assert set(received) == {("robin@example.com",), ("robin@xn--exmple-cua.com",)}
    for (address,), parsed in received.items():
        assert parsed["To"] == address
        assert parsed["Subject"] == SUBJECT
        assert parsed.get_content().replace("\r\n", "\n") == BODY
