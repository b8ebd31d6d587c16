"""Handing a message to e-mail or text-message delivery, and telling a passing failure from a
final one.

Transient
    Worth trying again: a 4xx answer from the mail server ("mailbox busy, try later"), a
    timeout, a refused or dropped connection. The row goes back to pending and the task retries
    with backoff.

Permanent
    Trying again gives the same answer: a 5xx answer (unknown mailbox, message refused). The row
    is marked failed with the reason, and nothing retries it.

The reason kept on a row is the error's class and SMTP code only: a server's own words may quote
the address, and an address is a patient detail.
"""

import re
import smtplib
from email.utils import formatdate, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from sms import Message as TextMessage


def delivery_error_is_transient(exc: BaseException) -> bool:
    """True when sending again later may succeed."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return any(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # Timeouts, refused and dropped connections (smtplib's own errors are OSErrors too).
    return isinstance(exc, OSError)


def delivery_error_reason(exc: BaseException) -> str:
    """A short reason for a failed send, with no address or server text in it."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = ",".join(sorted({str(c) for c, _text in exc.recipients.values()}))
    reason = type(exc).__name__ + (f" {code}" if code else "")
    return reason[:300]


def email_deliver(
    *,
    subject: str,
    body: str,
    to: list[str],
    connection: BaseEmailBackend | None = None,
    stencils: "EmailStencils | None" = None,
) -> None:
    """Send one e-mail through Django's configured backend; raises on failure.

    ``connection``, when given, is opened if need be and left open for the next message, so a
    batch pays for one SMTP handshake instead of one per message. ``stencils``, when given,
    renders the headers once per subject for the whole batch (see ``EmailStencil``).
    """
    if connection is not None:
        connection.open()
    if stencils is not None and len(to) == 1:
        message = stencils.message(subject=subject, to=to[0], body=body, connection=connection)
    else:
        message = EmailMessage(subject, body, to=to, connection=connection)
    message.send()


def text_message_deliver(*, body: str, to: str) -> None:
    """Send one text message through the configured django-sms backend; raises on failure.

    ``SMS_BACKEND`` names the backend: the console one in development, a provider's in a real
    deployment.
    """
    TextMessage(body, settings.DEFAULT_FROM_SMS, [to]).send()


# An address the stencil may write into a To header as it is: plain ASCII, nothing to quote or
# encode, and short enough that "To: " and it stay within the 78 characters past which Django
# folds a header. Anything else is rendered the ordinary way.
_PLAIN_ADDRESS = re.compile(
    r"(?=.{3,70}\Z)[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+"
)
# A body Django would send as it is ("7bit"): ASCII, lines far below the 998-byte limit, no CR.
_PLAIN_BODY = re.compile(r"(?:[\x20-\x7e\t]{0,900}\n)*[\x20-\x7e\t]{0,900}")
_VARYING_HEADERS = (b"To", b"Date", b"Message-ID")


class _RenderedMessage:
    """The finished bytes of a stencilled e-mail, shaped like the MIME object Django's
    backends ask ``EmailMessage.message()`` for."""

    def __init__(self, data: bytes) -> None:
        self._data = data  # CRLF line ends, as SMTP wants them

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self._data if linesep == "\r\n" else self._data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode()

    def get_charset(self) -> None:
        return None


class _StencilledEmail(EmailMessage):
    def __init__(self, *args: Any, data: bytes, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._data = data

    def message(self) -> Any:
        return _RenderedMessage(self._data)


class EmailStencil:
    """The headers of one e-mail rendered by Django once, for a batch of recipients.

    A batch of reminders sends one subject to many people, each with a body of their own.
    Building and folding the MIME headers costs more CPU than the sending itself (see
    docs/reminders.md, "Benchmark"), so the stencil has Django's ``EmailMessage`` render the
    headers once, and each copy swaps in its To header and a fresh Date and Message-ID (made as
    Django makes them) and appends its body as Django writes a plain-ASCII one. A copy is byte
    for byte what Django would have built (tests compare them). When that cannot be promised
    (an address that needs quoting or encoding, a body that is not plain ASCII or has long
    lines) the copy is an ordinary ``EmailMessage``. Either way it goes out through Django's
    configured backend.
    """

    def __init__(self, *, subject: str) -> None:
        self.subject = subject
        rendered = EmailMessage(subject, "", to=["recipient@stencil.invalid"]).message()
        head = rendered.as_bytes(linesep="\r\n").partition(b"\r\n\r\n")[0].split(b"\r\n")
        names = [line.split(b":", 1)[0] for line in head]
        # Header lines in Django's order: (False, the line) or (True, the name of a varying one).
        self._head = [
            (name in _VARYING_HEADERS, name if name in _VARYING_HEADERS else line)
            for name, line in zip(names, head, strict=True)
        ]
        self.usable = (
            rendered.get("Content-Transfer-Encoding") == "7bit"
            and not any(line[:1] in (b" ", b"\t") for line in head)  # nothing folded
            and all(names.count(name) == 1 for name in _VARYING_HEADERS)
        )

    def copyable(self, *, to: str, body: str) -> bool:
        """Whether a copy for this address and body is what Django would build."""
        return (
            self.usable
            and _PLAIN_ADDRESS.fullmatch(to) is not None
            and _PLAIN_BODY.fullmatch(body) is not None
        )

    def message(
        self, *, to: str, body: str, connection: BaseEmailBackend | None = None
    ) -> EmailMessage:
        """The e-mail for one recipient, ready for ``send()``."""
        if not self.copyable(to=to, body=body):
            return EmailMessage(self.subject, body, to=[to], connection=connection)
        varying = {
            b"To": to.encode(),
            b"Date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode(),
            b"Message-ID": make_msgid(domain=DNS_NAME).encode(),
        }
        head = [name + b": " + varying[name] if varies else name for varies, name in self._head]
        data = b"\r\n".join(head) + b"\r\n\r\n" + body.replace("\n", "\r\n").encode()
        return _StencilledEmail(self.subject, body, to=[to], connection=connection, data=data)


class EmailStencils:
    """A batch's stencils, one per subject, each rendered on first use."""

    def __init__(self) -> None:
        self._by_subject: dict[str, EmailStencil] = {}

    def message(
        self, *, subject: str, to: str, body: str, connection: BaseEmailBackend | None = None
    ) -> EmailMessage:
        stencil = self._by_subject.get(subject)
        if stencil is None:
            stencil = self._by_subject[subject] = EmailStencil(subject=subject)
        return stencil.message(to=to, body=body, connection=connection)
