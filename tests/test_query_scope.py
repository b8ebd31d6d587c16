"""The query-scope recorder itself: it fails on what it must fail on, and only on that."""

import pytest

from patients.models import Patient
from patients.selectors import patient_get_for_clinician
from prescriptions.models import SessionLog
from tests import query_scope
from tests.factories import ClinicianFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(therapist):
    own = PatientFactory(clinic=therapist.clinic, primary_clinician=therapist, user=UserFactory())
    other = ClinicianFactory()
    stranger = PatientFactory(clinic=other.clinic, primary_clinician=other)
    return {"therapist": therapist, "own": own, "stranger": stranger}


def test_a_scoped_lookup_passes(people):
    before = query_scope.CHECKED["statements"]
    with query_scope.watching(people["therapist"].user):
        patient_get_for_clinician(clinician=people["therapist"], public_id=people["own"].public_id)
    assert query_scope.CHECKED["statements"] > before  # checked, and passed


@pytest.mark.parametrize(
    "query",
    [
        lambda p: list(Patient.objects.all()),
        lambda p: Patient.objects.get(public_id=p["own"].public_id),
        lambda p: Patient.objects.get(pk=p["stranger"].pk),
        lambda p: list(Patient.objects.filter(clinic_id=p["stranger"].clinic_id)),
        lambda p: SessionLog.objects.count(),
    ],
)
def test_an_unscoped_query_fails(people, query):
    with (
        pytest.raises(AssertionError, match="without the requester's scope"),
        query_scope.watching(people["therapist"].user),
    ):
        query(people)


def test_a_patient_may_read_only_their_own_record(people):
    before = query_scope.CHECKED["statements"]
    with query_scope.watching(people["own"].user):
        Patient.objects.get(pk=people["own"].pk)
    assert query_scope.CHECKED["statements"] > before  # checked, and passed
    with (
        pytest.raises(AssertionError),
        query_scope.watching(people["own"].user),
    ):
        Patient.objects.get(pk=people["stranger"].pk)


def test_queries_on_other_tables_are_not_counted(people):
    before = query_scope.CHECKED["statements"]
    with query_scope.watching(people["therapist"].user):
        list(type(people["therapist"]).objects.all())
    assert query_scope.CHECKED["statements"] == before
