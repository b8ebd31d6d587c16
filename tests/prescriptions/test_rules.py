"""Table-driven tests of the flexion progression rules (clinical-rules.md sections 2, 3 and 5).

Database-free. Each case starts from a patient who is doing well at the seated stage (two easy,
pain-free sets a day for eight days, settled every morning) and changes one thing, so every row
reads as the clinical situation it tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from prescriptions.rules import (
    PATIENT_MESSAGES,
    RULE_TEXTS,
    RULES_VERSION,
    Config,
    Context,
    Decision,
    Ease,
    ExtensionEffect,
    FrequencyPhase,
    LocationResponse,
    MorningCheck,
    NeuroChange,
    Outcome,
    PainZone,
    Session,
    Sides,
    Stage,
    SymptomLevel,
    evaluate,
    location_response,
    odi_band,
    odi_gate,
    odi_score,
    pain_zone,
)

TZ = "Europe/London"
ZONE = ZoneInfo(TZ)
TODAY = date(2026, 6, 15)
NONE, BACK, BUTTOCK, THIGH, BELOW_KNEE, FOOT = SymptomLevel
BASE_LOC: Sides = (BUTTOCK, NONE)  # usual symptoms reach the left buttock
BASE_PAIN = 2
NO_CES = (False, False, False, False)


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = ZONE) -> datetime:
    """Local wall-clock time ``day`` days from TODAY."""
    return datetime.combine(TODAY + timedelta(days=day), time(hour, minute), tzinfo=zone)


NOW = at(0, 20)


def make_session(started_at: datetime | None = None, **overrides: Any) -> Session:
    """An easy, complete, pain-free seated set at the usual symptom level, logged at once."""
    start = started_at or at(0, 10)
    fields: dict[str, Any] = {
        "started_at": start,
        "entered_at": (start.astimezone(UTC) + timedelta(minutes=10)).astimezone(start.tzinfo),
        "stage": Stage.SEATED,
        "reps_target": 10,
        "reps_done": 10,
        "pain_pre": 2,
        "pain_during_max": 2,
        "pain_post": 2,
        "loc_pre": BASE_LOC,
        "loc_post": BASE_LOC,
        "ease": Ease.EASY,
        "ces_answers": NO_CES,
    }
    fields.update(overrides)
    return Session(**fields)


def make_context(**overrides: Any) -> Context:
    """A seated-stage patient who started the stage ten days ago."""
    fields: dict[str, Any] = {
        "stage": Stage.SEATED,
        "stage_started_at": at(-10, 8),
        "timezone": TZ,
        "base_pain": BASE_PAIN,
        "base_loc": BASE_LOC,
    }
    fields.update(overrides)
    return Context(**fields)


def morning(day: int, pain: int = BASE_PAIN, loc: Sides = BASE_LOC) -> MorningCheck:
    """A MorningCheck ``day`` days from TODAY, settled at baseline unless told otherwise."""
    return MorningCheck(local_date=TODAY + timedelta(days=day), pain=pain, loc=loc)


def good_history(
    days: Sequence[int] = range(-8, 0), hours: Sequence[int] = (9, 15), **overrides: Any
) -> list[Session]:
    """Qualifying sets at ``hours`` on each of ``days``."""
    return [make_session(at(day, hour), **overrides) for day in days for hour in hours]


def good_mornings(days: Sequence[int] = range(-8, 1), **overrides: Any) -> list[MorningCheck]:
    """Settled mornings on each of ``days`` (today included)."""
    return [morning(day, **overrides) for day in days]


def run(
    sessions: Sequence[Session] | None = None,
    mornings: Sequence[MorningCheck] | None = None,
    context: Context | None = None,
    config: Config | None = None,
    now: datetime = NOW,
) -> Decision:
    """Evaluate, with the good history, settled mornings and a seated context by default."""
    return evaluate(
        context or make_context(),
        good_history() if sessions is None else sessions,
        good_mornings() if mornings is None else mornings,
        config or Config(),
        now=now,
    )


def ids(decision: Decision) -> tuple[str, ...]:
    return tuple(fired.rule_id for fired in decision.fired)


def with_today(**overrides: Any) -> list[Session]:
    """The good history plus one set at 10:00 today with ``overrides``."""
    return [*good_history(), make_session(at(0, 10), **overrides)]


# --- the starting point --------------------------------------------------------------------


def test_good_history_is_eligible_to_advance() -> None:
    decision = run()

    assert ids(decision) == ("R-ADV-1",)
    assert decision.outcome is Outcome.ADVANCE_ELIGIBLE
    assert decision.next_stage is Stage.STANDING
    assert decision.next_phase is FrequencyPhase.FLARE
    assert (decision.qualifying_sessions, decision.qualifying_days) == (12, 6)
    assert decision.days_at_stage == 10


def test_public_constants() -> None:
    assert RULES_VERSION
    assert [o.severity for o in Outcome] == [0, 0, 1, 2, 3, 4]
    assert set(PATIENT_MESSAGES) == set(Outcome)
    assert "emergency department" in PATIENT_MESSAGES[Outcome.URGENT_RED_FLAG]
    assert "bladder" in PATIENT_MESSAGES[Outcome.URGENT_RED_FLAG]
    expected = {f"R-RED-{n}" for n in (1, 2, 3)} | {f"R-STOP-{n}" for n in (1, 2, 3)}
    expected |= {f"R-REG-{n}" for n in range(1, 6)} | {f"R-HOLD-{n}" for n in range(1, 9)}
    expected |= {"R-ADV-1", "R-ADV-2", "R-EXT-1", "R-FREQ-1", "R-FREQ-2"}
    expected |= {f"R-ODI-{n}" for n in range(1, 6)}
    assert set(RULE_TEXTS) == expected


def test_config_defaults_are_those_of_section_2_10() -> None:
    assert asdict(Config()) == {
        "p_safe": 2,
        "p_accept": 5,
        "p_mcid": 2,
        "p_severe": 8,
        "m_tol": 1,
        "painless_mode": "ABSOLUTE",
        "min_days_at_stage": 7,
        "min_q_sessions": 6,
        "min_q_days": 3,
        "last_k_q": 3,
        "window_days": 7,
        "late_entry_h": 48,
        "merge_min": 30,
        "gap_reset_days": 7,
        "gap_review_days": 14,
        "post_advance_watch_h": 72,
        "freq_flare": 4,
        "freq_taper": 2,
        "taper_days": 7,
        "freq_maintenance": 1,
        "odi_min_sections": 9,
        "odi_retest_days": 14,
        "auto_advance": False,
    }


# --- rules fired by today's set: each fires, and a minimal near miss does not ----------------

URGENT, SUSPEND = Outcome.URGENT_RED_FLAG, Outcome.SUSPEND_CONTACT_PT
REGRESS, HOLD, ADVANCE = Outcome.REGRESS_ONE, Outcome.HOLD, Outcome.ADVANCE_ELIGIBLE


def ces_yes(item: int) -> tuple[bool, bool, bool, bool]:
    """The daily screen with a yes to question ``item`` (1-4) only."""
    answers = [False] * 4
    answers[item - 1] = True
    return (answers[0], answers[1], answers[2], answers[3])


def pair(
    rule_id: str,
    fire: dict[str, Any],
    miss: dict[str, Any],
    outcomes: tuple[Outcome, Outcome],
    next_stage: Stage,
    name: str,
) -> Any:
    """A case that fires ``rule_id``, its near miss, both outcomes and the stage proposed."""
    return pytest.param(rule_id, fire, miss, outcomes, next_stage, id=f"{rule_id} {name}")


THIGH_TO_BACK = {"loc_pre": (THIGH, NONE), "loc_post": (BACK, NONE)}
TODAYS_SET_PAIRS = [
    pair("R-RED-1", {"ces_answers": ces_yes(1)}, {}, (URGENT, ADVANCE), Stage.SEATED, "saddle"),
    pair("R-RED-1", {"ces_answers": ces_yes(2)}, {}, (URGENT, ADVANCE), Stage.SEATED, "bladder"),
    pair(
        "R-RED-1",
        {"ces_answers": ces_yes(3)},
        {"ces_answers": ces_yes(4)},  # item 4 is R-RED-2's
        (URGENT, URGENT),
        Stage.SEATED,
        "bowel",
    ),
    pair("R-RED-2", {"ces_answers": ces_yes(4)}, {}, (URGENT, ADVANCE), Stage.SEATED, "item 4"),
    pair(
        "R-RED-2",
        {"loc_pre": (THIGH, THIGH), "loc_post": (THIGH, THIGH)},
        {"loc_pre": (THIGH, BUTTOCK), "loc_post": (THIGH, BUTTOCK)},
        (URGENT, ADVANCE),
        Stage.SEATED,
        "new in both legs",
    ),
    pair(
        "R-STOP-1",
        {"neuro_change": NeuroChange.NUMBNESS},
        {},
        (SUSPEND, ADVANCE),
        Stage.SEATED,
        "numbness",
    ),
    pair(
        "R-STOP-1",
        {"neuro_change": NeuroChange.WEAKNESS},
        {},
        (SUSPEND, ADVANCE),
        Stage.SEATED,
        "weakness once",
    ),
    pair(
        "R-STOP-2",
        {"pain_during_max": 8},
        {"pain_during_max": 7},
        (SUSPEND, REGRESS),
        Stage.SEATED,
        "during 8 vs 7",
    ),
    pair(
        "R-STOP-2",
        {"ease": Ease.NOT_COMPLETED, "pain_during_max": 3},
        {"ease": Ease.NOT_COMPLETED, "pain_during_max": 2},
        (SUSPEND, HOLD),
        Stage.SEATED,
        "abandoned amber vs green",
    ),
    pair(
        "R-REG-1",
        {"loc_post": (THIGH, NONE)},
        {},
        (REGRESS, ADVANCE),
        Stage.SUPINE,
        "buttock to thigh",
    ),
    pair(
        "R-REG-2",
        {"pain_during_max": 6},
        {"pain_during_max": 5},
        (REGRESS, HOLD),
        Stage.SUPINE,
        "during 6 vs 5",
    ),
    pair(
        "R-REG-2",
        {"pain_post": 4},
        {"pain_post": 3},
        (REGRESS, HOLD),
        Stage.SUPINE,
        "after +2 vs +1",
    ),
    pair("R-HOLD-1", {"pain_during_max": 3}, {}, (HOLD, ADVANCE), Stage.SEATED, "amber"),
    pair("R-HOLD-1", {"ease": Ease.MANAGEABLE}, {}, (HOLD, ADVANCE), Stage.SEATED, "manageable"),
    pair("R-HOLD-1", {"ease": Ease.HARD}, {}, (HOLD, ADVANCE), Stage.SEATED, "hard"),
    pair(
        "R-HOLD-1",
        {"reps_done": 9},
        {"reps_done": 10},
        (HOLD, ADVANCE),
        Stage.SEATED,
        "9 of 10 reps",
    ),
    pair(
        "R-HOLD-2",
        {"loc_pre": (NONE, NONE), "loc_post": (BACK, NONE)},
        {"loc_pre": (NONE, NONE), "loc_post": (NONE, NONE)},
        (HOLD, ADVANCE),
        Stage.SEATED,
        "new back pain",
    ),
    pair(
        "R-HOLD-3",
        {**THIGH_TO_BACK, "pain_during_max": 5, "pain_post": 4},
        {**THIGH_TO_BACK, "pain_during_max": 6, "pain_post": 4},
        (HOLD, REGRESS),
        Stage.SEATED,
        "back +2 while thigh clears, during 5 vs 6",
    ),
]


@pytest.mark.parametrize(("rule_id", "fire", "miss", "outcomes", "next_stage"), TODAYS_SET_PAIRS)
def test_todays_set_fires_rule_and_near_miss_does_not(
    rule_id: str,
    fire: dict[str, Any],
    miss: dict[str, Any],
    outcomes: tuple[Outcome, Outcome],
    next_stage: Stage,
) -> None:
    fired = run(with_today(**fire))
    missed = run(with_today(**miss))

    assert rule_id in ids(fired)
    assert fired.outcome is outcomes[0]
    assert fired.next_stage is next_stage
    assert rule_id not in ids(missed)
    assert missed.outcome is outcomes[1]


CONTEXT_PAIRS = [
    ("R-RED-3", {"systemic_red_flag": True}, Outcome.SUSPEND_CONTACT_PT),
    ("R-STOP-3", {"contraindication_active": True}, Outcome.SUSPEND_CONTACT_PT),
    ("R-HOLD-5", {"odi_worse_by": 10.0}, Outcome.HOLD),
]


@pytest.mark.parametrize(
    ("rule_id", "fire", "outcome"), CONTEXT_PAIRS, ids=[c[0] for c in CONTEXT_PAIRS]
)
def test_context_flag_fires_rule_and_cleared_flag_does_not(
    rule_id: str, fire: dict[str, Any], outcome: Outcome
) -> None:
    fired = run(context=make_context(**fire))
    missed = run(context=make_context())

    assert rule_id in ids(fired)
    assert fired.outcome is outcome
    assert fired.next_stage is Stage.SEATED
    assert rule_id not in ids(missed)


def test_odi_worse_just_below_the_mcid_does_not_hold() -> None:
    decision = run(context=make_context(odi_worse_by=9.9))

    assert ids(decision) == ("R-ADV-1",)


# --- R-RED-2: weakness twice within 72 h, and the already-bilateral baseline (item 25) -------


@pytest.mark.parametrize(
    ("earlier", "expected"),
    [
        pytest.param(at(-3, 11), Outcome.URGENT_RED_FLAG, id="71h-apart-fires"),
        pytest.param(at(-3, 10), Outcome.URGENT_RED_FLAG, id="72h-apart-fires"),
        pytest.param(at(-3, 9), Outcome.SUSPEND_CONTACT_PT, id="73h-apart-only-stop"),
    ],
)
def test_weakness_on_two_logs_within_72_hours(earlier: datetime, expected: Outcome) -> None:
    weak = NeuroChange.WEAKNESS
    sessions = [*good_history(), make_session(earlier, neuro_change=weak)]
    decision = run([*sessions, make_session(at(0, 10), neuro_change=weak)])

    assert ("R-RED-2" in ids(decision)) is (expected is Outcome.URGENT_RED_FLAG)
    assert "R-STOP-1" in ids(decision)
    assert decision.outcome is expected


@pytest.mark.parametrize(
    ("post", "fires"),
    [
        pytest.param((BELOW_KNEE, BELOW_KNEE), True, id="both-legs-further-out"),
        pytest.param((BELOW_KNEE, THIGH), False, id="one-leg-further-out"),
        pytest.param((THIGH, THIGH), False, id="as-at-intake"),
    ],
)
def test_bilateral_baseline_needs_both_legs_worse(post: Sides, fires: bool) -> None:
    context = make_context(base_loc=(THIGH, THIGH))
    decision = run(with_today(loc_pre=post, loc_post=post), context=context)

    assert ("R-RED-2" in ids(decision)) is fires


# --- R-REG-3: morning flare the day after a set ---------------------------------------------


@pytest.mark.parametrize(
    ("fire", "miss"),
    [
        pytest.param({"pain": 4}, {"pain": 3}, id="pain-up-2-vs-1"),
        pytest.param({"loc": (THIGH, NONE)}, {"loc": (BUTTOCK, NONE)}, id="peripheralized"),
    ],
)
def test_morning_flare_after_a_day_with_sets(fire: dict[str, Any], miss: dict[str, Any]) -> None:
    fired = run(mornings=[*good_mornings(range(-8, 0)), morning(0, **fire)])
    missed = run(mornings=[*good_mornings(range(-8, 0)), morning(0, **miss)])

    assert "R-REG-3" in ids(fired)
    assert fired.outcome is Outcome.REGRESS_ONE
    assert fired.next_stage is Stage.SUPINE
    assert ids(missed) == ("R-ADV-1",)


def test_morning_flare_without_sets_the_day_before_is_not_a_regression() -> None:
    sessions = good_history(range(-8, -1))  # nothing logged yesterday
    decision = run(sessions, mornings=[*good_mornings(range(-8, 0)), morning(0, pain=4)])

    assert "R-REG-3" not in ids(decision)


# --- R-REG-4: the first 72 h after an advance ------------------------------------------------


def _just_advanced(hours_ago: int) -> Context:
    advanced = NOW - timedelta(hours=hours_ago)
    return make_context(stage_started_at=advanced, last_advance_at=advanced)


@pytest.mark.parametrize(
    ("sets", "fires"),
    [
        pytest.param(2, True, id="two-sets-painful-during"),
        pytest.param(1, False, id="one-set-painful-during"),
    ],
)
def test_new_stage_with_sets_more_painful_during(sets: int, fires: bool) -> None:
    painful = {"pain_pre": 1, "pain_during_max": 2, "pain_post": 1}  # GREEN, but up during
    sessions = [make_session(at(-1, hour), **painful) for hour in (9, 15)[:sets]]
    decision = run(sessions, context=_just_advanced(hours_ago=48))

    assert ("R-REG-4" in ids(decision)) is fires
    if fires:
        assert decision.outcome is Outcome.REGRESS_ONE
        assert decision.next_stage is Stage.SUPINE


@pytest.mark.parametrize(
    ("hours_ago", "fires"),
    [
        pytest.param(48, True, id="red-set-inside-watch"),
        pytest.param(90, False, id="red-set-after-watch"),
    ],
)
def test_red_set_in_the_post_advance_watch(hours_ago: int, fires: bool) -> None:
    decision = run([make_session(at(0, 10), pain_during_max=6)], context=_just_advanced(hours_ago))

    assert ("R-REG-4" in ids(decision)) is fires
    assert decision.next_stage is Stage.SUPINE


def test_red_set_excused_by_centralization_still_counts_in_the_watch() -> None:
    centralizing = {"loc_pre": (THIGH, NONE), "loc_post": (BACK, NONE), "pain_post": 4}
    decision = run([make_session(at(0, 10), **centralizing)], context=_just_advanced(48))

    assert {"R-HOLD-3", "R-REG-4"} <= set(ids(decision))
    assert "R-REG-2" not in ids(decision)
    assert decision.outcome is Outcome.REGRESS_ONE


# --- R-REG-5: flexion may not be the preferred direction -------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "fires"),
    [
        pytest.param(13, True, id="regressed-13-days-ago"),
        pytest.param(15, False, id="regressed-15-days-ago"),
    ],
)
def test_second_regression_within_14_days_suspends(days_ago: int, fires: bool) -> None:
    context = make_context(recent_regressions=(NOW - timedelta(days=days_ago),))
    decision = run(with_today(pain_during_max=6), context=context)

    assert ("R-REG-5" in ids(decision)) is fires
    expected = Outcome.SUSPEND_CONTACT_PT if fires else Outcome.REGRESS_ONE
    assert decision.outcome is expected


@pytest.mark.parametrize(
    ("regressions", "fires"),
    [
        pytest.param((3, 10), True, id="two-recorded-regressions"),
        pytest.param((3,), False, id="one-recorded-regression"),
        pytest.param((3, 15), False, id="second-one-too-old"),
    ],
)
def test_recorded_regressions_alone(regressions: tuple[int, ...], fires: bool) -> None:
    instants = tuple(NOW - timedelta(days=days) for days in regressions)
    decision = run(context=make_context(recent_regressions=instants))

    assert ("R-REG-5" in ids(decision)) is fires
    assert (decision.outcome is Outcome.SUSPEND_CONTACT_PT) is fires


@pytest.mark.parametrize(
    ("stage", "fires", "outcome"),
    [
        pytest.param(Stage.SUPINE, True, Outcome.SUSPEND_CONTACT_PT, id="stage-1"),
        pytest.param(Stage.SEATED, False, Outcome.REGRESS_ONE, id="stage-2"),
    ],
)
def test_peripheralization_at_stage_1(stage: Stage, fires: bool, outcome: Outcome) -> None:
    sessions = [make_session(at(0, 10), stage=stage, loc_post=(THIGH, NONE))]
    decision = run(sessions, context=make_context(stage=stage))

    assert "R-REG-1" in ids(decision)
    assert ("R-REG-5" in ids(decision)) is fires
    assert decision.outcome is outcome


# --- R-HOLD-4: pain trending up (items 6, 23) ------------------------------------------------


def test_morning_pain_up_one_point_two_weeks_running_holds() -> None:
    decision = run(mornings=good_mornings(range(-13, 1), pain=3))

    assert "R-HOLD-4" in ids(decision)
    assert decision.outcome is Outcome.HOLD
    assert "R-ADV-1" not in ids(decision)


def test_morning_pain_up_one_point_for_one_week_only_does_not_hold() -> None:
    mornings = [*good_mornings(range(-13, -6)), *good_mornings(range(-6, 1), pain=3)]
    decision = run(mornings=mornings)

    assert ids(decision) == ("R-ADV-1",)


@pytest.mark.parametrize(
    ("pain_pre", "fires"),
    [pytest.param(4, True, id="pre-set-pain-up-2"), pytest.param(3, False, id="up-1")],
)
def test_pre_set_pain_up_two_points_in_one_week(pain_pre: int, fires: bool) -> None:
    painful_week = good_history(range(-6, 0), pain_pre=pain_pre)  # GREEN: during 2, post 2
    decision = run([*good_history(range(-8, -6)), *painful_week])

    assert ("R-HOLD-4" in ids(decision)) is fires


# --- R-HOLD-6: low adherence in FLARE (item 7) ------------------------------------------------


@pytest.mark.parametrize(
    ("sets_per_day", "phase", "fires"),
    [
        pytest.param((1, 1, 1), FrequencyPhase.FLARE, True, id="one-a-day-for-3-days"),
        pytest.param((1, 2, 1), FrequencyPhase.FLARE, False, id="half-the-target-once"),
        pytest.param((1, 1, 1), FrequencyPhase.TAPER, False, id="not-in-taper"),
    ],
)
def test_low_adherence(
    sets_per_day: tuple[int, int, int], phase: FrequencyPhase, fires: bool
) -> None:
    sessions = [
        make_session(at(day, hour))
        for day, count in zip((-3, -2, -1), sets_per_day, strict=True)
        for hour in (9, 15)[:count]
    ]
    context = make_context(stage_started_at=at(-5, 8), phase=phase, phase_started_at=at(-5, 8))
    decision = run(sessions, context=context)

    assert ("R-HOLD-6" in ids(decision)) is fires


def test_low_adherence_waits_for_three_complete_days_at_stage() -> None:
    sessions = [make_session(at(day, 9)) for day in (-3, -2, -1)]
    decision = run(sessions, context=make_context(stage_started_at=at(-3, 8)))

    assert "R-HOLD-6" not in ids(decision)


# --- R-HOLD-7: a painful set this week (item 4) ----------------------------------------------


@pytest.mark.parametrize(
    ("day", "fires"),
    [pytest.param(-6, True, id="6-days-ago"), pytest.param(-7, False, id="7-days-ago")],
)
def test_excused_red_set_in_the_last_week_holds(day: int, fires: bool) -> None:
    centralizing = {"loc_pre": (THIGH, NONE), "loc_post": (BACK, NONE), "pain_post": 4}
    decision = run([*good_history(), make_session(at(day, 12), **centralizing)])

    assert ("R-HOLD-7" in ids(decision)) is fires
    assert "R-HOLD-3" in ids(decision)
    assert decision.outcome is Outcome.HOLD


# --- R-HOLD-8: long gap (items 5, 24) --------------------------------------------------------


@pytest.mark.parametrize(
    ("last_set", "fires"),
    [
        pytest.param(at(-14, 19), True, id="silent-14-days"),
        pytest.param(at(-13, 19), False, id="silent-13-days"),
    ],
)
def test_no_usable_log_for_two_weeks(last_set: datetime, fires: bool) -> None:
    context = make_context(stage_started_at=at(-20, 8))
    decision = run([make_session(last_set)], context=context)

    assert ("R-HOLD-8" in ids(decision)) is fires
    assert decision.outcome is Outcome.HOLD


@pytest.mark.parametrize(
    ("sessions", "fires"),
    [
        pytest.param([at(-20, 9), at(0, 10)], True, id="first-set-after-20-day-gap"),
        pytest.param([at(-13, 9), at(0, 10)], False, id="first-set-after-13-day-gap"),
        pytest.param([at(-20, 9), at(0, 10), at(0, 11)], False, id="second-set-after-gap"),
    ],
)
def test_first_set_after_a_long_gap(sessions: list[datetime], fires: bool) -> None:
    context = make_context(stage_started_at=at(-21, 8))
    decision = run([make_session(start) for start in sessions], context=context)

    assert ("R-HOLD-8" in ids(decision)) is fires


# --- R-EXT-1 (2.7, item 11) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enabled", "effect", "fires"),
    [
        pytest.param(True, ExtensionEffect.WORSE, True, id="worse"),
        pytest.param(True, ExtensionEffect.PERIPHERALIZED, True, id="peripheralized"),
        pytest.param(True, ExtensionEffect.SAME, False, id="same"),
        pytest.param(False, ExtensionEffect.WORSE, False, id="extension-not-prescribed"),
    ],
)
def test_extension_worsens_symptoms(enabled: bool, effect: ExtensionEffect, fires: bool) -> None:
    history = good_history(extension_effect=ExtensionEffect.SAME)
    sessions = [*history, make_session(at(0, 10), extension_effect=effect)]
    decision = run(sessions, context=make_context(extension_enabled=enabled))

    assert ("R-EXT-1" in ids(decision)) is fires
    assert decision.outcome.severity < Outcome.REGRESS_ONE.severity  # never a regression alone
    if fires:
        assert ids(decision) == ("R-ADV-1", "R-EXT-1")
        assert decision.outcome is Outcome.HOLD


# --- R-ADV-1 and R-ADV-2: the advancement gate (2.4, items 9, 19) -----------------------------


def _drop_morning(day: int) -> list[MorningCheck]:
    return [m for m in good_mornings() if m.local_date != TODAY + timedelta(days=day)]


def _history_with(index: int, **overrides: Any) -> list[Session]:
    sessions = good_history()
    sessions[index] = replace(sessions[index], **overrides)
    return sessions


# Two sets a week ago (outside the window, so no 7-day gap), then two a day on the last 3 days.
SIX_ON_THREE_DAYS = [*good_history([-7]), *good_history(range(-3, 0))]

ADVANCE_NEAR_MISSES = [
    pytest.param({"context": make_context(stage_started_at=at(-6, 8))}, id="6-days-at-stage"),
    pytest.param({"sessions": SIX_ON_THREE_DAYS[:-1]}, id="5-q-sessions"),
    pytest.param(
        {"sessions": [*good_history([-7]), *good_history(range(-2, 0), (9, 13, 17))]},
        id="6-q-sessions-on-2-days",
    ),
    pytest.param({"sessions": _history_with(-3, ease=Ease.HARD)}, id="3rd-last-set-hard"),
    pytest.param(
        {"mornings": [*_drop_morning(0), morning(0, loc=(BUTTOCK, BACK))]}, id="unsettled"
    ),
    pytest.param({"mornings": _drop_morning(-4)}, id="missing-morning-after-a-set-day"),
    pytest.param({"mornings": _drop_morning(0)}, id="no-morning-check-today-yet"),
    pytest.param(
        {"sessions": _history_with(0, entered_at=at(-8, 9) + timedelta(hours=49))},
        id="old-set-entered-49h-late",
    ),
    pytest.param({"sessions": _history_with(0, stage=Stage.SUPINE)}, id="protocol-deviation"),
    pytest.param({"sessions": _history_with(0, ces_answers=None)}, id="daily-screen-missing"),
    pytest.param({"context": make_context(open_alert=True)}, id="open-alert"),
    pytest.param({"context": make_context(odi_gate_met=False)}, id="odi-gate-not-met"),
    pytest.param(
        {"context": make_context(phase=FrequencyPhase.MAINTENANCE)}, id="taper-already-started"
    ),
]


@pytest.mark.parametrize("change", ADVANCE_NEAR_MISSES)
def test_advance_gate_near_misses(change: dict[str, Any]) -> None:
    decision = run(**change)

    assert "R-ADV-1" not in ids(decision)
    assert decision.outcome is Outcome.HOLD
    assert decision.next_stage is Stage.SEATED


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"context": make_context(stage_started_at=at(-7, 8))}, id="7-days-at-stage"),
        pytest.param({"sessions": SIX_ON_THREE_DAYS}, id="6-q-sessions-on-3-days"),
        pytest.param(
            {"sessions": _history_with(0, entered_at=at(-8, 9) + timedelta(hours=47))},
            id="old-set-entered-47h-late",
        ),
    ],
)
def test_advance_gate_just_met(change: dict[str, Any]) -> None:
    decision = run(**change)

    assert ids(decision) == ("R-ADV-1",)
    assert decision.next_stage is Stage.STANDING


def _standing(**overrides: Any) -> tuple[list[Session], Context]:
    context = make_context(stage=Stage.STANDING, **overrides)
    return good_history(stage=Stage.STANDING), context


def test_stage_3_tolerated_is_maintenance_eligible_without_moving_phase() -> None:
    sessions, context = _standing()
    decision = run(sessions, context=context)

    assert ids(decision) == ("R-ADV-2",)
    assert decision.outcome is Outcome.MAINTENANCE_ELIGIBLE
    assert decision.next_stage is Stage.STANDING
    assert decision.next_phase is FrequencyPhase.FLARE


def test_stage_3_already_tapering_is_not_maintenance_eligible_again() -> None:
    sessions, context = _standing(phase=FrequencyPhase.TAPER, phase_started_at=at(-3, 8))
    decision = run(sessions, context=context)

    assert "R-ADV-2" not in ids(decision)
    assert decision.outcome is Outcome.HOLD


# --- R-FREQ-1 and R-FREQ-2 (2.5, items 15, 22) ------------------------------------------------


def _tapering(days_in_taper: int = 8) -> Context:
    return make_context(
        stage=Stage.STANDING,
        phase=FrequencyPhase.TAPER,
        phase_started_at=at(-days_in_taper, 8),
    )


@pytest.mark.parametrize(
    ("amber_days", "days_in_taper", "fires"),
    [
        pytest.param((), 8, True, id="6-green-days"),
        pytest.param((-6,), 8, True, id="5-green-days"),
        pytest.param((-6, -5), 8, False, id="4-green-days"),
        pytest.param((), 6, False, id="taper-too-short"),
    ],
)
def test_taper_to_maintenance(amber_days: tuple[int, ...], days_in_taper: int, fires: bool) -> None:
    sessions = [
        make_session(
            at(day, hour), stage=Stage.STANDING, pain_during_max=3 if day in amber_days else 2
        )
        for day in range(-8, 0)
        for hour in (9, 15)
    ]
    decision = run(sessions, context=_tapering(days_in_taper))

    assert ("R-FREQ-1" in ids(decision)) is fires
    expected_phase = FrequencyPhase.MAINTENANCE if fires else FrequencyPhase.TAPER
    assert decision.next_phase is expected_phase
    assert decision.outcome is Outcome.HOLD
    assert decision.next_stage is Stage.STANDING
    if fires:
        assert decision.fired[-1].outcome is Outcome.HOLD


@pytest.mark.parametrize(
    ("phase", "today", "fires", "next_phase"),
    [
        pytest.param(
            FrequencyPhase.MAINTENANCE, {"pain_during_max": 6}, True, FrequencyPhase.FLARE, id="red"
        ),
        pytest.param(
            FrequencyPhase.TAPER, {"pain_during_max": 8}, True, FrequencyPhase.FLARE, id="severe"
        ),
        pytest.param(
            FrequencyPhase.MAINTENANCE,
            {"pain_during_max": 5},
            False,
            FrequencyPhase.MAINTENANCE,
            id="amber",
        ),
        pytest.param(
            FrequencyPhase.FLARE, {"pain_during_max": 6}, False, FrequencyPhase.FLARE, id="flare"
        ),
    ],
)
def test_setback_in_taper_or_maintenance_returns_to_flare(
    phase: FrequencyPhase, today: dict[str, Any], fires: bool, next_phase: FrequencyPhase
) -> None:
    context = make_context(stage=Stage.STANDING, phase=phase, phase_started_at=at(-3, 8))
    sessions = [make_session(at(0, 10), stage=Stage.STANDING, **today)]
    decision = run(sessions, context=context)

    assert ("R-FREQ-2" in ids(decision)) is fires
    assert decision.next_phase is next_phase


# --- R-ODI-1..5 through the gate helper (2.8) --------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "rule_id", "stages", "extra"),
    [
        pytest.param([0] * 10, "R-ODI-2", (1, 2), {}, id="0-minimal"),
        pytest.param([1] * 10, "R-ODI-2", (1, 2), {}, id="20-minimal-may-start-seated"),
        pytest.param([1] * 9 + [2], "R-ODI-2", (1,), {}, id="22-moderate"),
        pytest.param([2] * 10, "R-ODI-2", (1,), {}, id="40-moderate"),
        pytest.param([2] * 9 + [3], "R-ODI-3", (1,), {"needs_assessment": True}, id="42-severe"),
        pytest.param([3] * 10, "R-ODI-3", (1,), {"needs_assessment": True}, id="60-severe"),
        pytest.param([3] * 9 + [4], "R-ODI-4", (1,), {"needs_plan": True}, id="62-crippled"),
        pytest.param([4] * 10, "R-ODI-4", (1,), {"needs_plan": True}, id="80-crippled"),
        pytest.param([4] * 9 + [5], "R-ODI-5", (), {"needs_review": True}, id="82-bed-bound"),
        pytest.param([2] * 8 + [None, None], "R-ODI-1", (), {}, id="8-answers-invalid"),
    ],
)
def test_odi_gate(
    answers: list[int | None], rule_id: str, stages: tuple[int, ...], extra: dict[str, bool]
) -> None:
    gate = odi_gate(odi_score(answers))

    assert gate.rule_id == rule_id
    assert gate.allowed_start_stages == stages
    assert gate.may_start is bool(stages)
    assert gate.valid is (rule_id != "R-ODI-1")
    assert gate.override_start_stages == ((Stage.SEATED,) if 2 in stages else ())
    flags = {"needs_assessment": False, "needs_plan": False, "needs_review": False} | extra
    assert {name: getattr(gate, name) for name in flags} == flags
    assert gate.text == RULE_TEXTS[rule_id]


# --- ODI scoring (invariant 11, item 18) ------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "min_sections", "percent", "band"),
    [
        pytest.param([0] * 10, 9, 0.0, "minimal", id="all-0"),
        pytest.param([5] * 10, 9, 100.0, "bed-bound", id="all-5"),
        pytest.param([2] * 7 + [2, 0], 9, 35.6, "moderate", id="9-answers-sum-16"),
        pytest.param([2] * 7 + [None, 2, 0], 9, 35.6, "moderate", id="sex-life-unanswered"),
        pytest.param([1] * 9, 9, 20.0, "minimal", id="20.0-minimal"),
        pytest.param([2] * 8, 9, None, None, id="8-answers-invalid"),
        pytest.param([2] * 8, 8, 40.0, "moderate", id="8-answers-allowed"),
    ],
)
def test_odi_score(
    answers: list[int | None], min_sections: int, percent: float | None, band: str | None
) -> None:
    result = odi_score(answers, min_sections=min_sections)

    assert result.percent == percent
    assert result.band == band
    assert result.valid is (percent is not None)


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (20.0, "minimal"),
        (20.1, "moderate"),
        (40.0, "moderate"),
        (40.1, "severe"),
        (60.0, "severe"),
        (60.1, "crippled"),
        (80.0, "crippled"),
        (80.1, "bed-bound"),
    ],
)
def test_odi_band_boundaries(percent: float, band: str) -> None:
    assert odi_band(percent) == band


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param([6] + [0] * 9, id="above-5"),
        pytest.param([-1] + [0] * 9, id="negative"),
        pytest.param([0] * 11, id="11-sections"),
    ],
)
def test_odi_rejects_bad_answers(answers: list[int | None]) -> None:
    with pytest.raises(ValueError, match="answers"):
        odi_score(answers)


# --- location response (2.3) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        pytest.param((BUTTOCK, NONE), (THIGH, NONE), "PERIPHERALIZED", id="further-down"),
        pytest.param((BACK, NONE), (BUTTOCK, NONE), "PERIPHERALIZED", id="back-to-buttock"),
        pytest.param((NONE, NONE), (BACK, NONE), "SPREAD_IN_BACK", id="new-back-pain"),
        pytest.param((BACK, NONE), (BACK, BACK), "SPREAD_IN_BACK", id="spread-across-back"),
        pytest.param((THIGH, NONE), (BACK, NONE), "CENTRALIZED", id="leg-to-back"),
        pytest.param((THIGH, BUTTOCK), (BUTTOCK, BUTTOCK), "CENTRALIZED", id="one-side-retreats"),
        pytest.param((BACK, THIGH), (NONE, NONE), "ABOLISHED", id="all-gone"),
        pytest.param((BUTTOCK, NONE), (BUTTOCK, NONE), "UNCHANGED", id="same"),
        pytest.param((NONE, NONE), (NONE, NONE), "UNCHANGED", id="pain-free-stays-pain-free"),
        # Order of application: step 1 before step 2, step 2 before step 3.
        pytest.param((NONE, NONE), (BACK, BUTTOCK), "PERIPHERALIZED", id="order-1-before-2"),
        pytest.param((FOOT, NONE), (BACK, THIGH), "PERIPHERALIZED", id="order-1-before-3"),
        pytest.param((THIGH, NONE), (NONE, BACK), "SPREAD_IN_BACK", id="order-2-before-3"),
    ],
)
def test_location_response(pre: Sides, post: Sides, expected: str) -> None:
    assert location_response(pre, post) is LocationResponse[expected]


@pytest.mark.parametrize(
    ("pre", "post"),
    [
        ((THIGH, NONE), (BACK, NONE)),
        ((BELOW_KNEE, FOOT), (BUTTOCK, FOOT)),
        ((FOOT, FOOT), (NONE, NONE)),
    ],
)
def test_swapping_a_centralizing_set_peripheralizes(pre: Sides, post: Sides) -> None:
    assert location_response(pre, post) in (
        LocationResponse.CENTRALIZED,
        LocationResponse.ABOLISHED,
    )
    assert location_response(post, pre) is LocationResponse.PERIPHERALIZED


# --- pain zone (2.3) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pre", "during", "post", "mode", "zone"),
    [
        pytest.param(2, 2, 2, "ABSOLUTE", "GREEN", id="2-2-2"),
        pytest.param(0, 0, 0, "ABSOLUTE", "GREEN", id="pain-free"),
        pytest.param(4, 2, 2, "ABSOLUTE", "GREEN", id="better-after"),
        pytest.param(2, 3, 2, "ABSOLUTE", "AMBER", id="during-3"),
        pytest.param(2, 2, 3, "ABSOLUTE", "AMBER", id="post-up-1"),
        pytest.param(2, 5, 2, "ABSOLUTE", "AMBER", id="during-5"),
        pytest.param(2, 6, 2, "ABSOLUTE", "RED", id="during-6"),
        pytest.param(2, 2, 4, "ABSOLUTE", "RED", id="post-up-2"),
        pytest.param(2, 7, 2, "ABSOLUTE", "RED", id="during-7"),
        pytest.param(2, 8, 2, "ABSOLUTE", "SEVERE", id="during-8"),
        pytest.param(4, 4, 4, "ABSOLUTE", "AMBER", id="steady-4-absolute"),
        pytest.param(4, 4, 4, "NO_INCREASE", "GREEN", id="steady-4-no-increase"),
        pytest.param(4, 5, 4, "NO_INCREASE", "AMBER", id="up-during-no-increase"),
        pytest.param(4, 3, 5, "NO_INCREASE", "AMBER", id="up-after-no-increase"),
        pytest.param(5, 5, 5, "NO_INCREASE", "GREEN", id="steady-5-no-increase"),
        pytest.param(6, 6, 6, "NO_INCREASE", "RED", id="steady-6-no-increase"),
    ],
)
def test_pain_zone(pre: int, during: int, post: int, mode: str, zone: str) -> None:
    session = make_session(pain_pre=pre, pain_during_max=during, pain_post=post)

    assert pain_zone(session, Config(painless_mode=mode)) is PainZone[zone]


# --- validation (item 17) ----------------------------------------------------------------------

NAIVE = datetime(2026, 6, 15, 9, 0)  # deliberately naive


@pytest.mark.parametrize(
    ("build", "field"),
    [
        pytest.param(lambda: make_session(NAIVE), "started_at", id="naive-start"),
        pytest.param(lambda: make_session(entered_at=NAIVE), "entered_at", id="naive-entry"),
        pytest.param(lambda: make_session(entered_at=at(0, 9)), "entered_at", id="entered-first"),
        pytest.param(lambda: make_session(pain_pre=11), "pain_pre", id="pain-pre-11"),
        pytest.param(lambda: make_session(pain_during_max=-1), "pain_during_max", id="during-neg"),
        pytest.param(lambda: make_session(pain_post=11), "pain_post", id="pain-post-11"),
        pytest.param(lambda: make_session(loc_pre=(6, 0)), "loc_pre", id="level-6"),
        pytest.param(lambda: make_session(loc_post=(0, -1)), "loc_post", id="level-neg"),
        pytest.param(lambda: make_session(reps_done=-1), "reps_done", id="reps-done-neg"),
        pytest.param(lambda: make_session(reps_target=-1), "reps_target", id="reps-target-neg"),
        pytest.param(lambda: make_session(stage=4), "stage", id="stage-4"),
        pytest.param(lambda: make_session(ces_answers=(True,)), "ces_answers", id="ces-short"),
        pytest.param(lambda: morning(0, pain=11), "pain", id="morning-pain-11"),
        pytest.param(lambda: morning(0, loc=(0, 6)), "loc", id="morning-level-6"),
        pytest.param(lambda: make_context(timezone="Mars/Olympus"), "timezone", id="zone"),
        pytest.param(lambda: make_context(base_pain=11), "base_pain", id="base-pain"),
        pytest.param(lambda: make_context(base_loc=(7, 0)), "base_loc", id="base-loc"),
        pytest.param(lambda: make_context(stage_started_at=NAIVE), "stage_started_at", id="ctx"),
        pytest.param(lambda: Config(painless_mode="SOMETIMES"), "painless_mode", id="mode"),
        pytest.param(lambda: run([make_session(at(0, 21))]), "started_at", id="future"),
        pytest.param(
            lambda: run([make_session(at(0, 19), entered_at=at(0, 21))]),
            "entered_at",
            id="future-entry",
        ),
        pytest.param(lambda: run(mornings=[morning(1)]), "local_date", id="future-morning"),
        pytest.param(
            lambda: run(context=make_context(stage_started_at=at(1, 8))),
            "stage_started_at",
            id="future-stage",
        ),
        pytest.param(lambda: run(now=NAIVE), "now", id="naive-now"),
    ],
)
def test_invalid_input_names_the_field(build: Any, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        build()


# --- precedence and stage 1 (2.1, item 16) -------------------------------------------------------


def test_regress_at_stage_1_suspends_but_the_rule_keeps_its_own_outcome() -> None:
    sessions = [make_session(at(0, 10), stage=Stage.SUPINE, pain_during_max=6)]
    decision = run(sessions, context=make_context(stage=Stage.SUPINE))

    assert decision.outcome is Outcome.SUSPEND_CONTACT_PT
    assert decision.next_stage is Stage.SUPINE
    by_id = {fired.rule_id: fired.outcome for fired in decision.fired}
    assert by_id["R-REG-2"] is Outcome.REGRESS_ONE


def test_nothing_fired_is_hold() -> None:
    decision = run([], mornings=[], context=make_context(stage_started_at=at(0, 8)))

    assert decision.fired == ()
    assert decision.outcome is Outcome.HOLD
    assert decision.next_stage is Stage.SEATED


def test_most_severe_outcome_wins_and_every_rule_is_reported() -> None:
    sessions = with_today(
        pain_during_max=8, neuro_change=NeuroChange.NUMBNESS, loc_post=(THIGH, NONE)
    )
    decision = run([*sessions[:-1], replace(sessions[-1], ces_answers=(True, False, False, False))])

    assert decision.outcome is Outcome.URGENT_RED_FLAG
    assert {"R-RED-1", "R-STOP-1", "R-STOP-2", "R-REG-1", "R-REG-2", "R-HOLD-7"} <= set(
        ids(decision)
    )


def test_input_order_changes_nothing() -> None:
    sessions = with_today(pain_during_max=3)
    mornings = good_mornings()

    assert run(sessions, mornings) == run(sessions[::-1], mornings[::-1])


# --- days, midnight and DST (invariant 8, items 10, 26) ------------------------------------------


def test_sets_either_side_of_midnight_are_two_days() -> None:
    sessions = [make_session(at(-2, 23, 55)), make_session(at(-1, 0, 5))]
    decision = run(sessions, context=make_context(stage_started_at=at(-3, 8)))

    assert (decision.qualifying_sessions, decision.qualifying_days) == (2, 2)


def test_one_local_date_across_two_utc_dates_is_one_day() -> None:
    new_york = ZoneInfo("America/New_York")
    evening = [at(-1, 19, 30, new_york), at(-1, 21, 0, new_york)]  # 23:30 and 01:00 UTC
    sessions = [make_session(start) for start in evening]
    context = make_context(timezone="America/New_York", stage_started_at=at(-3, 8, zone=new_york))
    mornings = [morning(day) for day in (-1, 0)]
    decision = run(sessions, mornings, context, now=at(0, 20, zone=new_york))

    assert (decision.qualifying_sessions, decision.qualifying_days) == (2, 1)


@pytest.mark.parametrize(
    ("started", "now", "days"),
    [
        pytest.param((2026, 3, 7, 12), (2026, 3, 9, 12), 2, id="spring-forward-47h"),
        pytest.param((2026, 3, 7, 23), (2026, 3, 8, 23), 1, id="spring-forward-23h"),
        pytest.param((2026, 10, 31, 12), (2026, 11, 1, 23), 1, id="fall-back-36h"),
        pytest.param((2026, 11, 1, 0), (2026, 11, 1, 23), 0, id="fall-back-25h-one-date"),
    ],
)
def test_days_at_stage_counts_local_dates_across_dst(
    started: tuple[int, int, int, int], now: tuple[int, int, int, int], days: int
) -> None:
    new_york = ZoneInfo("America/New_York")
    context = make_context(
        timezone="America/New_York", stage_started_at=datetime(*started, tzinfo=new_york)
    )
    decision = run([], [], context, now=datetime(*now, tzinfo=new_york))

    assert decision.days_at_stage == days


def test_merging_measures_elapsed_time_across_the_fall_back_hour() -> None:
    new_york = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 50, tzinfo=new_york)  # 01:50 EDT
    second = datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=new_york)  # 01:10 EST, 20 min later
    sessions = [make_session(first), make_session(second)]
    context = make_context(
        timezone="America/New_York", stage_started_at=datetime(2026, 10, 30, 8, tzinfo=new_york)
    )
    mornings = [MorningCheck(date(2026, 11, 2), BASE_PAIN, BASE_LOC)]
    decision = run(sessions, mornings, context, now=datetime(2026, 11, 2, 9, tzinfo=new_york))

    assert decision.qualifying_sessions == 1


# --- merging, daily cap (items 9, 10, 21) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes_apart", "counted"),
    [pytest.param(29, 1, id="29-min-one-set"), pytest.param(30, 2, id="30-min-two-sets")],
)
def test_sets_less_than_30_minutes_apart_merge(minutes_apart: int, counted: int) -> None:
    first = at(-1, 9)
    sessions = [make_session(first), make_session(first + timedelta(minutes=minutes_apart))]
    decision = run(sessions, context=make_context(stage_started_at=at(-2, 8)))

    assert decision.qualifying_sessions == counted


def test_merged_bout_keeps_the_worst_set() -> None:
    first = at(-1, 9)
    sessions = [
        make_session(first),
        make_session(first + timedelta(minutes=10), ease=Ease.HARD),
        make_session(at(-1, 15)),
    ]
    decision = run(sessions, context=make_context(stage_started_at=at(-2, 8)))

    assert decision.qualifying_sessions == 1


def test_daily_cap_counts_the_earliest_sets_only() -> None:
    sessions = [make_session(at(-1, hour)) for hour in range(8, 20, 2)]  # six sets
    decision = run(sessions, context=make_context(stage_started_at=at(-2, 8)))

    assert decision.qualifying_sessions == 4  # freq_flare


@pytest.mark.parametrize(
    ("fifth_set", "rule_id"),
    [
        pytest.param({"ease": Ease.HARD}, "R-HOLD-1", id="hard-hold"),
        pytest.param({"pain_during_max": 6}, "R-REG-2", id="red-regress"),
    ],
)
@pytest.mark.parametrize("day", [-1, -3], ids=["yesterday", "before-later-counted-sets"])
def test_sets_beyond_the_cap_are_still_read(
    day: int, fifth_set: dict[str, Any], rule_id: str
) -> None:
    four = [make_session(at(day, hour)) for hour in range(8, 16, 2)]
    fifth = make_session(at(day, 18), **fifth_set)
    others = [s for s in good_history() if s.started_at.date() != (TODAY + timedelta(days=day))]
    decision = run([*others, *four, fifth])

    assert rule_id in ids(decision)


def test_sets_beyond_the_cap_do_not_block_the_gate() -> None:
    extra = make_session(at(-1, 18))  # a fifth set: neither counts nor blocks
    decision = run(
        [
            *good_history(range(-8, -1), (8, 10, 12, 14)),
            *good_history(range(-1, 0), (8, 10, 12, 14)),
            extra,
        ]
    )

    assert ids(decision) == ("R-ADV-1",)
    assert decision.qualifying_sessions == 24


# --- counter resets (2.4, invariant 9, items 2, 24) -----------------------------------------------


def test_counters_are_zero_right_after_a_stage_change() -> None:
    decision = run(context=make_context(stage_started_at=NOW - timedelta(hours=1)))

    assert (decision.qualifying_sessions, decision.qualifying_days, decision.days_at_stage) == (
        0,
        0,
        0,
    )


def test_counters_restart_when_the_pt_clears_a_suspension() -> None:
    decision = run(context=make_context(last_reset_at=at(-2, 8)))

    assert (decision.qualifying_sessions, decision.days_at_stage) == (4, 2)
    assert "R-ADV-1" not in ids(decision)


def test_counters_are_zero_when_a_rule_at_or_above_regress_fires() -> None:
    decision = run(with_today(pain_during_max=6))

    assert (decision.qualifying_sessions, decision.qualifying_days, decision.days_at_stage) == (
        0,
        0,
        0,
    )


def test_a_seven_day_gap_restarts_days_at_stage() -> None:
    sessions = [*good_history(range(-20, -18)), *good_history(range(-4, 0))]
    decision = run(sessions, context=make_context(stage_started_at=at(-21, 8)))

    assert decision.days_at_stage == 4
    assert "R-ADV-1" not in ids(decision)


@pytest.mark.parametrize(
    ("entered", "read"),
    [
        pytest.param(at(-2, 12), True, id="entered-after-reset"),
        pytest.param(at(-3, 12), False, id="entered-before-reset"),
    ],
)
def test_a_late_log_of_a_bad_set_is_never_lost_at_a_reset(entered: datetime, read: bool) -> None:
    bad = make_session(at(-3, 10), entered_at=entered, pain_during_max=9)
    decision = run([*good_history(), bad], context=make_context(last_reset_at=at(-2, 8)))

    assert ("R-STOP-2" in ids(decision)) is read


def test_ces_yes_on_a_log_entered_after_the_reset_is_urgent() -> None:
    late = make_session(at(-3, 10), entered_at=at(-2, 12), ces_answers=(False, True, False, False))
    decision = run([*good_history(), late], context=make_context(last_reset_at=at(-2, 8)))

    assert decision.outcome is Outcome.URGENT_RED_FLAG


# --- scenarios of section 3 -----------------------------------------------------------------------


def test_scenario_pain_free_at_stage_start_can_qualify() -> None:
    zero: Sides = (NONE, NONE)
    pain_free = {
        "pain_pre": 0,
        "pain_during_max": 0,
        "pain_post": 0,
        "loc_pre": zero,
        "loc_post": zero,
    }
    context = make_context(base_pain=0, base_loc=zero)
    decision = run(good_history(**pain_free), good_mornings(pain=0, loc=zero), context)

    assert ids(decision) == ("R-ADV-1",)
    assert decision.qualifying_sessions == 12


def test_scenario_back_pain_rises_as_thigh_pain_clears() -> None:
    decision = run(
        with_today(loc_pre=(THIGH, NONE), loc_post=(BACK, NONE), pain_during_max=4, pain_post=4)
    )

    assert "R-HOLD-3" in ids(decision)
    assert "R-REG-2" not in ids(decision)
    assert decision.outcome is Outcome.HOLD
    assert decision.next_stage is Stage.SEATED


def test_scenario_bilateral_symptoms_present_at_intake() -> None:
    both: Sides = (THIGH, THIGH)
    context = make_context(base_loc=both)
    as_before = run(with_today(loc_pre=both, loc_post=both), context=context)
    worse = run(with_today(loc_pre=both, loc_post=(BELOW_KNEE, BELOW_KNEE)), context=context)

    assert "R-RED-2" not in ids(as_before)
    assert "R-RED-2" in ids(worse)
    assert worse.outcome is Outcome.URGENT_RED_FLAG


def test_scenario_twelve_sessions_in_one_day() -> None:
    sessions = [make_session(at(-1, 7) + timedelta(minutes=40 * n)) for n in range(12)]
    decision = run(sessions)

    assert "R-ADV-1" not in ids(decision)
    assert decision.outcome is Outcome.HOLD
    assert (decision.qualifying_sessions, decision.qualifying_days) == (4, 1)


def test_scenario_extension_peripheralizes_while_flexion_centralizes() -> None:
    history = good_history(extension_effect=ExtensionEffect.SAME)
    today = make_session(
        at(0, 10),
        loc_pre=(THIGH, NONE),
        loc_post=(BUTTOCK, NONE),
        extension_effect=ExtensionEffect.PERIPHERALIZED,
    )
    decision = run([*history, today], context=make_context(extension_enabled=True))

    assert [f.rule_id for f in decision.fired if f.outcome.severity > 0] == ["R-EXT-1"]
    assert decision.outcome is Outcome.HOLD
    assert decision.next_stage is Stage.SEATED


def test_scenario_log_entered_three_days_late_with_pain_9() -> None:
    late_bad = make_session(at(-3, 12), entered_at=NOW, pain_during_max=9)
    late_good = make_session(at(-3, 12), entered_at=NOW)

    assert "R-STOP-2" in ids(run([*good_history(), late_bad]))
    never_counts = run([*good_history(), late_good])
    assert "R-ADV-1" not in ids(never_counts)
    assert never_counts.qualifying_sessions == 12  # the late set is not among them


def test_scenario_stage_3_in_maintenance_with_a_morning_flare() -> None:
    context = make_context(
        stage=Stage.STANDING,
        stage_started_at=at(-30, 8),
        phase=FrequencyPhase.MAINTENANCE,
        phase_started_at=at(-20, 8),
    )
    sessions = good_history(hours=(9,), stage=Stage.STANDING)
    mornings = [*good_mornings(range(-8, 0)), morning(0, pain=BASE_PAIN + 2)]
    decision = run(sessions, mornings, context)

    assert set(ids(decision)) == {"R-REG-3", "R-FREQ-2"}
    assert decision.outcome is Outcome.REGRESS_ONE
    assert decision.next_stage is Stage.SEATED
    assert decision.next_phase is FrequencyPhase.FLARE
