"""The audit trail of patient records: who created, changed, deleted or looked at which record.

django-auditlog writes one ``LogEntry`` per create, change and delete of an audited model (through
model signals) and per view of a record (``record_access``). Each entry carries the actor, the IP
address, the UTC time and the request id (auditlog's correlation id); ``additional_data`` adds the
actor's role and clinic, the patient the record belongs to and the URL name of the page.
See docs/audit.md.
"""

import contextvars
import re
import uuid
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import accessed
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Clinician, Intake, OdiAssessment, Patient, RedFlagScreen

# An incoming X-Request-ID is kept only when it is an opaque token: letters, digits, dashes,
# dots and underscores, at most 64 (long enough for a UUID or a proxy's trace id).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{8,64}")


@dataclass
class Requester:
    """What the audit knows about the request in progress."""

    request: HttpRequest | None
    request_id: str
    role: str | None = None
    clinic_id: int | None = None


_requester: contextvars.ContextVar[Requester | None] = contextvars.ContextVar(
    "stagewise_audit_requester", default=None
)


def request_id_from(request: HttpRequest) -> str:
    """The request's id: the proxy's ``X-Request-ID`` when it is a sane token, else a new UUID."""
    incoming = request.headers.get("X-Request-ID", "")
    if REQUEST_ID_PATTERN.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def requester_start(request: HttpRequest) -> contextvars.Token[Requester | None]:
    """Begin auditing one request; the token ends it (``requester_end``)."""
    return _requester.set(Requester(request=request, request_id=request_id_from(request)))


def requester_end(token: contextvars.Token[Requester | None]) -> None:
    _requester.reset(token)


def requester_bind(record: Any) -> None:
    """Note the role and clinic of the person asking, once the role decorator has resolved them."""
    current = _requester.get()
    if current is None:
        return
    if isinstance(record, Clinician):
        current.role, current.clinic_id = record.role, record.clinic_id
    elif isinstance(record, Patient):
        current.role, current.clinic_id = "patient", record.clinic_id


def request_id_current() -> str | None:
    """The id of the request in progress (auditlog's ``AUDITLOG_CID_GETTER``)."""
    current = _requester.get()
    return current.request_id if current else None


def _role(current: Requester | None) -> str:
    if current is None:
        return "system"  # a Celery task, a management command or the shell
    if current.role:
        return current.role
    user = getattr(current.request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return "superuser" if user.is_superuser else "user"


def _route(current: Requester | None) -> str | None:
    """The URL name (never the raw path, which could one day carry more than opaque ids)."""
    match = getattr(current.request, "resolver_match", None) if current else None
    return match.view_name if match else None


# --- which records are audited, and whose they are -------------------------------------------


def _patient_of(instance: models.Model) -> Patient:
    if isinstance(instance, Patient):
        return instance
    if isinstance(instance, OdiAssessment | RedFlagScreen | Intake):
        return instance.patient
    # A programme, or a record of a programme (its logs, decisions, alerts, transitions).
    prescription: Any = getattr(instance, "prescription", instance)
    patient: Patient = prescription.patient
    return patient


def _additional_data(instance: models.Model) -> dict[str, Any]:
    """What auditlog stores next to each entry: role, clinics, patient, route and request id."""
    current = _requester.get()
    patient = _patient_of(instance)
    return {
        "role": _role(current),
        "actor_clinic_id": current.clinic_id if current else None,
        "clinic_id": patient.clinic_id,
        "patient_id": patient.pk,
        "route": _route(current),
        "request_id": current.request_id if current else None,
    }


def audited_models() -> list[type[models.Model]]:
    """Every model holding patient data; each create, change, delete and view is recorded.

    Reminders and outbox messages are delivery bookkeeping (a time and a status), not health data.
    """
    from prescriptions import models as rx

    return [
        Patient,
        Intake,
        OdiAssessment,
        RedFlagScreen,
        rx.Prescription,
        rx.PrescribedStage,
        rx.ThresholdOverride,
        rx.SessionLog,
        rx.MorningCheck,
        rx.RuleEvaluation,
        rx.Alert,
        rx.StageTransition,
        rx.StatusChange,
    ]


def audit_register() -> None:
    """Register the audited models with auditlog (called once, from the app's ``ready``)."""
    for model in audited_models():
        model.get_additional_data = _additional_data  # type: ignore[attr-defined]
        if model not in auditlog.get_models():
            auditlog.register(model, m2m_fields=set())


def record_access(*, instance: models.Model) -> None:
    """Record that the person asking has been shown this patient record."""
    accessed.send(sender=type(instance), instance=instance)


def access_log_for_patient(*, patient: Patient) -> QuerySet[LogEntry]:
    """Every audit entry about the patient's records, newest first (the patient is scoped)."""
    return (
        LogEntry.objects.filter(additional_data__patient_id=patient.pk)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )
