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

import email
import email.policy
import logging
import re
import smtplib
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from sms import Message as TextMessage

logger = logging.getLogger(__name__)


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
# How Django's SMTP backend writes headers: the message's compat32 policy, CRLF line ends.
_HEADER_POLICY = email.policy.compat32.clone(linesep="\r\n")
_HEADER_LINE_LIMIT = 78  # compat32's max_line_length: a longer header is folded


@dataclass(frozen=True)
class _Varying:
    """A header each copy writes for itself: To, Date or Message-ID."""

    name: str


_VARYING = (_Varying("To"), _Varying("Date"), _Varying("Message-ID"))


def _header(name: str, value: str) -> bytes:
    """One header with its line end, as Django's generator writes it."""
    line = f"{name}: {value}"
    if len(line) <= _HEADER_LINE_LIMIT and line.isascii():
        return line.encode() + b"\r\n"
    return _HEADER_POLICY.fold_binary(name, value)  # folded as Django would fold it


def _header_blocks(head: bytes) -> list[tuple[str, bytes]]:
    """Rendered headers as (name, the header with its continuation lines and line ends)."""
    blocks: list[tuple[str, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and blocks:
            name, block = blocks[-1]
            blocks[-1] = (name, block + line + b"\r\n")
        else:
            blocks.append((line.split(b":", 1)[0].decode(), line + b"\r\n"))
    return blocks


class _RenderedMessage:
    """The finished bytes of a stencilled e-mail, standing in for the MIME object Django's
    backends get from ``EmailMessage.message()``: they ask it for its bytes or text (and the
    console and file backends for its charset). Anything else is answered by the bytes parsed
    into a ``email.message.Message``."""

    def __init__(self, data: bytes) -> None:
        self._data = data  # CRLF line ends, as SMTP wants them

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        """The message with ``linesep`` line ends (the SMTP backend asks for CRLF)."""
        return self._data if linesep == "\r\n" else self._data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        """The message as text; it is ASCII (the stencil copies nothing else)."""
        return self.as_bytes(linesep=linesep).decode()

    def get_charset(self) -> None:
        """None, as for a message Django built: the console backend then decodes as UTF-8."""
        return None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_data":  # copy and pickle probe; not a header
            raise AttributeError(name)
        return getattr(email.message_from_bytes(self._data), name)

    def __getitem__(self, name: str) -> Any:
        return email.message_from_bytes(self._data)[name]


class _StencilledEmail(EmailMessage):
    """An ``EmailMessage`` whose bytes a stencil made. Its subject, body and recipients are
    the same as in those bytes, for the backend's envelope and for tests' outboxes; changing
    them afterwards would not change the bytes."""

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
    headers once, and each copy writes its own To, Date and Message-ID (made and folded as
    Django makes and folds them) and appends its body as Django writes a plain-ASCII one. A
    copy is byte for byte what Django would have built (tests compare them, on host names of
    every length). When that cannot be promised (an address that needs quoting or encoding, a
    body that is not plain ASCII or has long lines) the copy is an ordinary ``EmailMessage``.
    Either way it goes out through Django's configured backend.

    ``usable`` is False when Django's rendering had a shape the stencil does not copy (then
    every copy is an ordinary ``EmailMessage``). A stencil reads the mail settings (the sender)
    when it is made: make one per batch.
    """

    def __init__(self, *, subject: str) -> None:
        self.subject = subject
        rendered = EmailMessage(subject, "", to=["recipient@stencil.invalid"]).message()
        head = rendered.as_bytes(linesep="\r\n").partition(b"\r\n\r\n")[0]
        blocks = _header_blocks(head)
        names = [name for name, _block in blocks]
        self.usable = rendered.get("Content-Transfer-Encoding") == "7bit" and all(
            names.count(varying.name) == 1 for varying in _VARYING
        )
        if not self.usable:
            logger.info("e-mail stencil not usable for this subject; building each message")
        # The header in Django's order: fixed headers as their bytes, varying ones as _Varying.
        self._head: list[bytes | _Varying] = [
            _Varying(name) if _Varying(name) in _VARYING else block for name, block in blocks
        ]

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
        values = {
            "To": to,
            "Date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
            "Message-ID": make_msgid(domain=DNS_NAME),
        }
        head = b"".join(
            _header(part.name, values[part.name]) if isinstance(part, _Varying) else part
            for part in self._head
        )
        data = head + b"\r\n" + body.replace("\n", "\r\n").encode()
        return _StencilledEmail(self.subject, body, to=[to], connection=connection, data=data)


class EmailStencils:
    """A batch's stencils, one per subject, each made on first use."""

    def __init__(self) -> None:
        self._by_subject: dict[str, EmailStencil] = {}

    def message(
        self, *, subject: str, to: str, body: str, connection: BaseEmailBackend | None = None
    ) -> EmailMessage:
        """The e-mail for one recipient, from the stencil of its subject."""
        stencil = self._by_subject.get(subject)
        if stencil is None:
            stencil = self._by_subject[subject] = EmailStencil(subject=subject)
        return stencil.message(to=to, body=body, connection=connection)
