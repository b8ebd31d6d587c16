"""The seeded exercise catalog: exercises described by the source articles, in the project's own
words. Doses follow the articles where they give one; a ``# default`` comment marks our choice.
"""

from dataclasses import dataclass

ILLUSTRATIONS = "exercises/illustrations"

STOP_IF_LEG = (
    "Stop and contact your physiotherapist if pain spreads further into your buttock, thigh or "
    "leg, or if you notice new numbness, tingling or weakness."
)
FLEXION_AVOID = (
    "Do not start this if you have been told you have a recent (acute) disc herniation, a "
    "spinal fracture or weak bones (osteoporosis), unless your physiotherapist has cleared you."
)
EXTENSION_CAUTION = (
    "If you have spinal stenosis or a slipped vertebra (spondylolisthesis), only do this if "
    "your physiotherapist has said so: bending backwards can irritate these."
)
GO_EASY = "Move slowly and stay within a comfortable range: this should never be forced."


@dataclass(frozen=True)
class ExerciseSeed:
    """One catalog exercise as shipped with Stagewise."""

    slug: str  # stable key, kebab-case, never changes once published
    name: str
    position: str  # supine, prone, seated, floor_sitting, standing, kneeling, hands_and_knees
    direction: str  # flexion, extension, side_bending, rotation, alternating
    summary: str  # one sentence: what it does and for whom
    steps: tuple[str, ...]
    cautions: tuple[str, ...]
    reps: int  # default repetitions per set
    hold_seconds: int  # 0 when there is no hold
    sets: int  # sets per session, usually 1
    times_per_day: int  # default sessions per day
    illustration: str  # path relative to static/


@dataclass(frozen=True)
class ProtocolStageSeed:
    """One stage of a seeded progression protocol."""

    number: int
    exercise_slug: str
    reps: int
    hold_seconds: int
    sets: int
    times_per_day: int
    counter_movement_slugs: tuple[str, ...]  # extension movements offered after each set
    counter_movement_reps: int  # 1–2 after flexion (clinical spec R3)
    guidance: str  # one or two sentences to the patient about this stage


@dataclass(frozen=True)
class ProtocolSeed:
    """A staged protocol shipped with Stagewise."""

    slug: str
    name: str
    description: str
    stages: tuple[ProtocolStageSeed, ...]


def _svg(slug: str) -> str:
    return f"{ILLUSTRATIONS}/{slug}.svg"


