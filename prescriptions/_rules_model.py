"""Value objects of the flexion progression rules (clinical-rules.md section 5).

Everything here is immutable and checks itself on construction: out-of-range or naive values
raise ``ValueError`` naming the field (2.9, 2.11 item 17). Checks that need ``now`` (future
instants) are made by ``evaluate``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Ranges of the logged values (spec 2.2): NPRS 0-10, reps 0-30 with a target of 1-30, hold 0-30 s.
PAIN_MAX = 10
REPS_MAX = 30
HOLD_S_MAX = 30
CES_ITEMS = 4  # the daily cauda equina screen has four questions (spec 2.6, R26)


class Stage(enum.IntEnum):
    """Flexion position, from the lowest spinal load (lying) to the highest (standing) (R2, R7)."""

    SUPINE = 1
    SEATED = 2
    STANDING = 3


class SymptomLevel(enum.IntEnum):
    """Most distal point a side's symptoms reach on the body chart (spec 2.2, R14 knee split)."""

    NONE = 0
    BACK = 1
    BUTTOCK = 2
    THIGH = 3
    BELOW_KNEE = 4
    FOOT = 5


class Ease(enum.Enum):
    """How hard the patient found the set; only EASY sets can count toward moving on (R2)."""

    EASY = "EASY"
    MANAGEABLE = "MANAGEABLE"
    HARD = "HARD"
    NOT_COMPLETED = "NOT_COMPLETED"


class NeuroChange(enum.Enum):
    """New or worse numbness/tingling or weakness noticed during the set (R4, R27)."""

    NONE = "NONE"
    NUMBNESS = "NUMBNESS"
    WEAKNESS = "WEAKNESS"


class ExtensionEffect(enum.Enum):
    """Effect of the optional press-up or backbend done after the flexion set (spec 2.7)."""

    BETTER = "BETTER"
    SAME = "SAME"
    WORSE = "WORSE"
    PERIPHERALIZED = "PERIPHERALIZED"


class LocationResponse(enum.Enum):
    """How the most distal symptoms moved from one body chart to the next (spec 2.3, R8-R11)."""

    PERIPHERALIZED = "PERIPHERALIZED"
    SPREAD_IN_BACK = "SPREAD_IN_BACK"
    CENTRALIZED = "CENTRALIZED"
    ABOLISHED = "ABOLISHED"
    UNCHANGED = "UNCHANGED"


class PainZone(enum.Enum):
    """Pain-monitoring zone of one set: GREEN painless, AMBER acceptable, RED too much (R15)."""

    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"
    SEVERE = "SEVERE"


class FrequencyPhase(enum.Enum):
    """How many sets a day are prescribed: several in FLARE, fewer in TAPER and MAINTENANCE."""

    FLARE = "FLARE"
    TAPER = "TAPER"
    MAINTENANCE = "MAINTENANCE"


class Outcome(enum.Enum):
    """What the programme should do next; a higher ``severity`` wins (spec 2.1)."""

    ADVANCE_ELIGIBLE = "ADVANCE_ELIGIBLE"
    MAINTENANCE_ELIGIBLE = "MAINTENANCE_ELIGIBLE"
    HOLD = "HOLD"
    REGRESS_ONE = "REGRESS_ONE"
    SUSPEND_CONTACT_PT = "SUSPEND_CONTACT_PT"
    URGENT_RED_FLAG = "URGENT_RED_FLAG"

    @property
    def severity(self) -> int:
        """Rank of the outcome: 0 progress, 1 hold, 2 regress, 3 suspend, 4 emergency."""
        return _SEVERITY[self.name]


_SEVERITY = {
    "ADVANCE_ELIGIBLE": 0,
    "MAINTENANCE_ELIGIBLE": 0,
    "HOLD": 1,
    "REGRESS_ONE": 2,
    "SUSPEND_CONTACT_PT": 3,
    "URGENT_RED_FLAG": 4,
}

Sides = tuple[SymptomLevel, SymptomLevel]
"""Symptom level of the (left, right) side."""

PainlessMode = Literal["ABSOLUTE", "NO_INCREASE"]


def require_aware(value: object, name: str) -> None:
    """Reject anything but a timezone-aware datetime."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def require_int(value: object, low: int, high: int | None, name: str) -> int:
    """Return ``value`` if it is an integer in [low, high] (no upper bound when high is None)."""
    bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
    message = f"{name} must be an integer {bound}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(message)
    if value < low or (high is not None and value > high):
        raise ValueError(message)
    return value


def require_member(value: object, kind: type[enum.Enum], name: str) -> None:
    """Reject a value that is not a member of the enum ``kind``."""
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be a {kind.__name__}, got {value!r}")


def as_sides(value: object, name: str) -> Sides:
    """Turn a (left, right) pair of levels 0-5 into ``Sides``, naming ``name`` when invalid."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"{name} must be a (left, right) pair of symptom levels, got {value!r}")
    left, right = (require_int(side, SymptomLevel.NONE, SymptomLevel.FOOT, name) for side in value)
    return (SymptomLevel(left), SymptomLevel(right))


