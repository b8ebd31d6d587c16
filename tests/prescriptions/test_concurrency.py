"""On PostgreSQL, simultaneous requests for one patient are serialised by a row lock."""

import threading
import uuid

import pytest
from django.db import connection

from prescriptions.models import RuleEvaluation, SessionLog
from prescriptions.services import session_log_create

from .conftest import at, entry


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_form_store_one_log(programme, patient):
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            barrier.wait(timeout=10)
            results.append(
                session_log_create(
                    patient=patient, entry=entry(at(0)), idempotency_key=key, now=at(0, 9, 8)
                )
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert SessionLog.objects.filter(idempotency_key=key).count() == 1
    assert RuleEvaluation.objects.count() == 1
    assert results[0].evaluation.pk == results[1].evaluation.pk