CATALOG: tuple[ExerciseSeed, ...] = (
    ExerciseSeed(
        slug="supine-knee-to-chest",
        name="Knees to chest, lying down",
        position="supine",
        direction="flexion",
        summary=(
            "Rounds the lower back with the least load on the spine: the first step of the "
            "flexion programme."
        ),
        steps=(
            "Lie on your back on a firm, padded surface such as a mat on the floor.",
            "Bend your knees and rest your feet flat.",
            "Slowly lift both knees towards your chest.",
            "Hold your shins and draw your knees in gently (hold behind your thighs instead if "
            "your knees hurt).",
            "Stay there for 3 seconds.",
            "Lower your feet back to the floor slowly, one at a time.",
        ),
        cautions=(
            STOP_IF_LEG,
            "Keep going only if your symptoms ease or move towards the middle of your back.",
            FLEXION_AVOID,
            "A soft bed lets you sink; use the floor or a firm mattress.",
        ),
        reps=10,
        hold_seconds=3,
        sets=1,
        times_per_day=4,  # "several times a day" in a flare; 4 is the rules' flare default
        illustration=_svg("supine-knee-to-chest"),
    ),
    ExerciseSeed(
        slug="single-knee-hug",
        name="Single knee hug",
        position="supine",
        direction="flexion",
        summary=(
            "A gentler knee hug, one leg at a time; it can even be done in bed when pain is high."
        ),
        steps=(
            "Lie on your back with both knees bent and feet flat.",
            "Lift one knee towards your chest and hold your shin with both hands.",
            "Draw it in gently until you feel an easy stretch in your lower back.",
            "Hold for a moment, then lower the foot to the floor.",
            "Repeat with the other leg.",
        ),
        cautions=(STOP_IF_LEG, FLEXION_AVOID),
        reps=10,  # default: not given in the sources
        hold_seconds=3,  # default: not given in the sources
        sets=1,
        times_per_day=2,  # default: not given in the sources
        illustration=_svg("single-knee-hug"),
    ),
    ExerciseSeed(
        slug="seated-flexion",
        name="Seated forward bend on a chair",
        position="seated",
        direction="flexion",
        summary=(
            "Bending forward while sitting adds a little body weight to the stretch: the "
            "second step, once the lying version is easy and pain-free."
        ),
        steps=(
            "Sit towards the front of a steady chair with your feet flat and apart.",
            "Slowly bend forward, letting your hands slide down towards the floor between "
            "your feet.",
            "For a little more stretch, hold your ankles and pull gently.",
            "Stay for 2 to 3 seconds.",
            "Use your hands on your thighs to help you sit back up slowly.",
        ),
        cautions=(
            STOP_IF_LEG,
            "If your back pain rises during or after the set, go back to the lying version "
            "and tell your physiotherapist.",
            FLEXION_AVOID,
        ),
        reps=10,  # default: not given in the sources
        hold_seconds=3,
        sets=1,
        times_per_day=4,  # default: the rules' flare frequency
        illustration=_svg("seated-flexion"),
    ),
    ExerciseSeed(
        slug="standing-flexion",
        name="Standing forward bend",
        position="standing",
        direction="flexion",
        summary=(
            "Bending forward from standing puts the most load through the back: the last step, "
            "once sitting is easy and pain-free. It also stretches the hamstrings."
        ),
        steps=(
            "Stand with your feet about hip-width apart and your knees soft.",
            "Slowly bend forward, reaching your hands down your legs towards your toes.",
            "Go only as far as is comfortable and stay for 1 to 3 seconds.",
            "Come back up slowly, using your hands on your thighs if you need to.",
        ),
        cautions=(
            STOP_IF_LEG,
            "Start with a small bend and go a little further each time, so you are sure you "
            "can straighten up again, especially if your back muscles are in spasm.",
            "If it hurts, go back to the seated version and tell your physiotherapist.",
            FLEXION_AVOID,
        ),
        reps=10,
        hold_seconds=2,
        sets=1,
        times_per_day=4,  # default: the rules' flare frequency
        illustration=_svg("standing-flexion"),
    ),
    ExerciseSeed(
        slug="prone-press-up",
        name="Press-up lying on your front",
        position="prone",
        direction="extension",
        summary=(
            "Arches the lower back by pushing the upper body up; 1–2 after each flexion set "
            "balance the forward bending."
        ),
        steps=(
            "Lie on your front with your hands flat under your shoulders.",
            "Keep your hips and legs relaxed on the floor.",
            "Straighten your arms slowly to lift your chest, letting your lower back sag.",
            "Pause briefly, then lower yourself down again.",
        ),
        cautions=(
            STOP_IF_LEG,
            EXTENSION_CAUTION,
            "If lying on your front is already painful, skip this and tell your physiotherapist.",
        ),
        reps=10,  # default: not given for standalone use; 1–2 after flexion in the programme
        hold_seconds=1,  # default: not given in the sources
        sets=1,
        times_per_day=1,  # default: not given in the sources
        illustration=_svg("prone-press-up"),
    ),
    ExerciseSeed(
        slug="prone-lying-extension",
        name="Lying on your front, propped on the forearms",
        position="prone",
        direction="extension",
        summary=(
            "A slow, small backward arch lying on the front, resting on the forearms; built "
            "up bit by bit, it can follow a flexion set."
        ),
        steps=(
            "Lie on your front with your forearms on the floor in front of you.",
            "Slowly lift your head and chest, taking your weight onto your forearms.",
            "Let your lower back relax and sag; go only a little further each time.",
            "Lower back down gently and rest.",
        ),
        cautions=(
            "If simply lying on your front hurts, leave this one out for now.",
            EXTENSION_CAUTION,
            GO_EASY,
        ),
        reps=5,  # default: not given in the sources
        hold_seconds=2,  # default: not given in the sources
        sets=1,
        times_per_day=1,  # default: not given in the sources
        illustration=_svg("prone-lying-extension"),
    ),
    ExerciseSeed(
        slug="standing-backbend",
        name="Standing backbend",
        position="standing",
        direction="extension",
        summary=(
            "A short lean backwards with hands on the hips; 1–2 after a flexion set balance "
            "the forward bending and can be done anywhere."
        ),
        steps=(
            "Stand with your feet apart and your hands on your hips or lower back.",
            "Lean back slightly from the waist, keeping your knees straight.",
            "Hold for a moment, then return to upright.",
        ),
        cautions=(STOP_IF_LEG, EXTENSION_CAUTION, GO_EASY),
        reps=5,  # default: not given for standalone use; 1–2 after flexion in the programme
        hold_seconds=1,  # default: not given in the sources
        sets=1,
        times_per_day=1,  # default: not given in the sources
        illustration=_svg("standing-backbend"),
    ),
    ExerciseSeed(
        slug="kneeling-extension",
        name="Kneeling backbend",
        position="kneeling",
        direction="extension",
        summary=(
            "A gentle backward lean from kneeling, for people who find lying on the front "
            "hard; can follow a flexion set."
        ),
        steps=(
            "Kneel upright on a cushion or mat, knees hip-width apart.",
            "Put your hands on your hips.",
            "Lean back gently from the waist, only as far as is comfortable.",
            "Come back to upright slowly.",
        ),
        cautions=(EXTENSION_CAUTION, "Going too far back can flare your symptoms.", GO_EASY),
        reps=5,  # default: not given in the sources
        hold_seconds=1,  # default: not given in the sources
        sets=1,
        times_per_day=1,  # default: not given in the sources
        illustration=_svg("kneeling-extension"),
    ),
    ExerciseSeed(
        slug="standing-side-bend",
        name="Standing side bend",
        position="standing",
        direction="side_bending",
        summary="Leaning slowly to each side to get a stiff lower back moving again.",
        steps=(
            "Stand with your feet apart and your arms by your sides.",
            "Slide one hand slowly down the side of that leg, letting your body lean with it.",
            "Come back to upright.",
            "Repeat to the other side.",
        ),
        cautions=(STOP_IF_LEG, GO_EASY),
        reps=5,  # default: "several times" each side in the sources
        hold_seconds=0,
        sets=1,
        times_per_day=1,  # default: not given in the sources
        illustration=_svg("standing-side-bend"),
    ),
    ExerciseSeed(
        slug="supine-knee-sways",
        name="Knee sways",
        position="supine",
        direction="rotation",
        summary=(
            "Rocking bent knees from side to side while lying down: a very gentle way to bring "
            "movement back after a long spell of pain or stiffness."
        ),
        steps=(
            "Lie on your back with your knees bent and your feet flat and together.",
            "Let both knees sway slowly to one side, only a little way.",
            "Bring them back to the middle.",
            "Sway them to the other side, and keep alternating.",
        ),
        cautions=(STOP_IF_LEG, GO_EASY),
        reps=10,  # default: not given in the sources
        hold_seconds=0,
        sets=1,
        times_per_day=2,  # default: not given in the sources
        illustration=_svg("supine-knee-sways"),
    ),
    ExerciseSeed(
        slug="cat-cow",
        name="Cat and cow",
        position="hands_and_knees",
        direction="alternating",
        summary=(
            "On hands and knees, rounding the back up and then letting it dip: loosens the "
            "whole spine."
        ),
        steps=(
            "Kneel on all fours, hands under your shoulders and knees under your hips.",
            "Round your back up towards the ceiling and let your head drop (the cat).",
            "Then let your back sag gently and lift your head a little (the cow).",
            "Move slowly between the two.",
        ),
        cautions=(STOP_IF_LEG, EXTENSION_CAUTION, GO_EASY),
        reps=10,  # default: not given in the sources
        hold_seconds=0,
        sets=1,
        times_per_day=1,  # default: not given in the sources
        illustration=_svg("cat-cow"),
    ),
    ExerciseSeed(
        slug="seated-forward-bend",
        name="Forward bend sitting on the floor",
        position="floor_sitting",
        direction="flexion",
        summary=(
            "Sitting on the floor with legs out straight and reaching towards the toes; "
            "stretches the back and the hamstrings."
        ),
        steps=(
            "Sit on the floor with your legs out in front of you.",
            "Reach slowly forward towards your toes, keeping your knees soft.",
            "Stop at a comfortable stretch and hold it for a few seconds.",
            "Sit back up slowly.",
        ),
        cautions=(STOP_IF_LEG, FLEXION_AVOID, GO_EASY),
        reps=5,  # default: not given in the sources
        hold_seconds=5,  # default: not given in the sources
        sets=1,
        times_per_day=1,  # default: not given in the sources
        illustration=_svg("seated-forward-bend"),
    ),
)

