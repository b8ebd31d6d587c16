"""A local SMTP server that counts what it accepts and can be told to misbehave.

The sink runs aiosmtpd in a thread of the test process on a free port. It records every message
it accepts per envelope recipient, so a test can tell a lost reminder (no message) from a
duplicate (two), and it can be switched to answer 4xx (try later), 5xx (refused for good) or to
hang until the client's timeout fires. A message is only counted when the sink answered 250:
a refused or timed-out message was not delivered.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import logging
import threading
import time
from typing import Any

from aiosmtpd.controller import Controller

from .services import free_port

# aiosmtpd logs every connection at INFO; thousands of reminders would drown a test's output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Mode(enum.Enum):
    """How the sink answers the next message."""

    ACCEPT = "accept"
    TRY_LATER = "4xx"  # 451 at RCPT: a passing failure, the client should retry
    REFUSE = "5xx"  # 550 at RCPT: a permanent failure, the client should give up
    HANG = "hang"  # no answer to DATA until the mode changes: the client times out


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        mode = self.sink.mode
        if mode is Mode.TRY_LATER:
            self.sink._note_refusal(address, 451)
            return "451 4.3.2 Try again later"
        if mode is Mode.REFUSE:
            self.sink._note_refusal(address, 550)
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.mode is Mode.HANG:
            for address in envelope.rcpt_tos:
                self.sink._note_refusal(address, 0)
            # Hold the answer until the test changes the mode (or a minute has passed); the
            # client has given up by then, so the message is not counted as delivered.
            deadline = time.monotonic() + 60
            while self.sink.mode is Mode.HANG and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return "451 4.4.2 Timed out"
        self.sink._note_delivery(envelope.rcpt_tos, envelope.content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on 127.0.0.1:``port`` that counts messages per recipient."""

    def __init__(self) -> None:
        self.port = free_port()
        self.host = "127.0.0.1"
        self.mode = Mode.ACCEPT
        self._lock = threading.Lock()
        self._delivered: collections.Counter[str] = collections.Counter()
        self._refused: collections.Counter[tuple[str, int]] = collections.Counter()
        self._messages: list[tuple[tuple[str, ...], bytes]] = []
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="sink.stagewise.test",
            ready_timeout=10,
        )

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.mode = Mode.ACCEPT  # release any hanging handler
        self._controller.stop()

    # --- recording (called from the sink's thread) ------------------------------------------
    def _note_delivery(self, recipients: list[str], content: bytes | str | None) -> None:
        raw = content if isinstance(content, bytes) else (content or "").encode()
        with self._lock:
            for address in recipients:
                self._delivered[address.lower()] += 1
            self._messages.append((tuple(recipients), raw))

    def _note_refusal(self, address: str, code: int) -> None:
        with self._lock:
            self._refused[(address.lower(), code)] += 1

    # --- what a test reads ------------------------------------------------------------------
    def delivered(self) -> collections.Counter[str]:
        """Messages accepted, per recipient address (lower case)."""
        with self._lock:
            return collections.Counter(self._delivered)

    def total(self) -> int:
        """Messages accepted in all (one per recipient of each message)."""
        with self._lock:
            return sum(self._delivered.values())

    def refused(self, code: int | None = None) -> collections.Counter[str]:
        """Answers other than 250 per recipient: 451, 550, or 0 for a hung DATA."""
        with self._lock:
            return collections.Counter(
                {
                    address: n
                    for (address, answer), n in self._refused.items()
                    if code is None or answer == code
                }
            )

    def messages(self) -> list[tuple[tuple[str, ...], bytes]]:
        """Every accepted message: its envelope recipients and its raw bytes."""
        with self._lock:
            return list(self._messages)

    def duplicates(self) -> int:
        """Messages beyond the first per recipient: what at-least-once may cost."""
        with self._lock:
            return sum(n - 1 for n in self._delivered.values() if n > 1)
