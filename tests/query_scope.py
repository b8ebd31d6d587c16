"""The query-scope recorder: isolation enforced on every SQL statement, not shown by example.

While a request runs under ``watching(user)``, every statement that touches a patient table
is checked: it must carry a restriction that only the scoping functions could have put there,
with a value the requester may see —

* ``patients_patient.clinic_id = <the requester's clinic>`` (``patient_list_for_clinician``,
  ``alert_get_for_clinician`` …);
* ``patients_patient.user_id = <the requester>`` (``patient_for_user``);
* a patient table's id, or a foreign key into one (``patient_id``, ``prescription_id`` …),
  equal to or IN ids of records belonging to patients the requester may see, as resolved
  beforehand by the same scoping functions;
* for the audit table, a ``patient_id`` of such a patient in ``additional_data``.

A statement without any of these fails the test that made it, with the SQL. ``CHECKED`` counts
the statements checked (printed at the end of the run by ``tests/conftest.py``).
"""

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models

from patients.audit import audited_models
from patients.models import Patient
from patients.selectors import clinician_for_user, patient_for_user
from prescriptions.models import Reminder

AUDIT_TABLE = "auditlog_logentry"
CHECKED = {"statements": 0, "requests": 0}

# Tables that are deliberately not checked, and why. Sessions, users, clinics, staff and the
# exercise catalog hold no patient data; the outbox holds rendered e-mails to staff (digests,
# urgent notices) written by background tasks, never read by a page of the matrix.
UNCHECKED_TABLES = {
    "django_session",
    "auth_user",
    "patients_clinic",
    "patients_clinician",
    "prescriptions_outboxmessage",
}

_COLUMN = r'(?:"(?P<table>\w+)"|(?P<alias>[A-Z]\d+))\."(?P<column>\w+)"'
PREDICATE = re.compile(_COLUMN + r"\s*(?:=|IN\s*\()\s*(?P<marks>%s(?:\s*,\s*%s)*)", re.IGNORECASE)
ALIAS = re.compile(r'"(?P<table>\w+)"\s+(?:AS\s+)?(?P<alias>[A-Z]\d+)\b')
INSERT = re.compile(r'^INSERT INTO "(?P<table>\w+)"\s*\((?P<columns>[^)]*)\)', re.IGNORECASE)


def patient_models() -> list[type[models.Model]]:
    """Every model whose rows are a patient's data: the audited ones and the reminders."""
    return [*audited_models(), Reminder]


def _patient_filter(model: type[models.Model]) -> str:
    """The ORM path from a patient model to the patient it belongs to."""
    if model is Patient:
        return "pk__in"
    names = {f.name for f in model._meta.get_fields()}
    return "patient__in" if "patient" in names else "prescription__patient__in"


def _references() -> dict[tuple[str, str], str]:
    """(table, column) -> the patient table whose ids that column holds."""
    found = {}
    for model in patient_models():
        table = model._meta.db_table
        found[(table, model._meta.pk.column)] = table
        for fk in model._meta.concrete_fields:
            target = fk.related_model
            if fk.is_relation and target in patient_models():
                found[(table, fk.column)] = target._meta.db_table  # type: ignore[union-attr]
    return found


@dataclass
class Scope:
    """What one requester may see, resolved by the app's own scoping functions."""

    user_id: int | None = None
    clinic_id: int | None = None
    ids: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, user: Any) -> "Scope":
        if user is None:
            return cls()
        clinician, patient = clinician_for_user(user), patient_for_user(user)
        if clinician is not None:
            # The rule itself, written out here rather than read from the selectors it polices:
            # a clinician sees the current patients of their own clinic.
            clinic_id = clinician.clinic_id
            patients = Patient.objects.filter(clinic_id=clinic_id, archived_at__isnull=True)
        elif patient is not None:
            patients, clinic_id = Patient.objects.filter(pk=patient.pk), patient.clinic_id
        else:
            return cls(user_id=user.pk)
        pks = list(patients.values_list("pk", flat=True))
        ids = {
            model._meta.db_table: set(
                model._default_manager.filter(**{_patient_filter(model): pks}).values_list(
                    "pk", flat=True
                )
            )
            for model in patient_models()
        }
        return cls(user_id=user.pk, clinic_id=clinic_id, ids=ids)