def _as_stage(value: object, name: str) -> Stage:
    return Stage(require_int(value, Stage.SUPINE, Stage.STANDING, name))


def _set(instance: object, name: str, value: Any) -> None:
    """Store a normalised value on a frozen dataclass during ``__post_init__``."""
    object.__setattr__(instance, name, value)


@dataclass(frozen=True)
class Session:
    """One logged flexion set with the patient's ratings before, during and after it (2.2)."""

    started_at: datetime
    entered_at: datetime
    stage: Stage
    reps_target: int
    reps_done: int
    pain_pre: int
    pain_during_max: int
    pain_post: int
    loc_pre: Sides
    loc_post: Sides
    ease: Ease
    neuro_change: NeuroChange = NeuroChange.NONE
    ces_answers: tuple[bool, bool, bool, bool] | None = None
    extension_effect: ExtensionEffect | None = None
    hold_s: int | None = None

    def __post_init__(self) -> None:
        require_aware(self.started_at, "started_at")
        require_aware(self.entered_at, "entered_at")
        if self.entered_at.astimezone(UTC) < self.started_at.astimezone(UTC):  # item 26
            raise ValueError("entered_at must not be before started_at")
        _set(self, "stage", _as_stage(self.stage, "stage"))
        require_int(self.reps_target, 1, REPS_MAX, "reps_target")
        require_int(self.reps_done, 0, REPS_MAX, "reps_done")
        for name in ("pain_pre", "pain_during_max", "pain_post"):
            require_int(getattr(self, name), 0, PAIN_MAX, name)
        _set(self, "loc_pre", as_sides(self.loc_pre, "loc_pre"))
        _set(self, "loc_post", as_sides(self.loc_post, "loc_post"))
        self._check_answers()

    def _check_answers(self) -> None:
        require_member(self.ease, Ease, "ease")
        require_member(self.neuro_change, NeuroChange, "neuro_change")
        if self.extension_effect is not None:
            require_member(self.extension_effect, ExtensionEffect, "extension_effect")
        if self.hold_s is not None:
            require_int(self.hold_s, 0, HOLD_S_MAX, "hold_s")
        if self.ces_answers is not None:
            answers = self.ces_answers
            if not isinstance(answers, tuple | list) or len(answers) != CES_ITEMS:
                raise ValueError(f"ces_answers must be four yes/no answers, got {answers!r}")
            if not all(isinstance(answer, bool) for answer in answers):
                raise ValueError(f"ces_answers must be four yes/no answers, got {answers!r}")
            _set(self, "ces_answers", tuple(answers))


@dataclass(frozen=True)
class MorningCheck:
    """The patient's rating on waking, before the day's first set (spec 2.2)."""

    local_date: date
    pain: int
    loc: Sides

    def __post_init__(self) -> None:
        if not isinstance(self.local_date, date) or isinstance(self.local_date, datetime):
            raise ValueError(f"local_date must be a date, got {self.local_date!r}")
        require_int(self.pain, 0, PAIN_MAX, "pain")
        _set(self, "loc", as_sides(self.loc, "loc"))


@dataclass(frozen=True)
class Context:
    """What the programme knows about the patient apart from the logs (spec 2.11 item 13)."""

    stage: Stage
    stage_started_at: datetime
    timezone: str
    base_pain: int
    base_loc: Sides
    phase: FrequencyPhase = FrequencyPhase.FLARE
    phase_started_at: datetime | None = None
    recent_regressions: tuple[datetime, ...] = ()
    last_advance_at: datetime | None = None
    last_reset_at: datetime | None = None
    contraindication_active: bool = False
    extension_enabled: bool = False
    systemic_red_flag: bool = False
    open_alert: bool = False
    odi_gate_met: bool = True
    odi_worse_by: float | None = None

    def __post_init__(self) -> None:
        _set(self, "stage", _as_stage(self.stage, "stage"))
        require_aware(self.stage_started_at, "stage_started_at")
        _check_timezone(self.timezone)
        require_int(self.base_pain, 0, PAIN_MAX, "base_pain")
        _set(self, "base_loc", as_sides(self.base_loc, "base_loc"))
        require_member(self.phase, FrequencyPhase, "phase")
        for name in ("phase_started_at", "last_advance_at", "last_reset_at"):
            if getattr(self, name) is not None:
                require_aware(getattr(self, name), name)
        _set(self, "recent_regressions", tuple(self.recent_regressions))
        for instant in self.recent_regressions:
            require_aware(instant, "recent_regressions")
        self._check_odi()

    def _check_odi(self) -> None:
        worse_by = self.odi_worse_by
        if worse_by is None:
            return
        if isinstance(worse_by, bool) or not isinstance(worse_by, int | float):
            raise ValueError(f"odi_worse_by must be a number or None, got {worse_by!r}")
        if not math.isfinite(worse_by):
            raise ValueError(f"odi_worse_by must be finite, got {worse_by!r}")

    def instants(self) -> tuple[tuple[str, datetime], ...]:
        """Every instant in the context with its field name, for the check against ``now``."""
        named = [
            ("stage_started_at", self.stage_started_at),
            ("phase_started_at", self.phase_started_at),
            ("last_advance_at", self.last_advance_at),
            ("last_reset_at", self.last_reset_at),
        ]
        named += [("recent_regressions", instant) for instant in self.recent_regressions]
        return tuple((name, instant) for name, instant in named if instant is not None)


