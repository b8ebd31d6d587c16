"""The shipped catalog: complete, illustrated with valid SVG, and safe to seed twice."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from exercises.catalog import CATALOG, FLEXION_PROTOCOL
from exercises.models import Exercise, Protocol, ProtocolStage

pytestmark = pytest.mark.django_db

SVG_NS = "{http://www.w3.org/2000/svg}"
EXPECTED_SLUGS = {
    "supine-knee-to-chest",
    "single-knee-hug",
    "seated-flexion",
    "standing-flexion",
    "prone-press-up",
    "prone-lying-extension",
    "standing-backbend",
    "kneeling-extension",
    "standing-side-bend",
    "supine-knee-sways",
    "cat-cow",
    "seated-forward-bend",
}


def counts() -> tuple[int, int, int]:
    return Exercise.objects.count(), Protocol.objects.count(), ProtocolStage.objects.count()


def test_seed_catalog_twice_gives_the_same_rows():
    call_command("seed_catalog", verbosity=0)
    first = counts()
    call_command("seed_catalog", verbosity=0)
    assert counts() == first == (len(CATALOG), 1, 3)


def test_catalog_has_every_exercise_of_the_articles():
    call_command("seed_catalog", verbosity=0)
    assert set(Exercise.objects.values_list("slug", flat=True)) == EXPECTED_SLUGS


@pytest.mark.parametrize("seed", CATALOG, ids=lambda s: s.slug)
def test_every_exercise_has_a_valid_svg_illustration(seed):
    path = Path(settings.BASE_DIR) / "static" / seed.illustration
    assert path.is_file(), path
    root = ET.parse(path).getroot()  # noqa: S314 (our own file)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox")
    assert root.find(f"{SVG_NS}title") is not None
    text = path.read_text()
    assert "<script" not in text
    assert 'href="http' not in text


@pytest.mark.parametrize("seed", CATALOG, ids=lambda s: s.slug)
def test_every_exercise_has_steps_cautions_and_a_dose(seed):
    assert len(seed.steps) >= 2
    assert seed.cautions
    assert 1 <= seed.reps <= 30
    assert 1 <= seed.times_per_day <= 8


def test_flexion_protocol_is_published_lying_sitting_standing():
    call_command("seed_catalog", verbosity=0)
    protocol = Protocol.objects.get(slug=FLEXION_PROTOCOL.slug)
    assert protocol.status == Protocol.Status.PUBLISHED
    stages = list(protocol.stages.order_by("number"))
    assert [s.exercise.slug for s in stages] == [
        "supine-knee-to-chest",
        "seated-flexion",
        "standing-flexion",
    ]
    assert (stages[0].reps, stages[0].hold_seconds) == (10, 3)
    for stage in stages:
        assert set(stage.counter_movements.values_list("slug", flat=True)) == {
            "prone-press-up",
            "standing-backbend",
        }
        assert 1 <= stage.counter_movement_reps <= 2


def test_reseeding_restores_edited_shipped_text_but_keeps_protocol_version():
    call_command("seed_catalog", verbosity=0)
    Exercise.objects.filter(slug="cat-cow").update(name="Edited")
    call_command("seed_catalog", verbosity=0)
    assert Exercise.objects.get(slug="cat-cow").name != "Edited"
    assert Protocol.objects.get(slug=FLEXION_PROTOCOL.slug).version == 1
