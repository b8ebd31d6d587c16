"""Flexion progression rules: from a patient's logs to one decision with its reasons.

Pure Python: no Django, no database, no clock (time comes in as ``now``). The behaviour is
``clinical-rules.md`` section 2, the interface its section 5. Value objects live in
``_rules_model``, single measurements in ``_rules_measures``, the derived view of the logs in
``_rules_facts`` and the texts in ``_rules_texts``; this module holds the rules and ``evaluate``
and re-exports the whole public interface.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from ._rules_facts import ONE_DAY, RED_ZONES, Facts, Read, build_facts
from ._rules_measures import (
    OdiGate,
    OdiResult,
    location_response,
    morning_flare,
    odi_band,
    odi_gate,
    odi_score,
    pain_zone,
)
from ._rules_model import (
    DEFAULT_CONFIG,
    Config,
    Context,
    Decision,
    Ease,
    ExtensionEffect,
    Fired,
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
)
from ._rules_texts import PATIENT_MESSAGES, RULE_TEXTS

__all__ = [
    "PATIENT_MESSAGES",
    "RULES_VERSION",
    "RULE_TEXTS",
    "Config",
    "Context",
    "Decision",
    "Ease",
    "ExtensionEffect",
    "Fired",
    "FrequencyPhase",
    "LocationResponse",
    "MorningCheck",
    "NeuroChange",
    "OdiGate",
    "OdiResult",
    "Outcome",
    "PainZone",
    "Session",
    "Sides",
    "Stage",
    "SymptomLevel",
    "evaluate",
    "location_response",
    "odi_band",
    "odi_gate",
    "odi_score",
    "pain_zone",
]

# Stored with every evaluation. Change it whenever any behaviour of this module changes.
RULES_VERSION = "2026.11.1"

WEAKNESS_WINDOW = timedelta(hours=72)  # weakness worse on 2 logs within 72 h (R-RED-2; R25, R27)
CES_BLADDER_BOWEL_SADDLE = (0, 1, 2)  # daily screen items 1-3 (spec 2.6, R26)
CES_LEGS = 3  # daily screen item 4: new leg weakness or symptoms in both legs (spec 2.6)
REGRESSION_WINDOW = timedelta(days=14)  # 2 regressions within 14 days (R-REG-5; R13)
WATCH_WORSE_DURING = 2  # 2 sets painful during, just after an advance (R-REG-4; R3)
WEEK = timedelta(days=7)  # weekly windows of R-HOLD-4 (2.11 item 6)
TREND_TWO_WEEKS = 1  # +1 point on each of two weeks (R-HOLD-4; convention, no source)
TREND_ONE_WEEK = 2  # +2 points in one week (R-HOLD-4; convention, NPRS MDC 2, R17)
ODI_MCID = 10  # ODI change that matters: 10 points (R19, R21 MDC ~10)
ADHERENCE_DAYS = 3  # 3 consecutive days (R-HOLD-6; convention)
ADHERENCE_SHARE = Fraction(1, 2)  # fewer than 50% of target sets (R-HOLD-6; convention)
TAPER_GREEN_DAYS = 5  # >= 5 of 7 days all GREEN before maintenance (R-FREQ-1; convention)
_REGRESS = Outcome.REGRESS_ONE.severity


def _ces_bladder_bowel_saddle(facts: Facts) -> bool:
    """R-RED-1: a bladder, bowel or saddle item of the daily screen is yes (2.6, item 2)."""
    return any(_said_yes(read, CES_BLADDER_BOWEL_SADDLE) for read in facts.flagged.ces_yes)


def _neuro_progressive_or_bilateral(facts: Facts) -> bool:
    """R-RED-2: item 4 yes, weakness twice in 72 h, or new/worse symptoms in both legs (12, 25)."""
    flagged = facts.flagged
    weak = [
        read.started_at
        for read in flagged.neuro_change
        if read.session.neuro_change is NeuroChange.WEAKNESS
    ]
    return (
        any(_said_yes(read, (CES_LEGS,)) for read in flagged.ces_yes)
        or any(later - earlier <= WEAKNESS_WINDOW for earlier, later in pairwise(weak))
        or any(_bilateral_new_or_worse(read.session.loc_post, facts) for read in flagged.both_legs)
    )


def _said_yes(read: Read, items: Sequence[int]) -> bool:
    answers = read.session.ces_answers
    return answers is not None and any(answers[item] for item in items)


def _bilateral_new_or_worse(post: Sides, facts: Facts) -> bool:
    """Both legs at THIGH or beyond, where the baseline was not, or both further out (25)."""
    base = facts.context.base_loc
    if min(post) < SymptomLevel.THIGH:
        return False
    if min(base) < SymptomLevel.THIGH:
        return True
    return all(after > before for before, after in zip(base, post, strict=True))


def _systemic_red_flag(facts: Facts) -> bool:
    """R-RED-3: a weekly or intake systemic item is positive and not cleared (item 13)."""
    return facts.context.systemic_red_flag


def _neuro_change(facts: Facts) -> bool:
    """R-STOP-1: new or worse numbness or weakness on any set."""
    return bool(facts.flagged.neuro_change)


def _severe_pain(facts: Facts) -> bool:
    """R-STOP-2: severe pain, or a set abandoned with pain (item 14)."""
    flagged = facts.flagged
    return any(read.zone is PainZone.SEVERE for read in flagged.red) or any(
        read.zone is not PainZone.GREEN for read in flagged.abandoned
    )


def _contraindicated(facts: Facts) -> bool:
    """R-STOP-3: a contraindication flag is active and not cleared (R4, R5)."""
    return facts.context.contraindication_active


def _peripheralized(facts: Facts) -> bool:
    """R-REG-1: symptoms moved further down the leg during a set (R1, R8, R13)."""
    return bool(facts.flagged.peripheralized)


def _red_zone(facts: Facts) -> bool:
    """R-REG-2: too much pain during or after a set, unless excused by R-HOLD-3 (R15, R17)."""
    return any(not _centralizing_with_back_pain(read, facts) for read in facts.flagged.red)


def _centralizing_with_back_pain(read: Read, facts: Facts) -> bool:
    """Leg symptoms retreat while back pain rises by the MCID, pain still acceptable (R12)."""
    session, config = read.session, facts.config
    return (
        read.location in (LocationResponse.CENTRALIZED, LocationResponse.ABOLISHED)
        and session.pain_post - session.pain_pre >= config.p_mcid
        and session.pain_during_max <= config.p_accept
    )


def _morning_flare_after_session(facts: Facts) -> bool:
    """R-REG-3: the morning after a day with sets, pain or location clearly worse (R15)."""
    for day in facts.flagged.days:
        morning = facts.mornings.get(day + ONE_DAY)
        if morning is not None and morning_flare(morning, facts.context, facts.config):
            return True
    return False


def _new_stage_not_tolerated(facts: Facts) -> bool:
    """R-REG-4: in the watch after an advance, a RED set or 2 sets painful during (R3)."""
    start = facts.context.last_advance_at
    if start is None:
        return False
    end = start + timedelta(hours=facts.config.post_advance_watch_h)
    watched = [read for read in facts.reads if start <= read.started_at <= end]
    worse = sum(read.session.pain_during_max > read.session.pain_pre for read in watched)
    return any(read.zone in RED_ZONES for read in watched) or worse >= WATCH_WORSE_DURING


def _not_preferred_direction(facts: Facts, regress_proposed: bool) -> bool:
    """R-REG-5: repeated regressions or peripheralization at stage 1 (R13; item 8)."""
    now = facts.now
    recent = sum(now - REGRESSION_WINDOW <= t <= now for t in facts.context.recent_regressions)
    at_lowest = facts.context.stage is Stage.SUPINE and _peripheralized(facts)
    return (regress_proposed and recent >= 1) or recent >= 2 or at_lowest


def _not_easy_yet(facts: Facts) -> bool:
    """R-HOLD-1: a recent set was AMBER, not easy, or short of reps (R2, R15; item 3)."""
    return any(
        read.zone is PainZone.AMBER
        or read.session.ease is not Ease.EASY
        or read.session.reps_done < read.session.reps_target
        for read in facts.hold_scope
    )


def _spread_in_back(facts: Facts) -> bool:
    """R-HOLD-2: new back pain where there was none, on a recent set (R8)."""
    return any(read.location is LocationResponse.SPREAD_IN_BACK for read in facts.hold_scope)


def _centralization_excuse(facts: Facts) -> bool:
    """R-HOLD-3: a set that would be RED only because back pain rose while centralizing (R12)."""
    return any(_centralizing_with_back_pain(read, facts) for read in facts.flagged.red)


def _pain_trending_up(facts: Facts) -> bool:
    """R-HOLD-4: mean morning pain or pre-set pain above baseline two weeks running (item 6)."""
    latest_start = facts.today - WEEK + timedelta(days=1)
    earlier_start = latest_start - WEEK  # older values are in neither week
    mornings = [(day, check.pain) for day, check in facts.mornings.items() if day >= earlier_start]
    sessions = [
        (day, read.session.pain_pre)
        for day, bouts in facts.evaluable_days.items()
        if day >= earlier_start
        for bout in bouts
        for read in bout.members
    ]
    return _rising(facts, mornings, latest_start) or _rising(facts, sessions, latest_start)


def _rising(facts: Facts, dated: Sequence[tuple[date, int]], latest_start: date) -> bool:
    """Mean of the week ending today, and of the week before, against ``base_pain``.

    ``latest_start`` is the first local date of the week ending today.
    """
    today = facts.today
    earlier_start = latest_start - WEEK
    latest: list[int] = []
    earlier: list[int] = []
    for day, value in dated:
        if latest_start <= day <= today:
            latest.append(value)
        elif earlier_start <= day < latest_start:
            earlier.append(value)
    base = facts.context.base_pain
    latest_rise = _mean(latest) - base if latest else None
    earlier_rise = _mean(earlier) - base if earlier else None
    if latest_rise is None:
        return False
    both_weeks = earlier_rise is not None and min(latest_rise, earlier_rise) >= TREND_TWO_WEEKS
    return both_weeks or latest_rise >= TREND_ONE_WEEK


def _mean(values: Sequence[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _odi_worse(facts: Facts) -> bool:
    """R-HOLD-5: disability worse than the previous ODI by at least the MCID (R19, R21)."""
    worse_by = facts.context.odi_worse_by
    return worse_by is not None and worse_by >= ODI_MCID


def _low_adherence(facts: Facts) -> bool:
    """R-HOLD-6: in FLARE, under half the target sets on each of the last 3 full days (item 7)."""
    if facts.context.phase is not FrequencyPhase.FLARE:
        return False
    days = [facts.today - timedelta(days=n) for n in range(ADHERENCE_DAYS, 0, -1)]
    if facts.reset_at > facts.local_midnight(days[0]):
        return False  # the stage has not yet lasted 3 complete days
    per_day = facts.evaluable_days
    enough = ADHERENCE_SHARE * facts.config.freq_flare
    return all(len(per_day.get(day, ())) < enough for day in days)


def _recent_unsafe_set(facts: Facts) -> bool:
    """R-HOLD-7: a RED or SEVERE set in the last week, even one excused by R-HOLD-3 (item 4)."""
    return any(read.local_date >= facts.window_start for read in facts.flagged.red)


def _long_gap(facts: Facts) -> bool:
    """R-HOLD-8: no evaluable set for two weeks, now or just before the newest one (item 24)."""
    review = timedelta(days=facts.config.gap_review_days)
    closed = facts.newest_closed_gap
    return facts.current_gap >= review or (closed is not None and closed >= review)


def _extension_worse(facts: Facts) -> bool:
    """R-EXT-1: the extension counter-movement worsened or spread symptoms (2.7; item 11)."""
    bad = (ExtensionEffect.WORSE, ExtensionEffect.PERIPHERALIZED)
    return facts.context.extension_enabled and any(
        read.session.extension_effect in bad for read in facts.hold_scope
    )


def _stage_tolerated(facts: Facts) -> bool:
    """R-ADV-1 / R-ADV-2 gate: easy, painless, settled sets on enough days (items 9, 19)."""
    context, config = facts.context, facts.config
    qualifying = facts.qualifying_in_window
    return (
        context.phase is FrequencyPhase.FLARE
        and facts.days_at_stage >= config.min_days_at_stage
        and len(qualifying) >= config.min_q_sessions
        and len({bout.local_date for bout in qualifying}) >= config.min_q_days
        and _last_sets_qualify(facts)
        and _data_complete(facts)
        and not context.open_alert
        and context.odi_gate_met
    )


def _last_sets_qualify(facts: Facts) -> bool:
    """The last ``last_k_q`` counted sets before today are all morning-confirmed and Q."""
    last = facts.counted[-facts.config.last_k_q :]
    return len(last) == facts.config.last_k_q and all(facts.qualifies(bout) for bout in last)


def _data_complete(facts: Facts) -> bool:
    """Every set since the reset is evaluable and every past day has its next morning (19)."""
    past_days = {day for day in facts.flagged.days if day < facts.today}
    return not facts.flagged.not_evaluable and all(
        day + ONE_DAY in facts.mornings for day in past_days
    )


def _taper_tolerated(facts: Facts) -> bool:
    """R-FREQ-1: after ``taper_days`` in TAPER, >= 5 of the last 7 days all GREEN (item 15)."""
    context = facts.context
    if context.phase is not FrequencyPhase.TAPER or context.phase_started_at is None:
        return False
    started = facts.local_date(context.phase_started_at)
    if (facts.today - started).days < facts.config.taper_days:
        return False
    days = {day for day in facts.evaluable_days if day >= max(started, facts.window_start)}
    not_green = {read.local_date for read in facts.reads if read.zone is not PainZone.GREEN}
    green = [day for day in days if day not in not_green]  # every set of the day GREEN
    return len(green) >= TAPER_GREEN_DAYS


@dataclass(frozen=True)
class _Rule:
    rule_id: str
    outcome: Outcome
    check: Callable[[Facts], bool]


# Rules that depend only on the facts, in the order of spec 2.4. R-REG-5, R-ADV and R-FREQ
# depend on what these fired and are applied by ``evaluate``.
_RULES: tuple[_Rule, ...] = (
    _Rule("R-RED-1", Outcome.URGENT_RED_FLAG, _ces_bladder_bowel_saddle),
    _Rule("R-RED-2", Outcome.URGENT_RED_FLAG, _neuro_progressive_or_bilateral),
    _Rule("R-RED-3", Outcome.SUSPEND_CONTACT_PT, _systemic_red_flag),
    _Rule("R-STOP-1", Outcome.SUSPEND_CONTACT_PT, _neuro_change),
    _Rule("R-STOP-2", Outcome.SUSPEND_CONTACT_PT, _severe_pain),
    _Rule("R-STOP-3", Outcome.SUSPEND_CONTACT_PT, _contraindicated),
    _Rule("R-REG-1", Outcome.REGRESS_ONE, _peripheralized),
    _Rule("R-REG-2", Outcome.REGRESS_ONE, _red_zone),
    _Rule("R-REG-3", Outcome.REGRESS_ONE, _morning_flare_after_session),
    _Rule("R-REG-4", Outcome.REGRESS_ONE, _new_stage_not_tolerated),
    _Rule("R-HOLD-1", Outcome.HOLD, _not_easy_yet),
    _Rule("R-HOLD-2", Outcome.HOLD, _spread_in_back),
    _Rule("R-HOLD-3", Outcome.HOLD, _centralization_excuse),
    _Rule("R-HOLD-4", Outcome.HOLD, _pain_trending_up),
    _Rule("R-HOLD-5", Outcome.HOLD, _odi_worse),
    _Rule("R-HOLD-6", Outcome.HOLD, _low_adherence),
    _Rule("R-HOLD-7", Outcome.HOLD, _recent_unsafe_set),
    _Rule("R-HOLD-8", Outcome.HOLD, _long_gap),
    _Rule("R-EXT-1", Outcome.HOLD, _extension_worse),
)
_ORDER = {rule_id: index for index, rule_id in enumerate(RULE_TEXTS)}


def evaluate(
    context: Context,
    sessions: Sequence[Session],
    mornings: Sequence[MorningCheck],
    config: Config = DEFAULT_CONFIG,
    *,
    now: datetime,
) -> Decision:
    """Decide what the programme does next from the logs, with every rule that fired (2.1)."""
    facts = build_facts(context, sessions, mornings, config, now)
    fired = [_fire(rule.rule_id, rule.outcome) for rule in _RULES if rule.check(facts)]
    regress_proposed = any(f.outcome is Outcome.REGRESS_ONE for f in fired)
    if _not_preferred_direction(facts, regress_proposed):
        fired.append(_fire("R-REG-5", Outcome.SUSPEND_CONTACT_PT))
    fired += _progress(facts, fired)
    outcome = _outcome(fired, context.stage)
    next_phase, phase_rule = _next_phase(facts, outcome)
    if phase_rule is not None:
        fired.append(phase_rule)
        outcome = _outcome(fired, context.stage)
    return _decision(facts, outcome, next_phase, fired)


def _fire(rule_id: str, outcome: Outcome) -> Fired:
    return Fired(rule_id=rule_id, outcome=outcome, text=RULE_TEXTS[rule_id])


def _progress(facts: Facts, fired: Sequence[Fired]) -> list[Fired]:
    """R-ADV-1 / R-ADV-2, only when nothing >= REGRESS and no week trend or ODI hold fired."""
    blocked = {"R-HOLD-4", "R-HOLD-5"}
    if any(f.outcome.severity >= _REGRESS or f.rule_id in blocked for f in fired):
        return []
    if not _stage_tolerated(facts):
        return []
    if facts.context.stage is Stage.STANDING:
        return [_fire("R-ADV-2", Outcome.MAINTENANCE_ELIGIBLE)]
    return [_fire("R-ADV-1", Outcome.ADVANCE_ELIGIBLE)]


def _outcome(fired: Sequence[Fired], stage: Stage) -> Outcome:
    """The most severe outcome; nothing fired is HOLD; REGRESS at stage 1 suspends (2.1)."""
    if not fired:
        return Outcome.HOLD
    outcome = max((f.outcome for f in fired), key=lambda o: o.severity)
    if outcome is Outcome.REGRESS_ONE and stage is Stage.SUPINE:
        return Outcome.SUSPEND_CONTACT_PT
    return outcome


def _next_phase(facts: Facts, outcome: Outcome) -> tuple[FrequencyPhase, Fired | None]:
    """R-FREQ-2 back to FLARE on any setback; R-FREQ-1 TAPER to MAINTENANCE (item 15, 22)."""
    phase = facts.context.phase
    if outcome.severity >= _REGRESS:
        if phase is FrequencyPhase.FLARE:
            return phase, None
        return FrequencyPhase.FLARE, _fire("R-FREQ-2", Outcome.HOLD)
    if _taper_tolerated(facts):
        return FrequencyPhase.MAINTENANCE, _fire("R-FREQ-1", Outcome.HOLD)
    return phase, None


def _decision(
    facts: Facts, outcome: Outcome, next_phase: FrequencyPhase, fired: Sequence[Fired]
) -> Decision:
    """Assemble the decision; counters read zero once a rule >= REGRESS fired (invariant 9)."""
    stage = facts.context.stage
    step = {Outcome.ADVANCE_ELIGIBLE: 1, Outcome.REGRESS_ONE: -1}.get(outcome, 0)
    reset = any(f.outcome.severity >= _REGRESS for f in fired)
    qualifying = () if reset else facts.qualifying_in_window
    return Decision(
        outcome=outcome,
        next_stage=Stage(stage + step),
        next_phase=next_phase,
        fired=tuple(sorted(fired, key=lambda f: _ORDER[f.rule_id])),
        qualifying_sessions=len(qualifying),
        qualifying_days=len({bout.local_date for bout in qualifying}),
        days_at_stage=0 if reset else facts.days_at_stage,
    )