def _check_timezone(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise ValueError(f"timezone must be an IANA zone name, got {key!r}")
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"timezone {key!r} is not a known IANA zone") from error


@dataclass(frozen=True)
class Config:
    """Clinic thresholds, each overridable per patient by the PT (spec 2.10, section 4)."""

    p_safe: int = 2  # "0-3 safe" in pain monitoring, taken as <= 2/10 (R15, R23)
    p_accept: int = 5  # <= 5/10 acceptable during exercise (R15)
    p_mcid: int = 2  # NPRS change that matters in LBP: MDC 2, MCID 1.5-2.2 (R17-R19)
    p_severe: int = 8  # >= 8/10 is severe; pain-gated code stops at >= 7 (R15, R23)
    m_tol: int = 1  # morning drift inside the NPRS SEM of 1.02 (R17)
    painless_mode: PainlessMode = "ABSOLUTE"
    min_days_at_stage: int = 7  # weeks per position, taken as one week (R7; convention)
    min_q_sessions: int = 6  # 0-3/10 for 2+ sessions, raised to 6 sets (R23; convention)
    min_q_days: int = 3  # qualifying sets spread over 3 days (convention, R2)
    last_k_q: int = 3  # the most recent 3 sets must all qualify (convention)
    window_days: int = 7  # one-week look-back (convention)
    late_entry_h: int = 48  # 24 h response matters most (R15); a log 2 days late is unreliable
    merge_min: int = 30  # sets closer than 30 min are one bout (convention)
    gap_reset_days: int = 7  # a week without logs resets progress (convention)
    gap_review_days: int = 14  # two weeks without logs needs PT review (convention)
    post_advance_watch_h: int = 72  # first 3 days on a new stage (R3; convention)
    freq_flare: int = 4  # "several times a day", range 2-8 (R3, R13)
    freq_taper: int = 2  # taper step (convention, R31 1-2 times a day)
    taper_days: int = 7  # at least a week at the taper frequency (convention)
    freq_maintenance: int = 1  # once a day (R31)
    odi_min_sections: int = 9  # at least 9 answered ODI sections (R22)
    odi_retest_days: int = 14  # ODI repeated every 2 weeks (spec 2.8)
    auto_advance: bool = False  # advancement is a recommendation the PT confirms (spec 2.1)

    def __post_init__(self) -> None:
        if self.painless_mode not in ("ABSOLUTE", "NO_INCREASE"):
            mode = self.painless_mode
            raise ValueError(f"painless_mode must be ABSOLUTE or NO_INCREASE, got {mode!r}")
        for name in ("p_safe", "p_accept", "p_mcid", "p_severe", "m_tol"):
            require_int(getattr(self, name), 0, PAIN_MAX, name)
        for name in ("freq_flare", "freq_taper", "freq_maintenance", "window_days", "last_k_q"):
            require_int(getattr(self, name), 1, None, name)
        for name in _NON_NEGATIVE_COUNTS:
            require_int(getattr(self, name), 0, None, name)
        require_int(self.odi_min_sections, 1, 10, "odi_min_sections")
        if not isinstance(self.auto_advance, bool):
            raise ValueError(f"auto_advance must be True or False, got {self.auto_advance!r}")

    def freq_target(self, phase: FrequencyPhase) -> int:
        """Prescribed sets a day in ``phase`` (spec 2.5)."""
        targets = {
            FrequencyPhase.FLARE: self.freq_flare,
            FrequencyPhase.TAPER: self.freq_taper,
            FrequencyPhase.MAINTENANCE: self.freq_maintenance,
        }
        return targets[phase]


_NON_NEGATIVE_COUNTS = (
    "min_days_at_stage",
    "min_q_sessions",
    "min_q_days",
    "late_entry_h",
    "merge_min",
    "gap_reset_days",
    "gap_review_days",
    "post_advance_watch_h",
    "taper_days",
    "odi_retest_days",
)

DEFAULT_CONFIG = Config()


@dataclass(frozen=True)
class Fired:
    """One rule that fired: its id, its own outcome and the short text the PT reads."""

    rule_id: str
    outcome: Outcome
    text: str


@dataclass(frozen=True)
class Decision:
    """The result of one evaluation: what to do next, why, and the progress counters."""

    outcome: Outcome
    next_stage: Stage
    next_phase: FrequencyPhase
    fired: tuple[Fired, ...]
    qualifying_sessions: int
    qualifying_days: int
    days_at_stage: int
