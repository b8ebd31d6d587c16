"""The clinic admin's catalog pages, through real requests, for every kind of visitor."""

import io
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from exercises.exceptions import ProtocolInvalid, ProtocolReadOnly
from exercises.forms import SVG_REFUSED
from exercises.models import Exercise, Protocol, ProtocolStage
from tests.factories import (
    ClinicFactory,
    ClinicianFactory,
    ExerciseFactory,
    ProtocolFactory,
    ProtocolStageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def admin(clinic):
    return ClinicianFactory(clinic=clinic, role="clinic_admin")


@pytest.fixture
def other_admin(db):
    return ClinicianFactory(role="clinic_admin")


@pytest.fixture
def patient_user(patient):
    patient.user = UserFactory()
    patient.save()
    return patient.user


def with_stages(protocol: Protocol) -> Protocol:
    extension = ExerciseFactory(direction=Exercise.Direction.EXTENSION)
    for number in (1, 2, 3):
        ProtocolStageFactory(protocol=protocol, number=number).counter_movements.set([extension])
    return protocol


@pytest.fixture
def objects(clinic):
    """One of each thing the admin pages act on, all belonging to ``clinic`` or shipped."""
    return {
        "exercise": ExerciseFactory(clinic=clinic),
        "draft": with_stages(
            ProtocolFactory(clinic=clinic, slug="draft", status="draft", published_at=None)
        ),
        "published": with_stages(ProtocolFactory(clinic=clinic, slug="flex")),
        "shipped": with_stages(ProtocolFactory(clinic=None, slug="flex")),
    }


# (url name, method, object key or None, status for the clinic's admin)
ADMIN_ROUTES = [
    ("exercises:exercise_create", "get", None, HTTPStatus.OK),
    ("exercises:exercise_update", "get", "exercise", HTTPStatus.OK),
    ("exercises:exercise_retire", "post", "exercise", HTTPStatus.FOUND),
    ("exercises:protocol_create", "get", None, HTTPStatus.OK),
    ("exercises:protocol_update", "get", "draft", HTTPStatus.OK),
    ("exercises:protocol_publish", "post", "draft", HTTPStatus.FOUND),
    ("exercises:protocol_new_version", "post", "published", HTTPStatus.FOUND),
    ("exercises:protocol_copy", "post", "shipped", HTTPStatus.FOUND),
]
ROUTE_IDS = [route[0].split(":")[1] for route in ADMIN_ROUTES]


def url_for(name: str, key: str | None, objects: dict) -> str:
    if key is None:
        return reverse(name)
    kwarg = "exercise_id" if key == "exercise" else "protocol_id"
    return reverse(name, kwargs={kwarg: objects[key].pk})


def request(client, method: str, url: str):
    return client.post(url) if method == "post" else client.get(url)


@pytest.mark.parametrize(("name", "method", "key", "expected"), ADMIN_ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_sign_in(client, objects, name, method, key, expected):
    response = request(client, method, url_for(name, key, objects))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "method", "key", "expected"), ADMIN_ROUTES, ids=ROUTE_IDS)
def test_the_clinic_admin_is_let_in(client, admin, objects, name, method, key, expected):
    client.force_login(admin.user)
    assert request(client, method, url_for(name, key, objects)).status_code == expected


@pytest.mark.parametrize(("name", "method", "key", "expected"), ADMIN_ROUTES, ids=ROUTE_IDS)
def test_a_therapist_is_refused(client, therapist, objects, name, method, key, expected):
    client.force_login(therapist.user)
    response = request(client, method, url_for(name, key, objects))
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(("name", "method", "key", "expected"), ADMIN_ROUTES, ids=ROUTE_IDS)
def test_a_patient_is_refused(client, patient_user, objects, name, method, key, expected):
    client.force_login(patient_user)
    response = request(client, method, url_for(name, key, objects))
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    ("name", "method", "key"),
    [
        ("exercises:exercise_update", "get", "exercise"),
        ("exercises:exercise_retire", "post", "exercise"),
        ("exercises:protocol_update", "get", "draft"),
        ("exercises:protocol_publish", "post", "draft"),
        ("exercises:protocol_new_version", "post", "published"),
        # Only a shipped protocol can be copied; another clinic's own is not found.
        ("exercises:protocol_copy", "post", "published"),
    ],
)
def test_another_clinics_admin_gets_404(client, other_admin, objects, name, method, key):
    client.force_login(other_admin.user)
    response = request(client, method, url_for(name, key, objects))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Protocol.objects.filter(clinic=other_admin.clinic).exists()
    assert Exercise.objects.get(pk=objects["exercise"].pk).is_active


