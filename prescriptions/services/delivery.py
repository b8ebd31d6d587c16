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

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
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
    *, subject: str, body: str, to: list[str], connection: BaseEmailBackend | None = None
) -> None:
    """Send one e-mail through Django's configured backend; raises on failure.

    ``connection``, when given, is opened if need be and left open for the next message, so a
    batch pays for one SMTP handshake instead of one per message.
    """
    if connection is not None:
        connection.open()
    EmailMessage(subject, body, to=to, connection=connection).send()


def text_message_deliver(*, body: str, to: str) -> None:
    """Send one text message through the configured django-sms backend; raises on failure.

    ``SMS_BACKEND`` names the backend: the console one in development, a provider's in a real
    deployment.
    """
    TextMessage(body, settings.DEFAULT_FROM_SMS, [to]).send()
