"""The seeded exercise catalog: exercises described by the source articles, in the project's own
words. Doses follow the articles where they give one; a ``# default`` comment marks the rest."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ExerciseSeed:
    """One catalog exercise as shipped with Stagewise."""

    slug: str  # stable key, kebab-case, never changes once published
    name: str
    # one of: "supine", "prone", "seated", "floor_sitting", "standing", "kneeling",
    # "hands_and_knees"
    position: str
    direction: str  # one of: "flexion", "extension", "side_bending", "rotation", "alternating"
    summary: str  # one sentence: what it does and for whom
    steps: tuple[str, ...]
    cautions: tuple[str, ...]
    reps: int  # default repetitions per set
    hold_seconds: int  # 0 when there is no hold
    sets: int  # sets per session, usually 1
    times_per_day: int  # default sessions per day
    # path relative to static/, e.g. "exercises/illustrations/supine-knee-to-chest.svg"
    illustration: str


@dataclass(frozen=True)
class ProtocolStageSeed:
    """One stage of a seeded progression protocol."""

    number: int  # 1, 2, 3
    exercise_slug: str
    reps: int
    hold_seconds: int
    sets: int
    times_per_day: int
    # optional extension counter-movements offered at this stage
    counter_movement_slugs: tuple[str, ...]
    # 1 or 2 (source: R3 in the clinical spec: 1–2 press-ups or backbends after flexion)
    counter_movement_reps: int
    guidance: str  # one or two sentences to the patient on this stage, own words


@dataclass(frozen=True)
class ProtocolSeed:
    """A seeded progression protocol: ordered stages, each one exercise with its dosage."""

    slug: str
    name: str
    description: str
    stages: tuple[ProtocolStageSeed, ...]


def _illustration(slug: str) -> str:
    return f"exercises/illustrations/{slug}.svg"


# Cautions shared by several exercises. Stop signals and the flexion warnings come from the
# source articles; numbness/weakness and osteoporosis/compression fracture come from the clinical
# spec (clinical-rules.md R4, R5, R-STOP-1, R-STOP-3), extension with stenosis from its R31.
_STOP_IF_LEG = (
    "Stop and contact your physiotherapist if pain spreads into your buttock, "
    "thigh or further down your leg."
)
_STOP_IF_NERVE = (
    "Stop and contact your physiotherapist if you notice new or worse numbness, "
    "tingling or weakness in a leg or foot."
)
_CENTRALISING = (
    "Leg symptoms that ease, or pull back towards your lower back, are a good sign. "
    "If your pain builds up instead, stop and check with your physiotherapist."
)
_ACUTE_DISC = (
    "Do not do this during the early, acute stage of a slipped (herniated) disc unless "
    "your physiotherapist has said it is right for you."
)
_BONE = (
    "If you have osteoporosis or a compression fracture in your spine, only do this once "
    "your physiotherapist has said it is safe for you."
)
_EXT_WORSE = (
    "Stop and contact your physiotherapist if this makes your pain worse or spreads it "
    "into your buttock, thigh or leg."
)
_EXT_GENTLE = "Arching too far can stir up your symptoms, so never push into pain."
_EXT_STENOSIS = (
    "If you have been told you have spinal stenosis or spondylolisthesis, check with your "
    "physiotherapist before doing this one."
)
_PRONE_TOO_SORE = (
    "If lying on your front is too painful, leave this one out for now and let your "
    "physiotherapist know."
)

CATALOG: tuple[ExerciseSeed, ...] = (
    ExerciseSeed(
        slug="supine-knee-to-chest",
        name="Both knees to chest (lying on your back)",
        position="supine",
        direction="flexion",
        summary=(
            "Stage 1 of the flexion programme: lying on your back, you draw both knees up to "
            "gently round your lower back, the lowest-load way to start bending forward."
        ),
        steps=(
            "Lie on your back on a mat or carpet. A soft mattress gives too little support.",
            "Bend your knees and put your feet flat on the floor.",
            "Slowly bend both legs in until your knees are over your chest.",
            "Wrap your hands around your shins and gently draw your knees closer.",
            "If your knees hurt, hold behind your thighs instead.",
            "Stay there for 3 seconds.",
            "Gently let your feet come back down to the floor.",
        ),
        cautions=(_STOP_IF_LEG, _STOP_IF_NERVE, _CENTRALISING, _ACUTE_DISC, _BONE),
        reps=10,
        hold_seconds=3,
        sets=1,  # default: not given in the sources
        times_per_day=4,  # default: not given in the sources as a number ("several a day")
        illustration=_illustration("supine-knee-to-chest"),
    ),
    ExerciseSeed(
        slug="single-knee-hug",
        name="Single knee hug",
        position="supine",
        direction="flexion",
        summary=(
            "A gentle knee hug, one leg at a time, that eases a sore lower back and also works "
            "in bed when getting down to the floor is too painful."
        ),
        steps=(
            "Lie on your back on the floor or on a firm bed.",
            "Bend both knees and put your feet flat.",
            "Slowly bring one knee up towards your chest.",
            "Hold that shin with both hands and ease the knee a little closer.",
            "Stay there for 3 seconds.",
            "Slowly put that foot back down.",
            "Do the same with the other leg, swapping legs each time.",
        ),
        cautions=(_STOP_IF_LEG, _STOP_IF_NERVE, _CENTRALISING, _ACUTE_DISC, _BONE),
        reps=10,  # default: not given in the sources (both legs counted, 5 each)
        hold_seconds=3,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=2,  # default: not given in the sources
        illustration=_illustration("single-knee-hug"),
    ),
    ExerciseSeed(
        slug="seated-flexion",
        name="Forward bend on a chair",
        position="seated",
        direction="flexion",
        summary=(
            "Stage 2 of the flexion programme: bending forward from a chair, where gravity adds "
            "a little more bend than lying down, for once the lying version is easy."
        ),
        steps=(
            "Sit on a steady chair with both feet on the floor.",
            "Slowly lean forward and let your back round.",
            "Let your hands hang down to the floor, between your feet.",
            "Stay there for 3 seconds.",
            "Slowly sit back up tall.",
            "For a little more stretch, hold your ankles and pull gently, if your "
            "physiotherapist agrees.",
        ),
        cautions=(
            "Only start this once bending while lying on your back feels easy and pain-free.",
            "If this hurts more than the lying version, go back to that one and tell your "
            "physiotherapist.",
            _STOP_IF_LEG,
            _STOP_IF_NERVE,
            _ACUTE_DISC,
            _BONE,
        ),
        reps=10,  # default: not given in the sources
        hold_seconds=3,
        sets=1,  # default: not given in the sources
        times_per_day=4,  # default: not given in the sources (the programme's flare frequency)
        illustration=_illustration("seated-flexion"),
    ),
    ExerciseSeed(
        slug="standing-flexion",
        name="Standing forward bend",
        position="standing",
        direction="flexion",
        summary=(
            "Stage 3 of the flexion programme: bending forward from standing, which gives your "
            "back the most bend and stretches the back of your thighs too."
        ),
        steps=(
            "Stand with your feet about hip-width apart.",
            "Slowly bend forward and let your back round.",
            "Reach your hands down towards your toes, as far as is comfortable.",
            "Stay there for 2 seconds.",
            "Slowly come back up to standing.",
            "The first few times, bend only a little, then go a bit further each time.",
        ),
        cautions=(
            "Only start this once bending lying down and sitting both feel easy and pain-free.",
            "If this is painful, go back to the chair version and tell your physiotherapist.",
            "A tight, spasming back can make it hard to straighten up again, so only go as far "
            "as you know you can come back from.",
            _STOP_IF_LEG,
            _STOP_IF_NERVE,
            _ACUTE_DISC,
            _BONE,
        ),
        reps=10,
        hold_seconds=2,
        sets=1,  # default: not given in the sources
        times_per_day=4,  # default: not given in the sources (the programme's flare frequency)
        illustration=_illustration("standing-flexion"),
    ),
    ExerciseSeed(
        slug="prone-press-up",
        name="Press-up lying on your front",
        position="prone",
        direction="extension",
        summary=(
            "A backward-bending exercise where you push your upper body up with your arms; "
            "your physiotherapist may ask for 1–2 right after a flexion set to balance it."
        ),
        steps=(
            "Lie face down on the floor.",
            "Put your hands flat on the floor beside your shoulders.",
            "Slowly straighten your arms to lift your chest.",
            "Keep your hips and legs relaxed on the floor.",
            "Go only as high as is comfortable.",
            "Slowly lower yourself back down.",
        ),
        cautions=(_EXT_WORSE, _STOP_IF_NERVE, _PRONE_TOO_SORE, _EXT_GENTLE, _EXT_STENOSIS),
        reps=10,  # default: not given in the sources (they give 1–2 only after flexion)
        hold_seconds=0,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=1,  # default: not given in the sources
        illustration=_illustration("prone-press-up"),
    ),
    ExerciseSeed(
        slug="prone-lying-extension",
        name="Lying on your front, up on your forearms",
        position="prone",
        direction="extension",
        summary=(
            "A gentle backward bend where you lift your chest onto your forearms while lying on "
            "your front; it may also be used after a flexion set to balance it."
        ),
        steps=(
            "Lie face down on the floor.",
            "Rest your forearms on the floor in front of you.",
            "Slowly lift your chest and bring your elbows under your shoulders.",
            "Keep your hips on the floor and let your lower back relax.",
            "Stay there for 5 seconds.",
            "Slowly lower your chest back down.",
            "Each time, lift a little higher only if it stays comfortable.",
        ),
        cautions=(_EXT_WORSE, _STOP_IF_NERVE, _PRONE_TOO_SORE, _EXT_GENTLE, _EXT_STENOSIS),
        reps=5,  # default: not given in the sources
        hold_seconds=5,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=1,  # default: not given in the sources
        illustration=_illustration("prone-lying-extension"),
    ),
    ExerciseSeed(
        slug="standing-backbend",
        name="Standing backbend",
        position="standing",
        direction="extension",
        summary=(
            "A small backward lean with your hands on your hips, easy to do anywhere; your "
            "physiotherapist may ask for 1–2 right after a flexion set to balance it."
        ),
        steps=(
            "Stand tall with your feet hip-width apart.",
            "Put your hands on the back of your hips.",
            "Slowly lean your upper body back a little.",
            "Come back to standing upright.",
        ),
        cautions=(_EXT_WORSE, _STOP_IF_NERVE, _EXT_GENTLE, _EXT_STENOSIS),
        reps=10,  # default: not given in the sources (they give 1–2 only after flexion)
        hold_seconds=0,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=1,  # default: not given in the sources
        illustration=_illustration("standing-backbend"),
    ),
    ExerciseSeed(
        slug="kneeling-extension",
        name="Kneeling backbend",
        position="kneeling",
        direction="extension",
        summary=(
            "The same gentle backward lean as the standing backbend, done while kneeling; it may "
            "also be used after a flexion set to balance it."
        ),
        steps=(
            "Kneel upright on a mat or cushion.",
            "Put your hands on your hips.",
            "Slowly lean your upper body back a little.",
            "Come back to kneeling upright.",
            "Start with a small lean and go a little further each time if it feels fine.",
        ),
        cautions=(
            _EXT_WORSE,
            _STOP_IF_NERVE,
            _EXT_GENTLE,
            _EXT_STENOSIS,
            "If kneeling hurts your knees, do the standing backbend instead.",
        ),
        reps=5,  # default: not given in the sources
        hold_seconds=0,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=1,  # default: not given in the sources
        illustration=_illustration("kneeling-extension"),
    ),
    ExerciseSeed(
        slug="standing-side-bend",
        name="Standing side bend",
        position="standing",
        direction="side_bending",
        summary=(
            "Leaning slowly from side to side while standing, to loosen a stiff lower back and "
            "settle muscle spasm."
        ),
        steps=(
            "Stand tall with your feet apart and your arms by your sides.",
            "Slowly slide your right hand down the outside of your right leg.",
            "Let your upper body lean over with it.",
            "Come back up to the middle.",
            "Now slide your left hand down your left leg.",
            "Keep going side to side until your back feels looser.",
        ),
        cautions=(
            _STOP_IF_LEG,
            _STOP_IF_NERVE,
            "Lean only as far as feels comfortable. The aim is easy movement, not a deep stretch.",
        ),
        reps=10,  # default: not given in the sources (both sides counted, 5 each)
        hold_seconds=0,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=2,  # default: not given in the sources
        illustration=_illustration("standing-side-bend"),
    ),
    ExerciseSeed(
        slug="supine-knee-sways",
        name="Knee sways lying on your back",
        position="supine",
        direction="rotation",
        summary=(
            "A very gentle way to get a stiff or long-painful back moving again: lying on your "
            "back, you let your bent knees sway from side to side."
        ),
        steps=(
            "Lie on your back with your knees bent and feet flat.",
            "Rest your arms on the floor, out to the sides.",
            "Keeping your knees together, let them tip slowly to one side.",
            "Bring them back to the middle.",
            "Let them tip slowly to the other side.",
            "Keep the movement small and easy.",
        ),
        cautions=(
            _STOP_IF_LEG,
            _STOP_IF_NERVE,
            "Keep your shoulders on the floor and sway only as far as is comfortable.",
        ),
        reps=10,  # default: not given in the sources (both sides counted, 5 each)
        hold_seconds=0,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=2,  # default: not given in the sources
        illustration=_illustration("supine-knee-sways"),
    ),
    ExerciseSeed(
        slug="cat-cow",
        name="Cat and cow",
        position="hands_and_knees",
        direction="alternating",
        summary=(
            "On hands and knees, you slowly round your back up and then let it dip, to ease "
            "stiffness along your whole spine."
        ),
        steps=(
            "Get onto your hands and knees on a mat.",
            "Put your hands under your shoulders and your knees under your hips.",
            "Slowly round your back up towards the ceiling and let your head drop.",
            "Then let your back sink gently and lift your head a little.",
            "Keep moving slowly between the two.",
        ),
        cautions=(
            _STOP_IF_LEG,
            _STOP_IF_NERVE,
            "If letting your back dip hurts, keep that part small or leave it out.",
            _ACUTE_DISC,
            _BONE,
        ),
        reps=10,  # default: not given in the sources (one round plus one dip = 1)
        hold_seconds=0,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=2,  # default: not given in the sources
        illustration=_illustration("cat-cow"),
    ),
    ExerciseSeed(
        slug="seated-forward-bend",
        name="Forward bend sitting on the floor",
        position="floor_sitting",
        direction="flexion",
        summary=(
            "Sitting on the floor with your legs out straight, you reach towards your toes to "
            "stretch your back and the back of your thighs."
        ),
        steps=(
            "Sit tall on the floor with your legs straight out in front of you.",
            "Rest your hands on your thighs.",
            "Slowly lean forward and let your back round.",
            "Slide your hands along your legs towards your toes.",
            "Stay there for 10 seconds.",
            "Slowly sit back up.",
            "Reach only as far as is comfortable. Touching your toes does not matter.",
        ),
        cautions=(_STOP_IF_LEG, _STOP_IF_NERVE, _CENTRALISING, _ACUTE_DISC, _BONE),
        reps=5,  # default: not given in the sources
        hold_seconds=10,  # default: not given in the sources
        sets=1,  # default: not given in the sources
        times_per_day=2,  # default: not given in the sources
        illustration=_illustration("seated-forward-bend"),
    ),
)

_COUNTER_MOVEMENTS = ("prone-press-up", "standing-backbend")

FLEXION_PROTOCOL = ProtocolSeed(
    slug="lumbar-flexion-progression",
    name="Lumbar flexion progression",
    description=(
        "Forward bending in three steps that each ask a little more of your back: first lying "
        "on your back, then sitting, then standing. Move on to the next step only once the one "
        "you are on feels easy and pain-free, and go back a step if the new one is painful."
    ),
    stages=(
        ProtocolStageSeed(
            number=1,
            exercise_slug="supine-knee-to-chest",
            reps=10,
            hold_seconds=3,
            sets=1,
            times_per_day=4,  # clinical-rules freq_flare ("several times a day")
            counter_movement_slugs=_COUNTER_MOVEMENTS,
            counter_movement_reps=2,  # the PT may set 1–2
            guidance=(
                "Lying on your back is the gentlest way to bend your lower back, so everyone "
                "starts here. Your physiotherapist will suggest the next step once this feels "
                "easy and pain-free."
            ),
        ),
        ProtocolStageSeed(
            number=2,
            exercise_slug="seated-flexion",
            reps=10,
            hold_seconds=3,
            sets=1,
            times_per_day=4,  # clinical-rules freq_flare
            counter_movement_slugs=_COUNTER_MOVEMENTS,
            counter_movement_reps=2,  # the PT may set 1–2
            guidance=(
                "Sitting lets gravity add a little more bend. If it hurts more than lying down "
                "did, go back to stage 1 and let your physiotherapist know."
            ),
        ),
        ProtocolStageSeed(
            number=3,
            exercise_slug="standing-flexion",
            reps=10,
            hold_seconds=2,
            sets=1,
            times_per_day=4,  # clinical-rules freq_flare
            counter_movement_slugs=_COUNTER_MOVEMENTS,
            counter_movement_reps=2,  # the PT may set 1–2
            guidance=(
                "Standing gives your back the most bend. Start with small bends and go deeper "
                "over time; if it is painful, go back to the chair stage and tell your "
                "physiotherapist."
            ),
        ),
    ),
)
