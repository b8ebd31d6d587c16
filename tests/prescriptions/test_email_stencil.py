"""E-mail stencils: a batch's headers rendered once by Django, each copy byte for byte what
Django would have built for it, and an ordinary EmailMessage whenever that cannot be promised."""

import email
import email.policy
import io
import re
import string

import pytest
from django.core.mail import EmailMessage, get_connection
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from prescriptions.services.delivery import EmailStencil, EmailStencils, email_deliver

SUBJECT = "Time for your exercise session"
BODY = "Hello,\n\nIt is time for your exercise session.\n\nOpen Stagewise: https://x.test/me/\n"


def wire(message: EmailMessage) -> bytes:
    """What Django's SMTP backend puts on the wire for ``message``."""
    return message.message().as_bytes(linesep="\r\n")


def django_built(message: EmailMessage) -> bytes:
    """What Django itself builds for the same subject, body and recipient."""
    return wire(EmailMessage(message.subject, message.body, to=message.to))


def same_but_stamps(a: bytes, b: bytes) -> bool:
    """Equal once the Date and Message-ID, which differ on every build, are set aside."""
    stamps = re.compile(rb"^(Date|Message-ID): [^\r\n]*", re.MULTILINE)
    return stamps.sub(rb"\1: -", a) == stamps.sub(rb"\1: -", b)


plain_bodies = st.text(alphabet=string.ascii_letters + string.digits + " .,:;/?=&-_~'\"!\t\n")


@settings(max_examples=300, deadline=None)
@given(to=st.emails(), body=plain_bodies)
def test_a_copy_is_what_django_builds_or_is_built_by_django(to, body):
    stencil = EmailStencil(subject=SUBJECT)
    message = stencil.message(to=to, body=body)

    assert (message.subject, message.body, message.to) == (SUBJECT, body, [to])
    if stencil.copyable(to=to, body=body):
        assert same_but_stamps(wire(message), django_built(message))
    else:
        assert type(message) is EmailMessage


def test_a_plain_reminder_is_copied_with_its_own_stamps():
    stencil = EmailStencil(subject=SUBJECT)
    first = stencil.message(to="robin@example.com", body=BODY)
    second = stencil.message(to="alex.k+pt@clinic.example.org", body=BODY + "More.\n")

    assert type(first) is not EmailMessage  # the stencil made these, not Django
    for message in (first, second):
        assert same_but_stamps(wire(message), django_built(message))
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


def test_a_subject_django_has_to_fold_makes_the_stencil_step_aside():
    long_subject = "Zeit für Ihre Übungen " * 6  # encoded and folded over several lines
    stencil = EmailStencil(subject=long_subject)
    assert not stencil.usable
    assert type(stencil.message(to="robin@example.com", body=BODY)) is EmailMessage


def test_a_short_encoded_subject_is_copied_as_django_encoded_it():
    stencil = EmailStencil(subject="Zeit für Übungen")
    message = stencil.message(to="robin@example.com", body=BODY)
    assert stencil.usable
    assert type(message) is not EmailMessage
    assert same_but_stamps(wire(message), django_built(message))
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
