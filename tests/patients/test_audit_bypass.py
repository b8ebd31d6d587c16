"""No write to patient data may bypass the audit trail.

django-auditlog records through model signals, which ``QuerySet.update()``, ``bulk_create()``,
``bulk_update()`` and raw SQL never send (and a queryset ``delete()`` is one easy step from a
fast delete without them). This test reads the source of the apps and fails on any such call
that is not in ``ALLOWED`` below, where each entry says why the records it writes are not
patient data. The audited models are those of ``patients.audit.audited_models()``.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from patients.audit import audited_models

APPS = ("patients", "prescriptions", "exercises")
BYPASSING_METHODS = {"update", "bulk_create", "bulk_update", "delete", "raw", "extra"}
RAW_SQL = {"execute", "executemany", "cursor", "RawSQL"}

# (file, enclosing function, model the call starts from) -> why it is not patient data.
ALLOWED = {
    ("prescriptions/services/reminders.py", "reminders_materialise", "Reminder"): (
        "A reminder is delivery bookkeeping (a slot, a time, a status), not health data."
    ),
    ("prescriptions/services/reminders.py", "reminders_sweep_stuck", "Reminder"): (
        "Puts stuck reminders back to pending: a delivery status, not health data."
    ),
    ("prescriptions/services/outbox.py", "outbox_sweep_stuck", "OutboxMessage"): (
        "Puts stuck outbox messages back to pending: a delivery status, not health data."
    ),
    ("prescriptions/services/reminders.py", "_record_failure", "Reminder"): (
        "A failed reminder's status and error reason: delivery bookkeeping."
    ),
    ("prescriptions/services/reminders.py", "_mark_sent", "Reminder"): (
        "A sent reminder's status and time: delivery bookkeeping."
    ),
    ("prescriptions/services/reminders.py", "_insert_returning_ids", "connection"): (
        "One INSERT … ON CONFLICT of reminder rows (PostgreSQL): delivery bookkeeping."
    ),
    ("prescriptions/services/reminders.py", "_insert_returning_ids", "cursor"): (
        "The same INSERT of reminder rows."
    ),
    ("prescriptions/services/reminders.py", "_mark_and_claim", "connection"): (
        "Marks the last reminder sent and claims the next in one UPDATE (PostgreSQL): delivery "
        "statuses."
    ),
    ("prescriptions/services/reminders.py", "_mark_and_claim", "cursor"): (
        "The same mark and claim."
    ),
    ("prescriptions/services/reminders.py", "_unflushed_status_commits", "connection"): (
        "SET synchronous_commit for reminder status batches: a session setting, no row."
    ),
    ("prescriptions/services/reminders.py", "_unflushed_status_commits", "cursor"): (
        "The same session setting."
    ),
    ("patients/two_factor.py", "totp_device_confirm", "TOTPDevice"): (
        "Drops a person's unconfirmed authenticator set-ups: sign-in secrets, not health data."
    ),
}


def _root_name(node: ast.AST) -> str | None:
    """The name a call chain starts from: ``Reminder`` in ``Reminder.objects.filter().update()``."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


class Finder(ast.NodeVisitor):
    """Every bypassing call in one module, with the function it sits in."""

    def __init__(self, path: str) -> None:
        self.path, self.function, self.found = path, "<module>", []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in BYPASSING_METHODS or name in RAW_SQL:
            self.found.append((self.path, self.function, _root_name(func), name, node.lineno))
        self.generic_visit(node)


def bypassing_calls() -> list[tuple[str, str, str | None, str, int]]:
    found = []
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            relative = path.relative_to(settings.BASE_DIR).as_posix()
            if "/migrations/" in relative:
                continue  # schema changes, run once by a deployer, not a code path of the app
            finder = Finder(relative)
            finder.visit(ast.parse(path.read_text(), relative))
            found += finder.found
    return found


def test_no_write_bypasses_the_audit():
    unexplained = [call for call in bypassing_calls() if call[:3] not in ALLOWED]
    assert unexplained == []


def test_the_allowed_calls_touch_no_audited_model():
    audited = {model.__name__ for model in audited_models()}
    assert not {model for _, _, model in ALLOWED} & audited


def test_every_allowed_call_still_exists():
    assert set(ALLOWED) <= {call[:3] for call in bypassing_calls()}


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    Alert.objects.filter(x=1).update(status='x')\n",
        "def f():\n    SessionLog.objects.bulk_create([])\n",
        "def f(log):\n    log.delete()\n",
        "def f():\n    connection.cursor().execute('UPDATE x')\n",
    ],
)
def test_the_scan_finds_each_kind_of_bypass(source):
    finder = Finder("prescriptions/example.py")
    finder.visit(ast.parse(source))
    assert finder.found