@pytest.mark.parametrize("name", ["exercises:exercise_list", "exercises:protocol_list"])
def test_lists_are_for_clinic_staff(client, therapist, admin, patient_user, name):
    url = reverse(name)
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(patient_user)
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    for clinician in (therapist, admin):
        client.force_login(clinician.user)
        assert client.get(url).status_code == HTTPStatus.OK


def test_post_only_actions_refuse_get(client, admin, objects):
    client.force_login(admin.user)
    url = url_for("exercises:exercise_retire", "exercise", objects)
    assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert Exercise.objects.get(pk=objects["exercise"].pk).is_active


# --- exercises ---------------------------------------------------------------------------------


def png(name: str = "picture.png", size: int = 8):
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), "white").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def exercise_answers(**changes):
    answers = {
        "name": "Wall slide",
        "summary": "Slide down a wall.",
        "position": "standing",
        "direction": "flexion",
        "steps": "Stand against a wall.\nSlide down.",
        "cautions": "",
        "default_reps": "8",
        "default_hold_seconds": "0",
        "default_sets": "1",
        "default_times_per_day": "2",
    }
    answers.update(changes)
    return answers


def test_list_marks_shipped_exercises_and_separates_retired_ones(client, admin, therapist):
    ExerciseFactory(clinic=None, name="Shipped one")
    own = ExerciseFactory(clinic=admin.clinic, name="Our own")
    ExerciseFactory(clinic=admin.clinic, name="Old one", is_active=False)
    ExerciseFactory(clinic=ClinicFactory(), name="Someone else's")
    client.force_login(admin.user)
    page = client.get(reverse("exercises:exercise_list")).content.decode()
    assert "Shipped · read-only" in page
    assert page.index("Our own") < page.index("Shipped one") < page.index("Retired")
    assert page.index("Retired") < page.index("Old one")
    assert reverse("exercises:exercise_update", kwargs={"exercise_id": own.pk}) in page
    assert "Someone else" not in page
    client.force_login(therapist.user)
    page = client.get(reverse("exercises:exercise_list")).content.decode()
    assert "Our own" in page
    assert reverse("exercises:exercise_update", kwargs={"exercise_id": own.pk}) not in page


def count_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("exercises:exercise_list")).status_code == HTTPStatus.OK
    return len(queries)


def test_exercise_list_queries_do_not_grow_with_the_catalog(client, admin):
    client.force_login(admin.user)
    ExerciseFactory(clinic=admin.clinic)
    with_stages(ProtocolFactory(clinic=admin.clinic))
    one = count_list_queries(client)
    ExerciseFactory.create_batch(15, clinic=admin.clinic)
    ExerciseFactory.create_batch(14, clinic=None)
    with_stages(ProtocolFactory(clinic=None))
    assert count_list_queries(client) == one


def test_protocol_list_queries_do_not_grow_with_the_protocols(client, admin):
    client.force_login(admin.user)
    with_stages(ProtocolFactory(clinic=admin.clinic))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("exercises:protocol_list"))
    for _ in range(5):
        with_stages(ProtocolFactory(clinic=admin.clinic))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("exercises:protocol_list"))
    assert len(many) == len(few)


def test_create_exercise_with_a_picture_then_see_it_on_the_edit_page(
    client, admin, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin.user)
    answers = exercise_answers(illustration=png())
    response = client.post(reverse("exercises:exercise_create"), answers)
    assert response.status_code == HTTPStatus.FOUND
    exercise = Exercise.objects.get(clinic=admin.clinic)
    assert (exercise.name, exercise.default_reps) == ("Wall slide", 8)
    assert exercise.illustration.name == "exercises/wall-slide.png"
    edit = client.get(reverse("exercises:exercise_update", kwargs={"exercise_id": exercise.pk}))
    assert exercise.illustration.url in edit.content.decode()


def test_an_svg_upload_is_refused_and_the_answers_are_kept(client, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin.user)
    svg = io.BytesIO(SVG)
    svg.name = "drawing.svg"
    answers = exercise_answers(name="Kept name", illustration=svg)
    response = client.post(reverse("exercises:exercise_create"), answers)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["illustration"] == [str(SVG_REFUSED)]
    assert 'value="Kept name"' in response.content.decode()
    assert not Exercise.objects.exists()
    assert not (tmp_path / "exercises").exists()


