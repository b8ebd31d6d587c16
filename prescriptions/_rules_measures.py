"""Single measurements the rules are built from: symptom location, pain zone, morning, ODI."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ._rules_model import (
    DEFAULT_CONFIG,
    Config,
    Context,
    LocationResponse,
    MorningCheck,
    PainZone,
    Session,
    Sides,
    Stage,
    SymptomLevel,
    as_sides,
    require_int,
)
from ._rules_texts import RULE_TEXTS

# Enum members read once per set, bound once: on Python 3.11 reading ``Enum.MEMBER`` goes
# through the ``EnumType.__getattr__`` hook and costs more than the comparison it feeds.
_NONE, _BACK, _BUTTOCK = SymptomLevel.NONE, SymptomLevel.BACK, SymptomLevel.BUTTOCK
_PERIPHERALIZED, _SPREAD_IN_BACK = LocationResponse.PERIPHERALIZED, LocationResponse.SPREAD_IN_BACK
_CENTRALIZED, _ABOLISHED = LocationResponse.CENTRALIZED, LocationResponse.ABOLISHED
_UNCHANGED = LocationResponse.UNCHANGED
_SEVERE, _RED, _AMBER, _GREEN = PainZone.SEVERE, PainZone.RED, PainZone.AMBER, PainZone.GREEN


def location_response(pre: Sides, post: Sides) -> LocationResponse:
    """Whether symptoms moved toward the spine or down the leg between two charts (R8-R11)."""
    return sides_response(as_sides(pre, "pre"), as_sides(post, "post"))


def sides_response(pre: Sides, post: Sides) -> LocationResponse:
    """``location_response`` of two charts already checked, as every value object holds them.

    The rules call this once per set and per morning, so it skips the checks and compares the
    two sides directly. Order of application is fixed by spec 2.3: any increase is caught by
    step 1 or step 2.
    """
    (pre_left, pre_right), (post_left, post_right) = pre, post
    if (post_left > pre_left and post_left >= _BUTTOCK) or (
        post_right > pre_right and post_right >= _BUTTOCK
    ):
        return _PERIPHERALIZED
    if (pre_left == _NONE and post_left == _BACK) or (pre_right == _NONE and post_right == _BACK):
        return _SPREAD_IN_BACK
    if post_left < pre_left or post_right < pre_right:
        if post_left == _NONE and post_right == _NONE:
            return _ABOLISHED
        return _CENTRALIZED
    return _UNCHANGED


def pain_zone(session: Session, config: Config = DEFAULT_CONFIG) -> PainZone:
    """Pain-monitoring zone of one set: painless, acceptable, too much, or severe (R15-R19)."""
    during = session.pain_during_max
    rise = session.pain_post - session.pain_pre
    if during >= config.p_severe:  # >= 8/10 (R15, R23)
        return _SEVERE
    if during > config.p_accept or rise >= config.p_mcid:  # > 5/10 (R15); +2 points (R17, R19)
        return _RED
    if _painless(session, config):
        return _GREEN
    return _AMBER


def _painless(session: Session, config: Config) -> bool:
    during = session.pain_during_max
    if session.pain_post > session.pain_pre:
        return False
    if config.painless_mode == "NO_INCREASE":
        return during <= session.pain_pre and during <= config.p_accept
    return during <= config.p_safe  # 0-2/10 counts as painless (R15, R23)


def morning_flare(morning: MorningCheck, context: Context, config: Config) -> bool:
    """Symptoms clearly worse on waking than at the stage baseline: the load was too much (R15)."""
    pain_up = morning.pain - context.base_pain >= config.p_mcid  # +2 points (R17, R19)
    moved = sides_response(context.base_loc, morning.loc)
    return pain_up or moved is _PERIPHERALIZED


def morning_settled(morning: MorningCheck, context: Context, config: Config) -> bool:
    """Symptoms back to the stage baseline on waking, so the day before was tolerated (R15)."""
    pain_back = morning.pain - context.base_pain <= config.m_tol  # inside the NPRS SEM (R17)
    moved = sides_response(context.base_loc, morning.loc)
    spread = moved is _PERIPHERALIZED or moved is _SPREAD_IN_BACK
    return pain_back and not spread


ODI_SECTIONS = 10  # ODI v2.1a has ten sections (R21)
ODI_ITEM_MAX = 5  # each section scored 0-5 (R21)
ODI_DEFAULT_MIN_SECTIONS = 9  # at least 9 answers, as in the awell-score code (R22)
# Fairbank bands, upper bounds inclusive (R20).
_ODI_BANDS: tuple[tuple[int, str], ...] = (
    (20, "minimal"),
    (40, "moderate"),
    (60, "severe"),
    (80, "crippled"),
)
_ODI_TOP_BAND = "bed-bound"  # > 80: bed-bound or exaggerating (R20)


@dataclass(frozen=True)
class OdiResult:
    """An Oswestry Disability Index score: percent to one decimal and its Fairbank band."""

    percent: float | None
    band: str | None
    valid: bool


def odi_band(percent: float | Fraction) -> str:
    """Fairbank disability band of an unrounded ODI percent (R20): 20.0 minimal, 20.1 moderate."""
    for upper, band in _ODI_BANDS:
        if percent <= upper:
            return band
    return _ODI_TOP_BAND


def odi_score(answers: Sequence[int | None], *, min_sections: int = 9) -> OdiResult:
    """Score ODI v2.1a answers (None = unanswered section) as 100 x sum / (5 x answered) (R21)."""
    if len(answers) > ODI_SECTIONS:
        raise ValueError(f"answers must hold at most {ODI_SECTIONS} sections, got {len(answers)}")
    for answer in answers:
        if answer is not None:
            require_int(answer, 0, ODI_ITEM_MAX, "answers")
    require_int(min_sections, 1, ODI_SECTIONS, "min_sections")
    answered = [answer for answer in answers if answer is not None]
    if len(answered) < min_sections:
        return OdiResult(percent=None, band=None, valid=False)
    exact = Fraction(100 * sum(answered), ODI_ITEM_MAX * len(answered))
    # Stored to one decimal, half up (16/45 -> 35.6, not R22's 36); banded unrounded (R21, R22).
    return OdiResult(percent=_one_decimal(exact), band=odi_band(exact), valid=True)


def _one_decimal(value: Fraction) -> float:
    return math.floor(value * 10 + Fraction(1, 2)) / 10


@dataclass(frozen=True)
class OdiGate:
    """Which R-ODI start rule applies to an intake ODI and what it lets the PT do (spec 2.8)."""

    rule_id: str
    valid: bool
    may_start: bool
    allowed_start_stages: tuple[Stage, ...]
    override_start_stages: tuple[Stage, ...]
    needs_assessment: bool
    needs_plan: bool
    needs_review: bool
    text: str


def odi_gate(result: OdiResult) -> OdiGate:
    """The start rule for a scored ODI: may the programme start, at which stage, after what."""
    if not result.valid or result.band is None:
        return _gate("R-ODI-1", stages=(), valid=False)  # no valid ODI: cannot start
    rule_id = _ODI_RULE_BY_BAND[result.band]
    if rule_id == "R-ODI-5":
        return _gate(rule_id, stages=(), needs_review=True)  # > 80: blocked pending review
    if result.band == "minimal":  # <= 20: seated start allowed as a logged PT override
        return _gate(rule_id, stages=(Stage.SUPINE, Stage.SEATED), override=(Stage.SEATED,))
    return _gate(
        rule_id,
        stages=(Stage.SUPINE,),
        needs_assessment=rule_id == "R-ODI-3",  # > 40-60: "needs detailed investigation" (R20)
        needs_plan=rule_id == "R-ODI-4",  # > 60-80: no auto-start, PT documents a plan
    )


def _gate(
    rule_id: str,
    *,
    stages: tuple[Stage, ...],
    valid: bool = True,
    override: tuple[Stage, ...] = (),
    needs_assessment: bool = False,
    needs_plan: bool = False,
    needs_review: bool = False,
) -> OdiGate:
    return OdiGate(
        rule_id=rule_id,
        valid=valid,
        may_start=bool(stages),
        allowed_start_stages=stages,
        override_start_stages=override,
        needs_assessment=needs_assessment,
        needs_plan=needs_plan,
        needs_review=needs_review,
        text=RULE_TEXTS[rule_id],
    )


# Fairbank band -> start rule (spec 2.8).
_ODI_RULE_BY_BAND = {
    "minimal": "R-ODI-2",
    "moderate": "R-ODI-2",
    "severe": "R-ODI-3",
    "crippled": "R-ODI-4",
    "bed-bound": "R-ODI-5",
}
