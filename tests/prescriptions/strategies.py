"""Hypothesis generators for the flexion rules, written from clinical-rules.md sections 2 and 5.

Every generated case is valid input under 2.11 item 17 (aware datetimes, nothing after `now`,
entered_at >= started_at, values in range), so `evaluate` must never raise on it. Instants are
built in UTC and then presented in UTC, in the patient's zone or in an unrelated fixed offset,
so an implementation that does wall-clock arithmetic inside one zone is exposed.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from prescriptions.rules import (
    Config,
    Context,
    Ease,
    ExtensionEffect,
    FrequencyPhase,
    MorningCheck,
    NeuroChange,
    Session,
    Stage,
    SymptomLevel,
    evaluate,
)

if TYPE_CHECKING:
    from prescriptions.rules import Decision  # named in section 5, not in its import list

TIMEZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
)

# Local dates of the DST changes in 2024-2025 (checked against zoneinfo on this machine).
DST_DATES: dict[str, tuple[date, ...]] = {
    "America/New_York": (date(2024, 3, 10), date(2024, 11, 3), date(2025, 3, 9), date(2025, 11, 2)),
    "Europe/London": (date(2024, 3, 31), date(2024, 10, 27), date(2025, 3, 30), date(2025, 10, 26)),
    "Australia/Sydney": (date(2024, 4, 7), date(2024, 10, 6), date(2025, 4, 6), date(2025, 10, 5)),
    "America/Santiago": (date(2024, 4, 6), date(2024, 9, 8), date(2025, 4, 5), date(2025, 9, 7)),
}
DST_ZONES = tuple(DST_DATES)

NO_CES = (False, False, False, False)
EASE_ORDER = (Ease.EASY, Ease.MANAGEABLE, Ease.HARD, Ease.NOT_COMPLETED)
PHASE_ORDER = (FrequencyPhase.FLARE, FrequencyPhase.TAPER, FrequencyPhase.MAINTENANCE)
# Session start slots (minutes after local midnight): all after the latest DST change of the day
# (03:00) and at least 75 minutes apart even with jitter, so good histories never merge.
SLOTS = (7 * 60, 9 * 60 + 30, 12 * 60, 14 * 60 + 30, 17 * 60, 19 * 60 + 30, 21 * 60 + 45)
PRESENTATIONS = ("utc", "local", "offset", "mixed")
ODD_OFFSET = timezone(timedelta(hours=9, minutes=45))


def at_local(tz_name: str, day: date, minute: int, fold: int = 0) -> datetime:
    """The UTC instant of a wall-clock minute on a local date (zoneinfo rules for gaps/folds)."""
    wall = time(minute // 60, minute % 60, fold=fold)
    return datetime.combine(day, wall, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def local_date(instant: datetime, tz_name: str) -> date:
    return instant.astimezone(ZoneInfo(tz_name)).date()


def present(instant: datetime, tz_name: str, how: str, index: int = 0) -> datetime:
    """The same instant with another tzinfo."""
    if how == "mixed":
        how = ("local", "utc", "offset")[index % 3]
    if how == "local":
        return instant.astimezone(ZoneInfo(tz_name))
    if how == "offset":
        return instant.astimezone(ODD_OFFSET)
    return instant.astimezone(UTC)


@dataclass(frozen=True)
class Case:
    """One call to `evaluate`: its arguments plus the facts tests need about them."""

    context: Context
    sessions: tuple[Session, ...]
    mornings: tuple[MorningCheck, ...]
    now: datetime
    config: Config = field(default_factory=Config)

    def run(self) -> Decision:
        return evaluate(self.context, self.sessions, self.mornings, self.config, now=self.now)

    @property
    def tz(self) -> str:
        return self.context.timezone

    @property
    def today(self) -> date:
        return local_date(self.now, self.tz)

    @property
    def now_utc(self) -> datetime:
        return self.now.astimezone(UTC)

    @property
    def reset_at(self) -> datetime:
        """2.11 item 2: the later of stage_started_at and last_reset_at, in UTC."""
        start = self.context.stage_started_at.astimezone(UTC)
        last = self.context.last_reset_at
        return start if last is None else max(start, last.astimezone(UTC))

    def read(self, session: Session) -> bool:
        """False for a session 2.11 item 2 tells the rules to ignore."""
        reset = self.reset_at
        return (
            session.started_at.astimezone(UTC) >= reset
            or session.entered_at.astimezone(UTC) >= reset
        )

    def since_reset(self, session: Session) -> bool:
        return session.started_at.astimezone(UTC) >= self.reset_at

    def date_of(self, instant: datetime) -> date:
        return local_date(instant, self.tz)

    def with_(self, **changes: object) -> Case:
        return dataclasses.replace(self, **changes)

    def replace_session(self, index: int, **changes: object) -> Case:
        sessions = list(self.sessions)
        sessions[index] = dataclasses.replace(sessions[index], **changes)
        return self.with_(sessions=tuple(sessions))

    def replace_morning(self, index: int, **changes: object) -> Case:
        mornings = list(self.mornings)
        mornings[index] = dataclasses.replace(mornings[index], **changes)
        return self.with_(mornings=tuple(mornings))

    def retimed(self, move: Callable[[datetime, int], datetime]) -> Case:
        """Every datetime passed through `move(instant, index)`; the instants must not change."""
        ctx = self.context
        context = dataclasses.replace(
            ctx,
            stage_started_at=move(ctx.stage_started_at, 0),
            phase_started_at=_maybe(move, ctx.phase_started_at, 1),
            recent_regressions=tuple(move(r, i) for i, r in enumerate(ctx.recent_regressions)),
            last_advance_at=_maybe(move, ctx.last_advance_at, 2),
            last_reset_at=_maybe(move, ctx.last_reset_at, 3),
        )
        sessions = tuple(
            dataclasses.replace(
                s, started_at=move(s.started_at, i), entered_at=move(s.entered_at, i + 1)
            )
            for i, s in enumerate(self.sessions)
        )
        return self.with_(context=context, sessions=sessions, now=move(self.now, 4))


def _maybe(
    move: Callable[[datetime, int], datetime], value: datetime | None, i: int
) -> datetime | None:
    return None if value is None else move(value, i)


# --------------------------------------------------------------------------- building blocks

levels = st.sampled_from(list(SymptomLevel))
sides = st.tuples(levels, levels)
mostly_false = st.sampled_from([False, False, False, False, True])


@st.composite
def instants_between(draw: st.DrawFn, lo: datetime, hi: datetime) -> datetime:
    """An instant in [lo, hi], computed in UTC (aware arithmetic inside one zone is wall-clock)."""
    lo, hi = lo.astimezone(UTC), hi.astimezone(UTC)
    seconds = int((hi - lo).total_seconds())
    return lo + timedelta(seconds=draw(st.integers(0, max(seconds, 0))))


@st.composite
def local_instants(draw: st.DrawFn, tz_name: str, day: date) -> datetime:
    return at_local(tz_name, day, draw(st.integers(0, 1439)), draw(st.integers(0, 1)))


@st.composite
def now_instants(draw: st.DrawFn, tz_name: str) -> datetime:
    """A `now` up to ~3 weeks after a DST change (or any 2024-2025 day), at any local minute."""
    anchors = DST_DATES.get(tz_name, (date(2024, 6, 1), date(2025, 1, 1)))
    anchor = draw(
        st.one_of(st.sampled_from(anchors), st.dates(date(2024, 1, 1), date(2025, 12, 31)))
    )
    day = anchor + timedelta(days=draw(st.integers(-2, 23)))
    return draw(local_instants(tz_name, day))


@st.composite
def configs(draw: st.DrawFn) -> Config:
    """Any Config with thresholds in plausible, mutually consistent ranges (spec 2.10, 4)."""
    p_safe = draw(st.integers(0, 4))
    p_accept = draw(st.integers(p_safe, 7))
    freq_flare = draw(st.integers(2, 8))
    freq_taper = draw(st.integers(1, freq_flare))
    gap_reset = draw(st.integers(1, 14))
    return Config(
        p_safe=p_safe,
        p_accept=p_accept,
        p_mcid=draw(st.integers(1, 4)),
        p_severe=draw(st.integers(p_accept + 1, 10)),
        m_tol=draw(st.integers(0, 2)),
        painless_mode=draw(st.sampled_from(["ABSOLUTE", "NO_INCREASE"])),
        min_days_at_stage=draw(st.integers(0, 14)),
        min_q_sessions=draw(st.integers(1, 12)),
        min_q_days=draw(st.integers(1, 7)),
        last_k_q=draw(st.integers(1, 5)),
        window_days=draw(st.integers(1, 14)),
        late_entry_h=draw(st.integers(1, 96)),
        merge_min=draw(st.integers(1, 120)),
        gap_reset_days=gap_reset,
        gap_review_days=draw(st.integers(gap_reset, 28)),
        post_advance_watch_h=draw(st.integers(0, 168)),
        freq_flare=freq_flare,
        freq_taper=freq_taper,
        taper_days=draw(st.integers(1, 14)),
        freq_maintenance=draw(st.integers(1, freq_taper)),
        odi_min_sections=draw(st.sampled_from([8, 9])),
        odi_retest_days=draw(st.integers(7, 28)),
        auto_advance=draw(st.booleans()),
    )


# --------------------------------------------------------------------------- noisy histories


@st.composite
def contexts(draw: st.DrawFn, tz_name: str, now: datetime, stage: Stage) -> Context:
    today = local_date(now, tz_name)
    started = min(
        now, draw(local_instants(tz_name, today - timedelta(days=draw(st.integers(0, 25)))))
    )
    month_ago = now - timedelta(days=30)
    phase = draw(st.sampled_from(PHASE_ORDER))
    return Context(
        stage=stage,
        stage_started_at=started,
        timezone=tz_name,
        base_pain=draw(st.integers(0, 8)),
        base_loc=draw(sides),
        phase=phase,
        phase_started_at=draw(st.one_of(st.none(), instants_between(month_ago, now))),
        recent_regressions=tuple(draw(st.lists(instants_between(month_ago, now), max_size=3))),
        last_advance_at=draw(
            st.one_of(st.none(), st.just(started), instants_between(month_ago, now))
        ),
        last_reset_at=draw(
            st.one_of(st.none(), instants_between(started - timedelta(days=5), now))
        ),
        contraindication_active=draw(mostly_false),
        extension_enabled=draw(st.booleans()),
        systemic_red_flag=draw(mostly_false),
        open_alert=draw(mostly_false),
        odi_gate_met=not draw(mostly_false),
        odi_worse_by=draw(st.one_of(st.none(), st.floats(-30, 30, allow_nan=False))),
    )


pains = st.integers(0, 10)
targets = st.one_of(st.just(10), st.integers(1, 30))
eases = st.one_of(st.just(Ease.EASY), st.sampled_from(EASE_ORDER))
neuro_changes = st.one_of(st.just(NeuroChange.NONE), st.sampled_from(list(NeuroChange)))
ces_answers = st.one_of(st.just(NO_CES), st.just(NO_CES), st.none(), st.tuples(*[mostly_false] * 4))
extension_effects = st.one_of(st.none(), st.sampled_from(list(ExtensionEffect)))
holds = st.one_of(st.none(), st.integers(0, 30))
delays = st.one_of(st.integers(0, 120), st.integers(0, 6 * 24 * 60))


@st.composite
def sessions(draw: st.DrawFn, tz_name: str, now: datetime, stage: Stage) -> Session:
    """One set logged in the last ~21 local days: sometimes late, off-stage or unsafe."""
    day = local_date(now, tz_name) - timedelta(days=draw(st.integers(0, 20)))
    started = draw(local_instants(tz_name, day))
    if started > now:
        started = now - timedelta(minutes=draw(st.integers(0, 240)))
    target = draw(targets)
    return Session(
        started_at=started,
        entered_at=min(now, started + timedelta(minutes=draw(delays))),
        stage=draw(st.one_of(st.just(stage), st.sampled_from(list(Stage)))),
        reps_target=target,
        reps_done=draw(st.one_of(st.just(target), st.integers(0, 30))),
        pain_pre=draw(pains),
        pain_during_max=draw(pains),
        pain_post=draw(pains),
        loc_pre=draw(sides),
        loc_post=draw(sides),
        ease=draw(eases),
        neuro_change=draw(neuro_changes),
        ces_answers=draw(ces_answers),
        extension_effect=draw(extension_effects),
        hold_s=draw(holds),
    )


@st.composite
def mornings(draw: st.DrawFn, tz_name: str, today: date) -> MorningCheck:
    return MorningCheck(
        local_date=today - timedelta(days=draw(st.integers(0, 21))),
        pain=draw(st.integers(0, 10)),
        loc=draw(sides),
    )


@st.composite
def random_cases(
    draw: st.DrawFn,
    *,
    min_sessions: int = 0,
    min_mornings: int = 0,
    stages: Sequence[Stage] = tuple(Stage),
    any_config: bool = True,
) -> Case:
    """Realistic but adversarial input: noisy logs, odd flags, duplicate mornings, DST nearby."""
    tz_name = draw(st.sampled_from(TIMEZONES))
    now = draw(now_instants(tz_name))
    stage = draw(st.sampled_from(list(stages)))
    context = draw(contexts(tz_name, now, stage))
    logs = draw(st.lists(sessions(tz_name, now, stage), min_size=min_sessions, max_size=14))
    checks = draw(
        st.lists(mornings(tz_name, local_date(now, tz_name)), min_size=min_mornings, max_size=16)
    )
    config = draw(st.one_of(st.just(Config()), configs())) if any_config else Config()
    case = Case(context, tuple(logs), tuple(checks), now, config)
    return _presented(draw, case)


def _presented(draw: st.DrawFn, case: Case) -> Case:
    how = draw(st.sampled_from(PRESENTATIONS))
    return case.retimed(lambda instant, i: present(instant, case.tz, how, i))


# --------------------------------------------------------------------------- good histories
# Per-set detail of a good history comes from a seeded Random: hundreds of hypothesis draws per
# case made every test ten times slower. Boundary values are picked on purpose (`_edge`).


def _edge(rng: random.Random, low: int, high: int) -> int:
    """A value in [low, high], one time in two at an end of the range."""
    roll = rng.random()
    if roll < 0.25:
        return low
    if roll < 0.5:
        return high
    return rng.randint(low, high)


def _within(rng: random.Random, limit: Sequence[SymptomLevel]) -> tuple[SymptomLevel, SymptomLevel]:
    return (SymptomLevel(_edge(rng, 0, int(limit[0]))), SymptomLevel(_edge(rng, 0, int(limit[1]))))


def good_session(
    rng: random.Random, context: Context, started: datetime, entered: datetime
) -> Session:
    """A qualifying set (2.3): easy, full reps, GREEN in both painless modes, no spread.

    With the extension enabled its effect is a required field (2.2), so it is always logged.
    """
    pre = _edge(rng, 0, context.base_pain)
    loc_pre = _within(rng, context.base_loc)
    effects = [ExtensionEffect.BETTER, ExtensionEffect.SAME]
    target = rng.choice([10, 10, 1, 30, rng.randint(1, 30)])
    return Session(
        started_at=started,
        entered_at=entered,
        stage=context.stage,
        reps_target=target,
        reps_done=_edge(rng, target, 30),
        pain_pre=pre,
        pain_during_max=_edge(rng, 0, min(pre, 2)),
        pain_post=_edge(rng, 0, pre),
        loc_pre=loc_pre,
        loc_post=_within(rng, loc_pre),
        ease=Ease.EASY,
        neuro_change=NeuroChange.NONE,
        ces_answers=NO_CES,
        extension_effect=rng.choice(effects if context.extension_enabled else [None, *effects]),
        hold_s=rng.choice([None, 0, 3, 30]),
    )


def _sets_on(rng: random.Random, day: date, today: date, start_day: date) -> int:
    """0-3 sets on the first and last day, 2-4 on each of the last 6 complete days, else 1-3."""
    if day in (today, start_day):
        return rng.randint(0, 3)
    if day >= today - timedelta(days=6):
        return rng.randint(2, 4)
    return rng.randint(1, 3)


def good_logs(
    rng: random.Random, context: Context, now: datetime, start_day: date
) -> tuple[tuple[Session, ...], tuple[MorningCheck, ...]]:
    tz_name, today = context.timezone, local_date(now, context.timezone)
    logs = []
    for offset in range((today - start_day).days + 1):
        day = start_day + timedelta(days=offset)
        for slot in sorted(rng.sample(SLOTS, _sets_on(rng, day, today, start_day))):
            started = at_local(tz_name, day, slot + rng.randint(0, 59))
            if started < context.stage_started_at or started > now - timedelta(minutes=2):
                continue
            entered = min(now, started + timedelta(minutes=_edge(rng, 0, 120)))
            logs.append(good_session(rng, context, started, entered))
    checks = tuple(
        MorningCheck(
            start_day + timedelta(days=k),
            _edge(rng, 0, context.base_pain),
            _within(rng, context.base_loc),
        )
        for k in range(1, (today - start_day).days + 1)
    )
    return tuple(logs), checks


@st.composite
def good_cases(
    draw: st.DrawFn,
    *,
    stages: Sequence[Stage] = tuple(Stage),
    phases: Sequence[FrequencyPhase] = (FrequencyPhase.FLARE,),
    tz_names: Sequence[str] = TIMEZONES,
    now: datetime | None = None,
    stage_days: st.SearchStrategy[int] | None = None,
) -> Case:
    """Complete, settled, qualifying logs since the stage began.

    With the default 7-20 days at stage and phase FLARE this meets every R-ADV-1 condition of
    2.4 and 2.11 items 9, 19 and 24: each of the last 6 complete days has 2-4 GREEN easy sets
    (at least 50% of any freq_target, never above 4), every day after the stage start has a
    settled MorningCheck, pain_pre and morning pain never exceed base_pain, no gap, no flags.
    """
    tz_name = draw(st.sampled_from(list(tz_names)))
    now = now if now is not None else draw(now_instants(tz_name))
    start_day = local_date(now, tz_name) - timedelta(
        days=draw(st.integers(7, 20) if stage_days is None else stage_days)
    )
    stage_started_at = min(now, draw(local_instants(tz_name, start_day)))
    context = draw(
        _good_contexts(tz_name, now, draw(st.sampled_from(list(stages))), stage_started_at, phases)
    )
    rng = random.Random(draw(st.integers(0, 2**32 - 1), label="seed"))
    logs, checks = good_logs(rng, context, now, start_day)
    config = Config(painless_mode=draw(st.sampled_from(["ABSOLUTE", "NO_INCREASE"])))
    return _presented(draw, Case(context, logs, checks, now, config))


@st.composite
def _good_contexts(
    draw: st.DrawFn,
    tz_name: str,
    now: datetime,
    stage: Stage,
    started: datetime,
    phases: Sequence[FrequencyPhase],
) -> Context:
    phase = draw(st.sampled_from(list(phases)))
    recently = instants_between(now - timedelta(days=40), now)
    old = instants_between(now - timedelta(days=60), now - timedelta(days=15))
    return Context(
        stage=stage,
        stage_started_at=started,
        timezone=tz_name,
        base_pain=draw(st.integers(0, 6)),
        base_loc=draw(sides),
        phase=phase,
        phase_started_at=draw(
            st.one_of(st.none(), recently) if phase is FrequencyPhase.FLARE else recently
        ),
        recent_regressions=tuple(draw(st.lists(old, max_size=2))),
        last_advance_at=None if stage is Stage.SUPINE else draw(st.sampled_from([None, started])),
        last_reset_at=draw(
            st.one_of(st.none(), instants_between(started - timedelta(days=30), started))
        ),
        extension_enabled=draw(st.booleans()),
        odi_worse_by=draw(st.one_of(st.none(), st.floats(-30, 9.5, allow_nan=False))),
    )


noisy_set_changes = st.fixed_dictionaries(
    {},
    optional={
        "pain_pre": pains,
        "pain_during_max": pains,
        "pain_post": pains,
        "loc_pre": sides,
        "loc_post": sides,
        "ease": eases,
        "reps_done": st.integers(0, 30),
        "neuro_change": neuro_changes,
        "ces_answers": ces_answers,
        "extension_effect": extension_effects,
    },
)


@st.composite
def near_gate_cases(draw: st.DrawFn) -> Case:
    """A good history with one or two sets, and maybe one morning, made noisy.

    Random histories are usually so unsafe that one more change cannot move the outcome; these
    sit next to the gate, where a single input decides between advancing and holding.
    """
    case = draw(good_cases(phases=PHASE_ORDER))
    for _ in range(draw(st.integers(1, 2))):
        index = draw(st.integers(0, len(case.sessions) - 1))
        case = case.replace_session(index, **draw(noisy_set_changes))
    if draw(st.booleans()):
        index = draw(st.integers(0, len(case.mornings) - 1))
        case = case.replace_morning(index, pain=draw(pains), loc=draw(sides))
    return case