def test_a_picture_that_is_not_png_jpeg_or_webp_is_refused(client, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin.user)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")
    buffer.seek(0)
    buffer.name = "animated.png"
    response = client.post(
        reverse("exercises:exercise_create"), exercise_answers(illustration=buffer)
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "illustration" in response.context["form"].errors


def test_a_picture_over_2_mb_is_refused(client, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin.user)
    big = io.BytesIO(b"\x89PNG" + b"0" * (2 * 1024 * 1024))
    big.name = "big.png"
    response = client.post(reverse("exercises:exercise_create"), exercise_answers(illustration=big))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "2 MB" in response.context["form"].errors["illustration"][0]


@pytest.mark.parametrize(
    "changes",
    [
        {"default_reps": "99"},
        {"default_reps": "many"},
        {"position": "upside_down"},
        {"name": ""},
        {"default_times_per_day": "0"},
    ],
)
def test_bad_exercise_answers_re_render_with_400(client, admin, objects, changes):
    client.force_login(admin.user)
    create = client.post(reverse("exercises:exercise_create"), exercise_answers(**changes))
    assert create.status_code == HTTPStatus.BAD_REQUEST
    url = url_for("exercises:exercise_update", "exercise", objects)
    assert client.post(url, exercise_answers(**changes)).status_code == HTTPStatus.BAD_REQUEST
    assert Exercise.objects.filter(clinic=admin.clinic).count() == 1


def test_edit_changes_the_clinics_exercise(client, admin, objects):
    client.force_login(admin.user)
    url = url_for("exercises:exercise_update", "exercise", objects)
    response = client.post(url, exercise_answers(name="Renamed", default_reps="12"))
    assert response.status_code == HTTPStatus.FOUND
    exercise = Exercise.objects.get(pk=objects["exercise"].pk)
    assert (exercise.name, exercise.default_reps) == ("Renamed", 12)


def test_a_shipped_exercise_answers_404_on_edit_and_retire(client, admin):
    shipped = ExerciseFactory(clinic=None, name="Shipped")
    client.force_login(admin.user)
    kwargs = {"exercise_id": shipped.pk}
    edit = reverse("exercises:exercise_update", kwargs=kwargs)
    assert client.get(edit).status_code == HTTPStatus.NOT_FOUND
    assert client.post(edit, exercise_answers()).status_code == HTTPStatus.NOT_FOUND
    retire = reverse("exercises:exercise_retire", kwargs=kwargs)
    assert client.post(retire).status_code == HTTPStatus.NOT_FOUND
    shipped.refresh_from_db()
    assert (shipped.name, shipped.is_active) == ("Shipped", True)


def test_retire_keeps_the_row_and_lists_it_as_retired(client, admin, objects):
    client.force_login(admin.user)
    response = client.post(url_for("exercises:exercise_retire", "exercise", objects), follow=True)
    assert response.status_code == HTTPStatus.OK
    exercise = Exercise.objects.get(pk=objects["exercise"].pk)
    assert exercise.is_active is False
    assert response.context["catalog"].retired == [exercise]


# --- protocols ---------------------------------------------------------------------------------


def stage_answers(exercises, counter, **changes):
    answers = {
        "name": "Our flexion",
        "description": "Lying, sitting, standing.",
        "stages-TOTAL_FORMS": "3",
        "stages-INITIAL_FORMS": "3",
        "stages-MIN_NUM_FORMS": "3",
        "stages-MAX_NUM_FORMS": "3",
    }
    for index, exercise in enumerate(exercises):
        answers |= {
            f"stages-{index}-exercise": str(exercise.pk),
            f"stages-{index}-reps": "10",
            f"stages-{index}-hold_seconds": "0",
            f"stages-{index}-times_per_day": "4",
            f"stages-{index}-counter_movements": [str(counter.pk)],
            f"stages-{index}-counter_movement_reps": "2",
            f"stages-{index}-guidance": f"Stage {index + 1}",
        }
    answers.update(changes)
    return answers


def test_create_a_draft_then_fill_its_stages_and_publish(client, admin):
    client.force_login(admin.user)
    response = client.post(reverse("exercises:protocol_create"), {"name": "Our flexion"})
    draft = Protocol.objects.get(clinic=admin.clinic)
    assert (draft.status, draft.version) == ("draft", 1)
    edit_url = reverse("exercises:protocol_update", kwargs={"protocol_id": draft.pk})
    assert response["Location"] == edit_url
    assert client.get(edit_url).status_code == HTTPStatus.OK

    exercises = [ExerciseFactory(clinic=admin.clinic), ExerciseFactory(), ExerciseFactory()]
    counter = ExerciseFactory(direction=Exercise.Direction.EXTENSION)
    response = client.post(edit_url, stage_answers(exercises, counter, **{"stages-1-reps": "12"}))
    assert response.status_code == HTTPStatus.FOUND
    stages = list(draft.stages.order_by("number"))
    assert [(s.number, s.exercise, s.reps) for s in stages] == [
        (1, exercises[0], 10),
        (2, exercises[1], 12),
        (3, exercises[2], 10),
    ]
    assert list(stages[0].counter_movements.all()) == [counter]

    publish = reverse("exercises:protocol_publish", kwargs={"protocol_id": draft.pk})
    assert client.post(publish).status_code == HTTPStatus.FOUND
    draft.refresh_from_db()
    assert draft.status == "published"
    assert draft.published_at is not None


@pytest.mark.parametrize(
    "changes",
    [
        {"stages-0-reps": "31"},
        {"stages-2-counter_movement_reps": "9"},
        {"stages-1-exercise": "999999"},
        {"stages-TOTAL_FORMS": "2"},
        {"stages-TOTAL_FORMS": ""},
        {"name": ""},
    ],
)
def test_bad_stage_answers_re_render_with_400(client, admin, objects, changes):
    client.force_login(admin.user)
    exercises = [ExerciseFactory(clinic=admin.clinic) for _ in range(3)]
    counter = ExerciseFactory(direction=Exercise.Direction.EXTENSION)
    url = url_for("exercises:protocol_update", "draft", objects)
    before = list(ProtocolStage.objects.filter(protocol=objects["draft"]).values())
    response = client.post(url, stage_answers(exercises, counter, **changes))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(ProtocolStage.objects.filter(protocol=objects["draft"]).values()) == before


def test_a_stage_cannot_use_another_clinics_exercise(client, admin, objects):
    client.force_login(admin.user)
    foreign = ExerciseFactory(clinic=ClinicFactory())
    exercises = [foreign, ExerciseFactory(), ExerciseFactory()]
    counter = ExerciseFactory(direction=Exercise.Direction.EXTENSION)
    url = url_for("exercises:protocol_update", "draft", objects)
    response = client.post(url, stage_answers(exercises, counter))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "exercise" in response.context["formset"].forms[0].errors


def test_a_published_protocol_is_not_edited(client, admin, objects):
    client.force_login(admin.user)
    response = client.get(url_for("exercises:protocol_update", "published", objects), follow=True)
    assert ProtocolReadOnly.NOT_DRAFT in response.content.decode()


def test_publishing_without_three_stages_is_refused_with_the_message(client, admin):
    client.force_login(admin.user)
    draft = ProtocolFactory(clinic=admin.clinic, status="draft", published_at=None)
    ProtocolStageFactory(protocol=draft, number=1)
    url = reverse("exercises:protocol_publish", kwargs={"protocol_id": draft.pk})
    response = client.post(url, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert ProtocolInvalid.STAGES in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_new_version_then_publish_retires_the_previous_one(client, admin, objects):
    client.force_login(admin.user)
    v1 = objects["published"]
    response = client.post(url_for("exercises:protocol_new_version", "published", objects))
    v2 = Protocol.objects.get(clinic=admin.clinic, slug=v1.slug, version=2)
    assert response["Location"] == reverse(
        "exercises:protocol_update", kwargs={"protocol_id": v2.pk}
    )
    assert (v2.status, v2.stages.count()) == ("draft", 3)
    client.post(reverse("exercises:protocol_publish", kwargs={"protocol_id": v2.pk}))
    statuses = dict(Protocol.objects.filter(slug=v1.slug).values_list("pk", "status"))
    assert statuses == {v1.pk: "retired", v2.pk: "published", objects["shipped"].pk: "published"}


def test_make_a_clinic_copy_of_a_shipped_protocol(client, admin, objects):
    client.force_login(admin.user)
    response = client.post(url_for("exercises:protocol_copy", "shipped", objects))
    assert response.status_code == HTTPStatus.FOUND
    copy = Protocol.objects.get(clinic=admin.clinic, slug="flex", status="draft")
    assert (copy.version, copy.stages.count()) == (2, 3)
    again = client.post(url_for("exercises:protocol_copy", "shipped", objects), follow=True)
    assert ProtocolReadOnly.DRAFT_EXISTS in again.content.decode()
    assert Protocol.objects.filter(clinic=admin.clinic, status="draft", slug="flex").count() == 1


def test_protocol_list_shows_the_admin_actions_only_to_the_admin(client, admin, therapist, objects):
    copy_url = url_for("exercises:protocol_copy", "shipped", objects)
    client.force_login(admin.user)
    page = client.get(reverse("exercises:protocol_list")).content.decode()
    assert copy_url in page
    assert "Shipped · read-only" in page
    client.force_login(therapist.user)
    page = client.get(reverse("exercises:protocol_list")).content.decode()
    assert copy_url not in page
