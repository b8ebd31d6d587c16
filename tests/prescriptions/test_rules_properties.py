"""Property tests for the twelve invariants of clinical-rules.md section 3.

Written against the public interface of section 5 and the exact readings of 2.11, not against
the implementation. Run with RULES_HYPOTHESIS_PROFILE=rules-thorough for ten times the examples.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from prescriptions.rules import (
    Config,
    Context,
    Ease,
    FrequencyPhase,
    LocationResponse,
    MorningCheck,
    NeuroChange,
    Outcome,
    PainZone,
    Session,
    Stage,
    SymptomLevel,
    location_response,
    odi_score,
    pain_zone,
)
from tests.prescriptions.strategies import (
    DST_DATES,
    DST_ZONES,
    EASE_ORDER,
    NO_CES,
    PHASE_ORDER,
    PRESENTATIONS,
    TIMEZONES,
    Case,
    at_local,
    configs,
    good_cases,
    instants_between,
    local_date,
    local_instants,
    near_gate_cases,
    present,
    random_cases,
    sessions,
    sides,
)

if TYPE_CHECKING:
    from prescriptions.rules import Decision

# Histories cost ~10 ms an example to build; 100 of each keeps the file near half a minute.
# Pure helpers are cheap and get twice as many. RULES_HYPOTHESIS_PROFILE=rules-thorough: x10.
settings.register_profile(
    "rules",
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("rules-thorough", settings.get_profile("rules"), max_examples=1000)
PROPERTY = settings.get_profile(os.environ.get("RULES_HYPOTHESIS_PROFILE", "rules"))
HELPER = settings(PROPERTY, max_examples=2 * PROPERTY.max_examples)

ELIGIBLE = (Outcome.ADVANCE_ELIGIBLE, Outcome.MAINTENANCE_ELIGIBLE)
REGRESS = Outcome.REGRESS_ONE.severity
SUSPEND = Outcome.SUSPEND_CONTACT_PT.severity
BACK = SymptomLevel.BACK

any_case = st.one_of(random_cases(), near_gate_cases(), good_cases())
worsenable = st.one_of(
    random_cases(min_sessions=1, min_mornings=1), near_gate_cases(), good_cases(phases=PHASE_ORDER)
)


def stage_no(stage: object) -> int:
    return int(getattr(stage, "value", stage))


def fired_ids(decision: Decision) -> set[str]:
    return {fired.rule_id for fired in decision.fired}


def pick(data: st.DataObject, items: Sequence[Session], can: Callable[[Session], bool]) -> int:
    """Index of a random set for which `can(set)` holds."""
    candidates = [i for i, item in enumerate(items) if can(item)]
    assume(candidates)
    return data.draw(st.sampled_from(candidates), label="index")


def in_window(case: Case, session: Session) -> bool:
    """Read since the reset point and inside the last window_days local dates (2.11 items 4, 26)."""
    first = case.today - timedelta(days=case.config.window_days - 1)
    return case.since_reset(session) and first <= case.date_of(session.started_at) <= case.today


def today_instant(case: Case) -> st.SearchStrategy[datetime]:
    """An instant between local midnight today and `now`."""
    return instants_between(at_local(case.tz, case.today, 0), case.now_utc)


@st.composite
def with_read_session(draw: st.DrawFn, case: Case) -> tuple[Case, int]:
    """The case and the index of a set the rules must read (2.11 item 2), added if need be."""
    readable = [i for i, s in enumerate(case.sessions) if case.read(s)]
    if readable and draw(st.booleans()):
        return case, draw(st.sampled_from(readable))
    started = draw(instants_between(case.reset_at - timedelta(days=3), case.now_utc))
    entered = draw(instants_between(max(started, case.reset_at), case.now_utc))
    fresh = draw(sessions(case.tz, case.now_utc, case.context.stage))
    fresh = dataclasses.replace(fresh, started_at=started, entered_at=entered)
    return case.with_(sessions=(*case.sessions, fresh)), len(case.sessions)


@st.composite
def positive_ces(draw: st.DrawFn) -> tuple[bool, bool, bool, bool]:
    answers = list(draw(st.tuples(*[st.booleans()] * 4)))
    answers[draw(st.integers(0, 3))] = True
    return (answers[0], answers[1], answers[2], answers[3])


def assert_red_flag(decision: Decision, answers: tuple[bool, bool, bool, bool]) -> None:
    assert decision.outcome is Outcome.URGENT_RED_FLAG, decision
    if any(answers[:3]):
        assert "R-RED-1" in fired_ids(decision), decision.fired
    if answers[3]:
        assert "R-RED-2" in fired_ids(decision), decision.fired


# --------------------------------------------------------------------------- invariant 1

BAD_KINDS = ("peripheralized", "red", "red_excused_by_hold3", "severe", "neuro", "red_flag")


@st.composite
def bad_set_changes(draw: st.DrawFn, kind: str) -> dict[str, object]:
    """Field changes that make a set PERIPHERALIZED, RED, SEVERE, neuro or CES-positive."""
    side = draw(st.integers(0, 1))
    if kind in ("peripheralized", "red_excused_by_hold3"):
        low, high = (0, 4) if kind == "peripheralized" else (1, 5)
        moved_pre = draw(st.integers(low, high))
        moved_post = draw(
            st.integers(max(moved_pre + 1, 2), 5)
            if kind == "peripheralized"
            else st.integers(0, moved_pre - 1)
        )
        other_pre = draw(st.integers(0, 5))
        other_post = draw(st.integers(0, other_pre))
        pre = [other_pre, other_pre]
        post = [other_post, other_post]
        pre[side], post[side] = moved_pre, moved_post
        changes: dict[str, object] = {
            "loc_pre": (SymptomLevel(pre[0]), SymptomLevel(pre[1])),
            "loc_post": (SymptomLevel(post[0]), SymptomLevel(post[1])),
        }
        if kind == "red_excused_by_hold3":
            start = draw(st.integers(0, 8))
            changes |= {
                "pain_pre": start,
                "pain_during_max": draw(st.integers(0, 5)),
                "pain_post": draw(st.integers(start + 2, 10)),
            }
        return changes
    if kind == "red":
        start = draw(st.integers(0, 8))
        if draw(st.booleans()):
            return {"pain_pre": start, "pain_during_max": draw(st.integers(6, 7))}
        return {
            "pain_pre": start,
            "pain_during_max": draw(st.integers(0, 5)),
            "pain_post": draw(st.integers(start + 2, 10)),
        }
    if kind == "severe":
        return {"pain_during_max": draw(st.integers(8, 10))}
    if kind == "neuro":
        return {"neuro_change": draw(st.sampled_from([NeuroChange.NUMBNESS, NeuroChange.WEAKNESS]))}
    return {"ces_answers": draw(positive_ces())}


def _irregular(case: Case, session: Session, irregular: str, kind: str) -> dict[str, object]:
    """Make the set late, off-protocol or unscreened: safety rules still read it (2.9)."""
    if irregular == "late":
        late = session.started_at.astimezone(UTC) + timedelta(hours=case.config.late_entry_h)
        return {"entered_at": case.now_utc} if case.now_utc > late else {}
    if irregular == "off_stage":
        return {"stage": next(stage for stage in Stage if stage is not case.context.stage)}
    return {"ces_answers": None} if irregular == "no_ces" and kind != "red_flag" else {}


@pytest.mark.parametrize("kind", BAD_KINDS)
@PROPERTY
@given(case=good_cases(), data=st.data())
def test_inv01_unsafe_set_in_window_never_advances(
    kind: str, case: Case, data: st.DataObject
) -> None:
    index = pick(data, case.sessions, lambda s: in_window(case, s))
    changes = data.draw(bad_set_changes(kind), label="changes")
    if kind == "red":
        changes.setdefault("loc_post", case.sessions[index].loc_pre)
    irregular = data.draw(st.sampled_from(["none", "late", "off_stage", "no_ces"]), label="log")
    changes |= _irregular(case, case.sessions[index], irregular, kind)
    decision = case.replace_session(index, **changes).run()
    event(f"{irregular}: {decision.outcome.name}")
    assert decision.outcome not in ELIGIBLE, decision
    if kind in ("red", "red_excused_by_hold3", "severe"):
        assert "R-HOLD-7" in fired_ids(decision), decision.fired


@HELPER
@given(
    pre=st.integers(0, 10),
    during=st.integers(0, 10),
    post=st.integers(0, 10),
    config=st.one_of(st.just(Config()), configs()),
)
def test_inv01_pain_zone_follows_2_3(pre: int, during: int, post: int, config: Config) -> None:
    case_session = _plain_session(datetime(2024, 6, 1, 12, tzinfo=UTC), pre, during, post)
    delta = post - pre
    if during >= config.p_severe:
        expected = PainZone.SEVERE
    elif during > config.p_accept or delta >= config.p_mcid:
        expected = PainZone.RED
    elif config.painless_mode == "NO_INCREASE":
        green = during <= pre and delta <= 0 and during <= config.p_accept
        expected = PainZone.GREEN if green else PainZone.AMBER
    else:
        green = during <= config.p_safe and delta <= 0
        expected = PainZone.GREEN if green else PainZone.AMBER
    assert pain_zone(case_session, config) is expected


# --------------------------------------------------------------------------- invariant 2


@PROPERTY
@given(case=random_cases(any_config=False), data=st.data())
def test_inv02_positive_ces_item_is_urgent_whatever_else(case: Case, data: st.DataObject) -> None:
    case, index = data.draw(with_read_session(case), label="read session")
    answers = data.draw(positive_ces(), label="answers")
    assert_red_flag(case.replace_session(index, ces_answers=answers).run(), answers)


@PROPERTY
@given(case=good_cases(), data=st.data())
def test_inv02_positive_ces_item_is_urgent_at_the_gate(case: Case, data: st.DataObject) -> None:
    index = data.draw(st.sampled_from(range(len(case.sessions))), label="index")
    answers = data.draw(positive_ces(), label="answers")
    assert_red_flag(case.replace_session(index, ces_answers=answers).run(), answers)


# --------------------------------------------------------------------------- invariant 3
# Each test picks one set (or morning), gives it any value that can still be worsened, then
# compares that input with the same input worsened in one way. Letting the "before" value be
# anything (not only the generated one) puts the chosen set at every zone, not just GREEN.


def assert_not_lower(case: Case, worse: Case) -> None:
    before, after = case.run(), worse.run()
    event(f"{before.outcome.name} -> {after.outcome.name}")
    assert after.outcome.severity >= before.outcome.severity, (before, after)


def _rising(data: st.DataObject, top: int) -> tuple[int, int]:
    """A value below `top` and a higher one."""
    low = data.draw(st.integers(0, top - 1), label="before")
    return low, data.draw(st.integers(low + 1, top), label="after")


def _spreading(data: st.DataObject) -> tuple[tuple[SymptomLevel, ...], tuple[SymptomLevel, ...]]:
    """Sides, and the same sides with one side further down the leg."""
    before = data.draw(sides.filter(lambda pair: min(pair) < SymptomLevel.FOOT), label="before")
    side = data.draw(st.sampled_from([k for k in (0, 1) if before[k] < SymptomLevel.FOOT]))
    after = list(before)
    after[side] = SymptomLevel(data.draw(st.integers(int(before[side]) + 1, 5), label="after"))
    return before, tuple(after)


def _set_pair(case: Case, data: st.DataObject, field: str, before: object, after: object) -> None:
    index = data.draw(st.integers(0, len(case.sessions) - 1), label="set")
    base = case.replace_session(index, **{field: before})
    assert_not_lower(base, base.replace_session(index, **{field: after}))


def _morning_pair(
    case: Case, data: st.DataObject, field: str, before: object, after: object
) -> None:
    index = data.draw(st.integers(0, len(case.mornings) - 1), label="morning")
    base = case.replace_morning(index, **{field: before})
    assert_not_lower(base, base.replace_morning(index, **{field: after}))


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_higher_pain_during_max_never_lowers_severity(
    case: Case, data: st.DataObject
) -> None:
    _set_pair(case, data, "pain_during_max", *_rising(data, 10))


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_higher_pain_post_never_lowers_severity(case: Case, data: st.DataObject) -> None:
    _set_pair(case, data, "pain_post", *_rising(data, 10))


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_higher_morning_pain_never_lowers_severity(case: Case, data: st.DataObject) -> None:
    _morning_pair(case, data, "pain", *_rising(data, 10))


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_more_distal_post_level_never_lowers_severity(
    case: Case, data: st.DataObject
) -> None:
    _set_pair(case, data, "loc_post", *_spreading(data))


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_more_distal_morning_level_never_lowers_severity(
    case: Case, data: st.DataObject
) -> None:
    _morning_pair(case, data, "loc", *_spreading(data))


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_lower_ease_never_lowers_severity(case: Case, data: st.DataObject) -> None:
    low, high = _rising(data, len(EASE_ORDER) - 1)
    _set_pair(case, data, "ease", EASE_ORDER[low], EASE_ORDER[high])


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_fewer_reps_never_lowers_severity(case: Case, data: st.DataObject) -> None:
    fewer, more = _rising(data, 30)
    _set_pair(case, data, "reps_done", more, fewer)


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_a_yes_ces_answer_never_lowers_severity(case: Case, data: st.DataObject) -> None:
    before = data.draw(
        st.one_of(st.none(), st.tuples(*[st.booleans()] * 4)).filter(
            lambda answers: answers is None or not all(answers)
        ),
        label="before",
    )
    after = list(before or NO_CES)
    after[data.draw(st.sampled_from([k for k in range(4) if not after[k]]))] = True
    _set_pair(case, data, "ces_answers", before, tuple(after))


@PROPERTY
@given(case=worsenable, data=st.data())
def test_inv03_a_yes_neuro_answer_never_lowers_severity(case: Case, data: st.DataObject) -> None:
    change = data.draw(st.sampled_from([NeuroChange.NUMBNESS, NeuroChange.WEAKNESS]))
    _set_pair(case, data, "neuro_change", NeuroChange.NONE, change)


ZONE_RANK = {PainZone.GREEN: 0, PainZone.AMBER: 1, PainZone.RED: 2, PainZone.SEVERE: 3}


@HELPER
@given(
    pre=st.integers(0, 10),
    during=st.integers(0, 10),
    post=st.integers(0, 10),
    more_during=st.integers(0, 10),
    more_post=st.integers(0, 10),
    config=st.one_of(st.just(Config()), configs()),
)
def test_inv03_pain_zone_never_improves_with_more_pain(
    pre: int, during: int, post: int, more_during: int, more_post: int, config: Config
) -> None:
    when = datetime(2024, 6, 1, 12, tzinfo=UTC)
    base = _plain_session(when, pre, during, post)
    worse = _plain_session(when, pre, max(during, more_during), max(post, more_post))
    assert ZONE_RANK[pain_zone(worse, config)] >= ZONE_RANK[pain_zone(base, config)]


# --------------------------------------------------------------------------- invariant 4


@PROPERTY
@given(case=any_case)
def test_inv04_next_stage_is_a_stage_at_most_one_step_away(case: Case) -> None:
    decision = case.run()
    stage, proposed = stage_no(case.context.stage), stage_no(decision.next_stage)
    event(decision.outcome.name)
    assert proposed in (1, 2, 3)
    assert abs(proposed - stage) <= 1
    if decision.outcome is Outcome.ADVANCE_ELIGIBLE:
        assert (stage, proposed) in ((1, 2), (2, 3))
    if decision.outcome is Outcome.MAINTENANCE_ELIGIBLE:
        assert (stage, proposed) == (3, 3)
    if decision.outcome is Outcome.HOLD:
        assert proposed == stage
    if decision.outcome is Outcome.REGRESS_ONE:
        assert (stage, proposed) in ((2, 1), (3, 2))


@PROPERTY
@given(case=st.one_of(any_case, random_cases(stages=(Stage.SUPINE,))))
def test_inv04_most_severe_rule_wins_and_stage1_regress_is_suspend(case: Case) -> None:
    decision = case.run()
    if not decision.fired:
        assert decision.outcome is Outcome.HOLD
        return
    top = max(fired.outcome.severity for fired in decision.fired)
    if stage_no(case.context.stage) == 1 and top == REGRESS:
        top = SUSPEND
    event(f"stage {stage_no(case.context.stage)}: {decision.outcome.name}")
    assert decision.outcome.severity == top, decision
    if stage_no(case.context.stage) == 1:
        assert decision.outcome is not Outcome.REGRESS_ONE


@PROPERTY
@given(case=good_cases())
def test_inv04_met_gate_proposes_next_stage_or_maintenance_at_stage3(case: Case) -> None:
    decision = case.run()
    stage = stage_no(case.context.stage)
    if stage == 3:
        assert decision.outcome is Outcome.MAINTENANCE_ELIGIBLE, decision
        assert stage_no(decision.next_stage) == 3
    else:
        assert decision.outcome is Outcome.ADVANCE_ELIGIBLE, decision
        assert stage_no(decision.next_stage) == stage + 1
    assert decision.next_phase is case.context.phase
    assert decision.qualifying_sessions >= 6
    assert decision.qualifying_days >= 3


@PROPERTY
@given(case=good_cases(), data=st.data())
def test_inv04_one_red_set_regresses_one_stage_or_suspends_at_stage1(
    case: Case, data: st.DataObject
) -> None:
    index = pick(data, case.sessions, lambda s: in_window(case, s))
    changes = data.draw(bad_set_changes("red"), label="changes")
    changes.setdefault("loc_post", case.sessions[index].loc_pre)
    decision = case.replace_session(index, **changes).run()
    stage = stage_no(case.context.stage)
    assert "R-REG-2" in fired_ids(decision), decision.fired
    if stage == 1:
        assert decision.outcome is Outcome.SUSPEND_CONTACT_PT, decision
        assert stage_no(decision.next_stage) == 1
    else:
        assert decision.outcome is Outcome.REGRESS_ONE, decision
        assert stage_no(decision.next_stage) == stage - 1


# --------------------------------------------------------------------------- invariant 5

GAPS = ("missing_morning", "late_entry", "missing_ces", "off_stage")


def _with_gap(case: Case, kind: str, data: st.DataObject) -> Case:
    logs = case.sessions
    if kind == "missing_morning":
        days = sorted(
            {case.date_of(s.started_at) for s in logs if case.since_reset(s)} - {case.today}
        )
        assume(days)
        gone = data.draw(st.sampled_from(days)) + timedelta(days=1)
        return case.with_(mornings=tuple(m for m in case.mornings if m.local_date != gone))
    if kind == "late_entry":
        limit = timedelta(hours=case.config.late_entry_h)
        i = pick(data, logs, lambda s: case.since_reset(s) and case.now_utc - s.started_at > limit)
        earliest = logs[i].started_at.astimezone(UTC) + limit + timedelta(seconds=1)
        entered = data.draw(instants_between(earliest, case.now_utc))
        return case.replace_session(i, entered_at=entered)
    if kind == "missing_ces":
        i = pick(data, logs, lambda s: case.since_reset(s) and _first_of_day(case, s))
        return case.replace_session(i, ces_answers=None)
    i = pick(data, logs, lambda s: case.since_reset(s))
    other = [stage for stage in Stage if stage is not case.context.stage]
    return case.replace_session(i, stage=data.draw(st.sampled_from(other)))


def _first_of_day(case: Case, session: Session) -> bool:
    day = case.date_of(session.started_at)
    same_day = [
        s.started_at.astimezone(UTC) for s in case.sessions if case.date_of(s.started_at) == day
    ]
    return session.started_at.astimezone(UTC) == min(same_day)


@pytest.mark.parametrize("kind", GAPS)
@PROPERTY
@given(case=good_cases(phases=PHASE_ORDER), data=st.data())
def test_inv05_missing_or_late_data_never_opens_the_gate(
    kind: str, case: Case, data: st.DataObject
) -> None:
    decision = _with_gap(case, kind, data).run()
    event(decision.outcome.name)
    assert decision.outcome not in ELIGIBLE, decision


@PROPERTY
@given(case=random_cases())
def test_inv05_incomplete_noisy_logs_never_advance(case: Case) -> None:
    limit = timedelta(hours=case.config.late_entry_h)
    logs = [s for s in case.sessions if case.since_reset(s)]
    checked = {m.local_date for m in case.mornings}
    days = {case.date_of(s.started_at) for s in logs} - {case.today}
    incomplete = (
        any(s.entered_at.astimezone(UTC) - s.started_at.astimezone(UTC) > limit for s in logs)
        or any(s.stage is not case.context.stage for s in logs)
        or any(day + timedelta(days=1) not in checked for day in days)
        or any(s.ces_answers is None and _first_of_day(case, s) for s in logs)
    )
    event(f"incomplete={incomplete}")
    if incomplete:
        assert case.run().outcome not in ELIGIBLE


# --------------------------------------------------------------------------- invariant 6


@PROPERTY
@given(case=any_case, data=st.data())
def test_inv06_input_order_and_reruns_change_nothing(case: Case, data: st.DataObject) -> None:
    first = case.run()
    assert case.run() == first
    shuffled = case.with_(
        sessions=tuple(data.draw(st.permutations(case.sessions), label="sessions")),
        mornings=tuple(data.draw(st.permutations(case.mornings), label="mornings")),
    )
    assert shuffled.run() == first


@PROPERTY
@given(case=any_case, how=st.sampled_from(PRESENTATIONS))
def test_inv06_tzinfo_of_the_same_instants_changes_nothing(case: Case, how: str) -> None:
    moved = case.retimed(lambda instant, i: present(instant, case.tz, how, i + 1))
    assert moved.run() == case.run()


# --------------------------------------------------------------------------- invariant 7


def expected_response(pre: tuple[int, int], post: tuple[int, int]) -> LocationResponse:
    """2.3, in its stated order."""
    pairs = list(zip(pre, post, strict=True))
    if any(b > a and b >= 2 for a, b in pairs):
        return LocationResponse.PERIPHERALIZED
    if any(a == 0 and b == 1 for a, b in pairs):
        return LocationResponse.SPREAD_IN_BACK
    if any(b < a for a, b in pairs):
        return LocationResponse.ABOLISHED if max(post) == 0 else LocationResponse.CENTRALIZED
    return LocationResponse.UNCHANGED


@st.composite
def centralized_from_two_or_more(
    draw: st.DrawFn,
) -> tuple[tuple[SymptomLevel, ...], tuple[SymptomLevel, ...]]:
    """Sides where nothing rises and one side drops from BUTTOCK or beyond."""
    side = draw(st.integers(0, 1))
    pre = [draw(st.integers(0, 5)), draw(st.integers(0, 5))]
    pre[side] = draw(st.integers(2, 5))
    post = [draw(st.integers(0, level)) for level in pre]
    post[side] = draw(st.integers(0, pre[side] - 1))
    return tuple(map(SymptomLevel, pre)), tuple(map(SymptomLevel, post))


@HELPER
@given(pair=centralized_from_two_or_more())
def test_inv07_swapping_a_centralized_session_peripheralizes(pair: tuple) -> None:
    pre, post = pair
    assert location_response(pre, post) in (
        LocationResponse.CENTRALIZED,
        LocationResponse.ABOLISHED,
    )
    assert location_response(post, pre) is LocationResponse.PERIPHERALIZED


@HELPER
@given(pre=sides, post=sides)
def test_inv07_location_response_follows_2_3_order(pre: tuple, post: tuple) -> None:
    assert location_response(pre, post) is expected_response(pre, post)


@PROPERTY
@given(case=good_cases(), pair=centralized_from_two_or_more(), data=st.data())
def test_inv07_swapped_session_fires_r_reg_1(case: Case, pair: tuple, data: st.DataObject) -> None:
    pre, post = pair
    i = pick(data, case.sessions, lambda s: case.since_reset(s))
    decision = case.replace_session(i, loc_pre=post, loc_post=pre).run()
    assert "R-REG-1" in fired_ids(decision), decision.fired
    assert decision.outcome.severity >= REGRESS


# --------------------------------------------------------------------------- invariant 8


def _plain_session(started: datetime, pre: int = 2, during: int = 1, post: int = 2) -> Session:
    """A set that qualifies against base pain 2 and base (BACK, BACK)."""
    entered = (started.astimezone(UTC) + timedelta(minutes=5)).astimezone(started.tzinfo)
    return Session(
        started_at=started,
        entered_at=entered,
        stage=Stage.SEATED,
        reps_target=10,
        reps_done=10,
        pain_pre=pre,
        pain_during_max=during,
        pain_post=post,
        loc_pre=(BACK, BACK),
        loc_post=(BACK, BACK),
        ease=Ease.EASY,
        ces_answers=NO_CES,
    )


def plain_case(tz_name: str, starts: list[datetime], started: datetime, now: datetime) -> Case:
    """Qualifying sets at `starts`, a settled MorningCheck for every later day up to `now`."""
    first = min([local_date(s, tz_name) for s in starts] + [local_date(now, tz_name)])
    today = local_date(now, tz_name)
    checks = tuple(
        MorningCheck(first + timedelta(days=k), 2, (BACK, BACK))
        for k in range(1, (today - first).days + 1)
    )
    context = Context(
        stage=Stage.SEATED,
        stage_started_at=present(started, tz_name, "local"),
        timezone=tz_name,
        base_pain=2,
        base_loc=(BACK, BACK),
    )
    logs = tuple(_plain_session(present(s, tz_name, "local")) for s in starts)
    return Case(context, logs, checks, present(now, tz_name, "local"))


MIDNIGHT_DAYS = [(tz, date(2024, 6, 12)) for tz in TIMEZONES] + [
    (tz, day + timedelta(days=shift))
    for tz in DST_ZONES
    for day in DST_DATES[tz][:2]
    for shift in (-1, 0)
]


@pytest.mark.parametrize(("tz_name", "day"), MIDNIGHT_DAYS)
def test_inv08_2355_and_0005_local_are_two_days(tz_name: str, day: date) -> None:
    late, early = (
        at_local(tz_name, day, 23 * 60 + 55, fold=1),
        at_local(tz_name, day + timedelta(days=1), 5),
    )
    assert local_date(late, tz_name) != local_date(early, tz_name)
    started = at_local(tz_name, day - timedelta(days=1), 12 * 60)
    decision = plain_case(
        tz_name, [late, early], started, at_local(tz_name, day + timedelta(days=3), 720)
    ).run()
    assert (decision.qualifying_sessions, decision.qualifying_days) == (2, 2), decision
    assert decision.days_at_stage == 4
    assert plain_case(tz_name, [], late, early).run().days_at_stage == 1


SAME_DATE_ACROSS_UTC = [
    ("Asia/Kolkata", date(2024, 6, 12), 60, 22 * 60),
    ("Australia/Sydney", date(2024, 6, 12), 8 * 60, 20 * 60),
    ("Australia/Sydney", date(2024, 4, 7), 8 * 60, 20 * 60),
    ("America/New_York", date(2024, 1, 12), 12 * 60, 21 * 60),
    ("America/New_York", date(2024, 11, 3), 12 * 60, 21 * 60),
    ("America/Santiago", date(2024, 9, 8), 12 * 60, 22 * 60 + 30),
    ("Europe/London", date(2024, 7, 12), 30, 12 * 60),
]


@pytest.mark.parametrize(("tz_name", "day", "first", "second"), SAME_DATE_ACROSS_UTC)
def test_inv08_same_local_date_across_utc_dates_is_one_day(
    tz_name: str, day: date, first: int, second: int
) -> None:
    one, two = at_local(tz_name, day, first), at_local(tz_name, day, second)
    assert one.date() != two.date()
    assert local_date(one, tz_name) == local_date(two, tz_name)
    now = at_local(tz_name, day + timedelta(days=2), 12 * 60)
    decision = plain_case(
        tz_name, [one, two], at_local(tz_name, day - timedelta(days=1), 720), now
    ).run()
    assert (decision.qualifying_sessions, decision.qualifying_days) == (2, 1), decision
    assert plain_case(tz_name, [], one, two).run().days_at_stage == 0


REPEATED_HOURS = [
    ("America/New_York", date(2024, 11, 3), 70),
    ("Europe/London", date(2024, 10, 27), 70),
    ("Australia/Sydney", date(2024, 4, 7), 130),
    ("America/Santiago", date(2024, 4, 6), 23 * 60 + 10),
]


@pytest.mark.parametrize(("tz_name", "day", "minute"), REPEATED_HOURS)
def test_inv08_repeated_wall_clock_hour_is_one_day_two_sets(
    tz_name: str, day: date, minute: int
) -> None:
    once, again = at_local(tz_name, day, minute, fold=0), at_local(tz_name, day, minute, fold=1)
    assert again - once == timedelta(hours=1)
    now = at_local(tz_name, day + timedelta(days=2), 12 * 60)
    decision = plain_case(
        tz_name, [once, again], at_local(tz_name, day - timedelta(days=1), 720), now
    ).run()
    assert (decision.qualifying_sessions, decision.qualifying_days) == (2, 1), decision


# (zone, day, (minute, fold) of each set, sets counted): 20 real minutes apart merge, 100 do not,
# whatever the wall clock says (2.11 items 10 and 26).
DST_MERGES = [
    ("America/New_York", date(2024, 11, 3), ((110, 0), (70, 1)), 1),
    ("America/New_York", date(2024, 11, 3), ((70, 0), (110, 1)), 2),
    ("America/New_York", date(2024, 3, 10), ((110, 0), (190, 0)), 1),
    ("Europe/London", date(2024, 3, 31), ((50, 0), (130, 0)), 1),
    ("Australia/Sydney", date(2024, 10, 6), ((110, 0), (190, 0)), 1),
    ("Australia/Sydney", date(2024, 4, 7), ((150, 0), (140, 1)), 2),
]


@pytest.mark.parametrize(("tz_name", "day", "walls", "counted"), DST_MERGES)
def test_inv08_merging_across_dst_uses_real_minutes(
    tz_name: str, day: date, walls: tuple, counted: int
) -> None:
    starts = [at_local(tz_name, day, minute, fold) for minute, fold in walls]
    assert (abs(starts[1] - starts[0]) < timedelta(minutes=30)) == (counted == 1)
    now = at_local(tz_name, day + timedelta(days=2), 12 * 60)
    decision = plain_case(
        tz_name, starts, at_local(tz_name, day - timedelta(days=1), 720), now
    ).run()
    assert (decision.qualifying_sessions, decision.qualifying_days) == (counted, 1), decision


@st.composite
def dst_spanning_cases(draw: st.DrawFn) -> Case:
    """Good logs in a zone with DST, the stage started on or before one of its changes."""
    tz_name = draw(st.sampled_from(DST_ZONES))
    after = draw(st.integers(0, 12))
    now = draw(
        local_instants(tz_name, draw(st.sampled_from(DST_DATES[tz_name])) + timedelta(days=after))
    )
    return draw(good_cases(tz_names=(tz_name,), now=now, stage_days=st.integers(after, after + 9)))


@PROPERTY
@given(case=dst_spanning_cases())
def test_inv08_days_and_counts_follow_the_local_calendar_across_dst(case: Case) -> None:
    decision = case.run()
    assert decision.days_at_stage == (case.today - case.date_of(case.reset_at)).days
    first = case.today - timedelta(days=6)
    counted = [case.date_of(s.started_at) for s in case.sessions]
    counted = [day for day in counted if first <= day < case.today]
    assert decision.qualifying_days == len(set(counted)), decision
    assert decision.qualifying_sessions == len(counted), decision


# --------------------------------------------------------------------------- invariant 9


@PROPERTY
@given(case=any_case, data=st.data())
def test_inv09_counters_are_zero_right_after_a_stage_change(
    case: Case, data: st.DataObject
) -> None:
    stage = stage_no(case.context.stage)
    step = data.draw(st.sampled_from([k for k in (-1, 1) if 1 <= stage + k <= 3]), label="step")
    changed = data.draw(today_instant(case), label="changed at")
    context = dataclasses.replace(
        case.context,
        stage=Stage(stage + step),
        stage_started_at=changed,
        last_reset_at=None,
        last_advance_at=changed if step == 1 else case.context.last_advance_at,
        recent_regressions=case.context.recent_regressions + ((changed,) if step == -1 else ()),
    )
    decision = case.with_(context=context).run()
    assert (decision.qualifying_sessions, decision.qualifying_days, decision.days_at_stage) == (
        0,
        0,
        0,
    )


@PROPERTY
@given(case=any_case, data=st.data())
def test_inv09_counters_are_zero_right_after_a_regression_is_acknowledged(
    case: Case, data: st.DataObject
) -> None:
    reset = data.draw(today_instant(case), label="acknowledged at")
    context = dataclasses.replace(case.context, last_reset_at=reset)
    decision = case.with_(context=context).run()
    assert (decision.qualifying_sessions, decision.qualifying_days, decision.days_at_stage) == (
        0,
        0,
        0,
    )


@PROPERTY
@given(case=any_case)
def test_inv09_counters_are_zero_when_a_rule_at_or_above_regress_fires(case: Case) -> None:
    decision = case.run()
    if any(fired.outcome.severity >= REGRESS for fired in decision.fired):
        counters = (decision.qualifying_sessions, decision.qualifying_days, decision.days_at_stage)
        assert counters == (0, 0, 0), decision


# --------------------------------------------------------------------------- invariant 10


@PROPERTY
@given(case=st.one_of(any_case, good_cases(phases=(FrequencyPhase.TAPER,))))
def test_inv10_never_advances_stage_and_tapers_frequency_together(case: Case) -> None:
    decision = case.run()
    before, after = PHASE_ORDER.index(case.context.phase), PHASE_ORDER.index(decision.next_phase)
    advanced = stage_no(decision.next_stage) > stage_no(case.context.stage)
    event(f"{case.context.phase.name}->{decision.next_phase.name} {decision.outcome.name}")
    assert not (advanced and after > before), decision
    if decision.outcome in ELIGIBLE:
        assert decision.next_phase is case.context.phase, decision
    if after > before:
        assert (case.context.phase, decision.next_phase) == (
            FrequencyPhase.TAPER,
            FrequencyPhase.MAINTENANCE,
        )
        assert stage_no(decision.next_stage) == stage_no(case.context.stage)


@PROPERTY
@given(case=any_case)
def test_inv10_safety_outcomes_return_to_flare_frequency(case: Case) -> None:
    decision = case.run()
    if decision.outcome.severity >= REGRESS:
        assert decision.next_phase is FrequencyPhase.FLARE, decision


# --------------------------------------------------------------------------- invariant 11


def test_inv11_odi_examples_from_the_spec() -> None:
    assert (odi_score([0] * 10).percent, odi_score([0] * 10).band) == (0, "minimal")
    assert (odi_score([5] * 10).percent, odi_score([5] * 10).band) == (100, "bed-bound")
    sixteen = odi_score([5, 5, 5, 1, 0, 0, 0, 0, 0, None])
    assert sixteen.valid
    assert sixteen.percent == pytest.approx(35.6, abs=1e-9)
    assert sixteen.band == "moderate"
    eight = odi_score([1] * 8 + [None, None])
    assert (eight.valid, eight.percent, eight.band) == (False, None, None)
    assert odi_score([1] * 8 + [None, None], min_sections=8).percent == pytest.approx(20.0)
    assert odi_score([1] * 10).band == "minimal"
    assert odi_score([2] + [1] * 8 + [None]).band == "moderate"
    bands = {2: "moderate", 3: "severe", 4: "crippled"}
    for answer, band in bands.items():
        assert odi_score([answer] * 10).band == band


def expected_band(value: Fraction) -> str:
    for limit, band in ((20, "minimal"), (40, "moderate"), (60, "severe"), (80, "crippled")):
        if value <= limit:
            return band
    return "bed-bound"


@HELPER
@given(
    answers=st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=10, max_size=10),
    min_sections=st.sampled_from([8, 9, 10]),
)
def test_inv11_odi_score_is_a_percentage_with_bands(
    answers: list[int | None], min_sections: int
) -> None:
    result = odi_score(answers, min_sections=min_sections)
    given_answers = [a for a in answers if a is not None]
    if len(given_answers) < min_sections:
        assert (result.valid, result.percent, result.band) == (False, None, None)
        return
    exact = Fraction(100 * sum(given_answers), 5 * len(given_answers))
    assert result.valid
    assert 0 <= result.percent <= 100
    assert result.percent == pytest.approx(round(float(exact), 1), abs=1e-9)
    assert result.band == expected_band(exact)


@HELPER
@given(missing=st.sets(st.integers(0, 9), max_size=1), answer=st.sampled_from([0, 5]))
def test_inv11_all_zero_is_0_and_all_five_is_100(missing: set[int], answer: int) -> None:
    answers = [None if k in missing else answer for k in range(10)]
    assert odi_score(answers).percent == answer * 20


# --------------------------------------------------------------------------- invariant 12


@PROPERTY
@given(case=random_cases(any_config=False), config=configs(), data=st.data())
def test_inv12_config_overrides_never_suppress_a_red_flag(
    case: Case, config: Config, data: st.DataObject
) -> None:
    case, index = data.draw(with_read_session(case), label="read session")
    answers = data.draw(positive_ces(), label="answers")
    assert_red_flag(
        case.replace_session(index, ces_answers=answers).with_(config=config).run(), answers
    )


@PROPERTY
@given(case=good_cases(), config=configs(), data=st.data())
def test_inv12_config_overrides_never_suppress_a_red_flag_at_the_gate(
    case: Case, config: Config, data: st.DataObject
) -> None:
    index = data.draw(st.sampled_from(range(len(case.sessions))), label="index")
    answers = data.draw(positive_ces(), label="answers")
    assert_red_flag(
        case.replace_session(index, ces_answers=answers).with_(config=config).run(), answers
    )
