"""The catalog services: a clinic's own exercises and the life of a protocol version."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exercises.exceptions import ExerciseReadOnly, ProtocolInvalid, ProtocolReadOnly
from exercises.models import Exercise, Protocol, ProtocolStage
from exercises.services import (
    ExerciseDetails,
    StageDetails,
    exercise_create,
    exercise_retire,
    exercise_update,
    protocol_copy_to_clinic,
    protocol_create_draft,
    protocol_new_version,
    protocol_publish,
    protocol_update_stages,
)
from prescriptions.models import PrescribedStage
from tests.factories import (
    ClinicFactory,
    ExerciseFactory,
    PatientFactory,
    PrescriptionFactory,
    ProtocolFactory,
    ProtocolStageFactory,
)

pytestmark = pytest.mark.django_db


def png_upload(name: str = "picture.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def details(**changes) -> ExerciseDetails:
    values = {
        "name": "Wall slide",
        "summary": "Slide down a wall.",
        "position": Exercise.Position.STANDING,
        "direction": Exercise.Direction.FLEXION,
        "steps": "Stand against a wall.\nSlide down.",
        "cautions": "Stop if pain spreads.",
        "default_reps": 8,
        "default_hold_seconds": 5,
        "default_sets": 1,
        "default_times_per_day": 2,
    }
    values.update(changes)
    return ExerciseDetails(**values)


def stage(number: int, exercise: Exercise, *counter: Exercise, reps: int = 10) -> StageDetails:
    return StageDetails(
        number=number,
        exercise=exercise,
        reps=reps,
        hold_seconds=0,
        times_per_day=4,
        counter_movements=list(counter),
        counter_movement_reps=2,
        guidance=f"Stage {number} guidance",
    )


def three_stages(clinic=None, *, reps: int = 10) -> list[StageDetails]:
    extension = ExerciseFactory(clinic=clinic, direction=Exercise.Direction.EXTENSION)
    return [stage(n, ExerciseFactory(clinic=clinic), extension, reps=reps) for n in (1, 2, 3)]


def published(clinic, *, slug: str = "flex", version: int = 1) -> Protocol:
    protocol = ProtocolFactory(clinic=clinic, slug=slug, version=version)
    extension = ExerciseFactory(direction=Exercise.Direction.EXTENSION)
    for number in (1, 2, 3):
        ProtocolStageFactory(protocol=protocol, number=number).counter_movements.set([extension])
    return protocol


# --- exercises ---------------------------------------------------------------------------------


def test_exercise_create_adds_a_clinic_row_with_a_unique_slug(clinic):
    first = exercise_create(clinic=clinic, details=details())
    second = exercise_create(clinic=clinic, details=details())
    assert (first.clinic, first.slug, first.default_reps) == (clinic, "wall-slide", 8)
    assert second.slug == "wall-slide-2"
    assert first.step_list == ["Stand against a wall.", "Slide down."]


def test_exercise_create_stores_the_illustration_under_the_slug(clinic, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    exercise = exercise_create(clinic=clinic, details=details(), illustration=png_upload())
    assert exercise.illustration.name == "exercises/wall-slide.png"
    assert (tmp_path / "exercises" / "wall-slide.png").exists()


def test_exercise_update_changes_the_clinic_row(clinic):
    exercise = exercise_create(clinic=clinic, details=details())
    exercise_update(exercise=exercise, details=details(name="Wall squat", default_reps=12))
    exercise.refresh_from_db()
    assert (exercise.name, exercise.slug, exercise.default_reps) == ("Wall squat", "wall-slide", 12)


def test_shipped_exercises_cannot_be_changed_or_retired():
    shipped = ExerciseFactory(clinic=None, name="Shipped")
    with pytest.raises(ExerciseReadOnly, match=ExerciseReadOnly.MESSAGE):
        exercise_update(exercise=shipped, details=details())
    with pytest.raises(ExerciseReadOnly, match=ExerciseReadOnly.MESSAGE):
        exercise_retire(exercise=shipped)
    shipped.refresh_from_db()
    assert (shipped.name, shipped.is_active) == ("Shipped", True)


def test_exercise_retire_keeps_the_row(clinic):
    exercise = ExerciseFactory(clinic=clinic)
    exercise_retire(exercise=exercise)
    exercise.refresh_from_db()
    assert exercise.is_active is False


# --- protocols ---------------------------------------------------------------------------------


def test_protocol_create_draft_starts_version_one_without_stages(clinic):
    protocol = protocol_create_draft(clinic=clinic, name="Gentle flexion", description="For x.")
    assert (protocol.slug, protocol.version, protocol.status) == ("gentle-flexion", 1, "draft")
    assert protocol.published_at is None
    assert not protocol.stages.exists()


def test_protocol_update_stages_sets_three_stages_and_counter_movements(clinic):
    protocol = protocol_create_draft(clinic=clinic, name="Gentle flexion")
    stages = three_stages(clinic)
    protocol_update_stages(protocol=protocol, name="Renamed", description="", stages=stages)
    protocol_update_stages(protocol=protocol, name="Renamed", description="", stages=stages)
    rows = list(protocol.stages.order_by("number"))
    assert [row.number for row in rows] == [1, 2, 3]
    assert [row.exercise for row in rows] == [s.exercise for s in stages]
    assert list(rows[0].counter_movements.all()) == list(stages[0].counter_movements)
    assert Protocol.objects.get(pk=protocol.pk).name == "Renamed"


def test_protocol_update_stages_refuses_another_clinics_exercise(clinic):
    protocol = protocol_create_draft(clinic=clinic, name="Gentle flexion")
    stages = three_stages(ClinicFactory())
    with pytest.raises(ProtocolInvalid, match=ProtocolInvalid.EXERCISE):
        protocol_update_stages(protocol=protocol, name="x", description="", stages=stages)
    assert not protocol.stages.exists()


def test_protocol_update_stages_refuses_a_published_version_or_two_stages(clinic):
    with pytest.raises(ProtocolReadOnly, match=ProtocolReadOnly.NOT_DRAFT):
        protocol_update_stages(
            protocol=published(clinic), name="x", description="", stages=three_stages()
        )
    draft = protocol_create_draft(clinic=clinic, name="Gentle flexion")
    with pytest.raises(ProtocolInvalid, match=ProtocolInvalid.STAGE_COUNT):
        protocol_update_stages(protocol=draft, name="x", description="", stages=three_stages()[:2])


def test_publish_refuses_a_draft_without_stages_1_2_and_3(clinic):
    draft = protocol_create_draft(clinic=clinic, name="Gentle flexion")
    with pytest.raises(ProtocolInvalid, match=ProtocolInvalid.STAGES):
        protocol_publish(protocol=draft)
    ProtocolStageFactory(protocol=draft, number=1)
    ProtocolStageFactory(protocol=draft, number=2)
    with pytest.raises(ProtocolInvalid, match=ProtocolInvalid.STAGES):
        protocol_publish(protocol=draft)
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == ("draft", None)


def test_publish_retires_the_previous_version_of_the_same_protocol(clinic):
    v1 = published(clinic)
    other = published(clinic, slug="other")
    v2 = protocol_new_version(protocol=v1)
    protocol_publish(protocol=v2)
    statuses = dict(Protocol.objects.values_list("pk", "status"))
    assert statuses == {v1.pk: "retired", v2.pk: "published", other.pk: "published"}
    assert Protocol.objects.get(pk=v2.pk).published_at is not None


def test_publish_refuses_a_shipped_or_published_protocol(clinic):
    with pytest.raises(ProtocolReadOnly, match=ProtocolReadOnly.SHIPPED):
        protocol_publish(protocol=published(None))
    with pytest.raises(ProtocolReadOnly, match=ProtocolReadOnly.NOT_DRAFT):
        protocol_publish(protocol=published(clinic))


def test_new_version_copies_the_stages_into_a_draft(clinic):
    v1 = published(clinic)
    v2 = protocol_new_version(protocol=v1)
    assert (v2.clinic, v2.slug, v2.version, v2.status) == (clinic, "flex", 2, "draft")
    old = list(v1.stages.order_by("number"))
    new = list(v2.stages.order_by("number"))
    assert [(s.number, s.exercise_id, s.reps) for s in new] == [
        (s.number, s.exercise_id, s.reps) for s in old
    ]
    assert list(new[2].counter_movements.all()) == list(old[2].counter_movements.all())
    assert Protocol.objects.get(pk=v1.pk).status == "published"


def test_new_version_refuses_a_draft_or_a_second_draft(clinic):
    v1 = published(clinic)
    draft = protocol_new_version(protocol=v1)
    with pytest.raises(ProtocolReadOnly, match=ProtocolReadOnly.NOT_PUBLISHED):
        protocol_new_version(protocol=draft)
    with pytest.raises(ProtocolReadOnly, match=ProtocolReadOnly.DRAFT_EXISTS):
        protocol_new_version(protocol=v1)
    assert Protocol.objects.filter(clinic=clinic).count() == 2


def test_copy_to_clinic_makes_a_clinic_draft_of_a_shipped_protocol(clinic):
    shipped = published(None)
    draft = protocol_copy_to_clinic(protocol=shipped, clinic=clinic)
    assert (draft.clinic, draft.slug, draft.version, draft.status) == (clinic, "flex", 1, "draft")
    assert draft.stages.count() == 3
    assert shipped.stages.count() == 3
    with pytest.raises(ProtocolReadOnly, match=ProtocolReadOnly.NOT_SHIPPED):
        protocol_copy_to_clinic(protocol=draft, clinic=clinic)


def test_publishing_v2_leaves_a_running_prescription_snapshot_unchanged(clinic):
    v1 = published(clinic)
    patient = PatientFactory(clinic=clinic)
    prescription = PrescriptionFactory(patient=patient, protocol=v1)
    snapshot_exercise = v1.stages.get(number=1).exercise
    PrescribedStage.objects.create(
        prescription=prescription,
        number=1,
        exercise=snapshot_exercise,
        reps=10,
        times_per_day=4,
        counter_movement_reps=2,
        guidance="As prescribed",
    )
    before = list(PrescribedStage.objects.values())

    v2 = protocol_new_version(protocol=v1)
    protocol_update_stages(
        protocol=v2, name="Changed", description="", stages=three_stages(clinic, reps=20)
    )
    protocol_publish(protocol=v2)

    assert list(PrescribedStage.objects.values()) == before
    prescription.refresh_from_db()
    assert prescription.protocol_id == v1.pk
    assert ProtocolStage.objects.get(protocol=v2, number=1).reps == 20