def _tables(sql: str) -> set[str]:
    names = set(re.findall(r'"(\w+)"', sql))
    return {m._meta.db_table for m in patient_models()} & names | ({AUDIT_TABLE} & names)


def _values(params: Any, start: int, marks: str) -> list[Any]:
    return list(params[start : start + marks.count("%s")])


def _decoded(value: Any) -> Any:
    """A JSON parameter as Python: psycopg wraps it (``Jsonb.obj``), SQLite gets a string."""
    if hasattr(value, "obj"):
        return value.obj
    with contextlib.suppress(TypeError, ValueError):
        return json.loads(value) if isinstance(value, str) else value
    return value


def _as_int(value: Any) -> int | None:
    with contextlib.suppress(TypeError, ValueError):
        return int(_decoded(value))
    return None


def _scoped_predicates(sql: str, params: Any, scope: Scope) -> bool:
    aliases = {m["alias"]: m["table"] for m in ALIAS.finditer(sql)}
    references = _references()
    for match in PREDICATE.finditer(sql):
        table = match["table"] or aliases.get(match["alias"], "")
        column = match["column"]
        values = {
            _as_int(v) for v in _values(params, sql[: match.start()].count("%s"), match["marks"])
        }
        if table == "patients_patient" and column == "clinic_id":
            if values == {scope.clinic_id} and scope.clinic_id is not None:
                return True
        elif table == "patients_patient" and column == "user_id":
            if values == {scope.user_id} and scope.user_id is not None:
                return True
        elif (table, column) in references:
            allowed = scope.ids.get(references[(table, column)], set())
            if values and values <= allowed:
                return True
    return False


def _scoped_insert(sql: str, params: Any, scope: Scope) -> bool:
    match = INSERT.match(sql)
    if match is None:
        return False
    table = match["table"]
    columns = [c.strip().strip('"') for c in match["columns"].split(",")]
    row = dict(zip(columns, params, strict=False))
    if table == AUDIT_TABLE:
        data = _decoded(row.get("additional_data")) or {}
        return data.get("patient_id") in scope.ids.get("patients_patient", set())
    if table == "patients_patient":
        return scope.clinic_id is not None and row.get("clinic_id") == scope.clinic_id
    references = _references()
    checked = [
        _as_int(row[column]) in scope.ids.get(references[(table, column)], set())
        for column in row
        if (table, column) in references and column != "id"
    ]
    return bool(checked) and all(checked)


def _scoped_audit_read(sql: str, params: Any, scope: Scope) -> bool:
    """The access log reads the audit table by the JSON ``patient_id`` of a scoped patient."""
    allowed = scope.ids.get("patients_patient", set())
    return "additional_data" in sql and any(_as_int(v) in allowed for v in params or ())


def violation(sql: str, params: Any, scope: Scope) -> bool:
    """Whether a statement touches patient data without the requester's scope in it."""
    tables = _tables(sql)
    if not tables:
        return False
    CHECKED["statements"] += 1
    if sql.lstrip().upper().startswith("INSERT"):
        return not _scoped_insert(sql, params, scope)
    if tables == {AUDIT_TABLE}:
        return not _scoped_audit_read(sql, params, scope)
    return not _scoped_predicates(sql, params, scope)


@contextlib.contextmanager
def watching(user: Any) -> Iterator[None]:
    """Check every statement run inside against what ``user`` may see; fail on any unscoped."""
    scope = Scope.of(user)
    unscoped: list[str] = []

    def check(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        rows = params if many else [params]
        for row in rows or [()]:
            if violation(sql, row or (), scope):
                unscoped.append(f"{sql} {row!r}")
        return execute(sql, params, many, context)

    CHECKED["requests"] += 1
    with connection.execute_wrapper(check):
        yield
    assert unscoped == [], "queries on patient tables without the requester's scope"