_COUNTER = ("prone-press-up", "standing-backbend")

FLEXION_PROTOCOL = ProtocolSeed(
    slug="lumbar-flexion-progression",
    name="Lumbar flexion progression",
    description=(
        "Forward bending in three positions, from least to most load on the back: lying, then "
        "sitting, then standing. The patient moves on only when the current position has been "
        "easy and pain-free for several days, and goes back a step when it hurts. One or two "
        "extension movements after each set can balance the forward bending."
    ),
    stages=(
        ProtocolStageSeed(
            number=1,
            exercise_slug="supine-knee-to-chest",
            reps=10,
            hold_seconds=3,
            sets=1,
            times_per_day=4,
            counter_movement_slugs=_COUNTER,
            counter_movement_reps=2,
            guidance=(
                "Lying down is the gentlest way to bend your back. Stay with it until it feels "
                "easy and your symptoms have settled each morning."
            ),
        ),
        ProtocolStageSeed(
            number=2,
            exercise_slug="seated-flexion",
            reps=10,
            hold_seconds=3,
            sets=1,
            times_per_day=4,
            counter_movement_slugs=_COUNTER,
            counter_movement_reps=2,
            guidance=(
                "Sitting adds a little of your body weight to the bend. If it hurts, go back "
                "to the lying version and let your physiotherapist know."
            ),
        ),
        ProtocolStageSeed(
            number=3,
            exercise_slug="standing-flexion",
            reps=10,
            hold_seconds=2,
            sets=1,
            times_per_day=4,
            counter_movement_slugs=_COUNTER,
            counter_movement_reps=2,
            guidance=(
                "Standing puts the most load through your back. Once this stays easy, your "
                "physiotherapist will reduce how often you need to do it."
            ),
        ),
    ),
)
