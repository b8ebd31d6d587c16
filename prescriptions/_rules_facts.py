"""The logs as the rules read them (spec 2.3, 2.11 items 2, 3, 9, 10, 17, 19, 21, 24, 26).

``build_facts`` checks the inputs against ``now``, drops the sessions the reset point hides,
dates every session in the patient's timezone, merges sets logged close together into one bout,
finds the gaps in logging and picks the bouts the advancement gate counts. Everything the rule
checks need is then a property of one immutable ``Facts``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from ._rules_measures import location_response, morning_settled, pain_zone
from ._rules_model import (
    Config,
    Context,
    Ease,
    LocationResponse,
    MorningCheck,
    NeuroChange,
    PainZone,
    Session,
    SymptomLevel,
    require_aware,
)

# Locations a qualifying set may show (spec 2.3 "Qualifying session").
QUALIFYING_LOCATIONS = frozenset(
    {LocationResponse.CENTRALIZED, LocationResponse.ABOLISHED, LocationResponse.UNCHANGED}
)
RED_ZONES = frozenset({PainZone.RED, PainZone.SEVERE})  # SEVERE counts as RED (2.11 item 14)


@dataclass(frozen=True)
class Read:
    """One session the rules read (not hidden by the reset point), with its derived values."""

    session: Session
    local_date: date
    zone: PainZone
    location: LocationResponse
    evaluable: bool


@dataclass(frozen=True)
class Bout:
    """Sets on one local date started less than ``merge_min`` apart, judged as one set."""

    members: tuple[Read, ...]

    @property
    def started_at(self) -> datetime:
        """When the first set of the bout started."""
        return self.members[0].session.started_at

    @property
    def local_date(self) -> date:
        """The patient's local date of the bout."""
        return self.members[0].local_date

    @property
    def evaluable(self) -> bool:
        """Worst value kept: the bout is evaluable only if every set in it is."""
        return all(read.evaluable for read in self.members)


@dataclass(frozen=True)
class Facts:
    """Everything one evaluation reads, derived once from the raw inputs."""

    context: Context
    config: Config
    now: datetime
    zone: ZoneInfo
    today: date
    reset_at: datetime
    reads: tuple[Read, ...]
    bouts: tuple[Bout, ...]
    mornings: dict[date, MorningCheck]
    counting_start: datetime
    counted: tuple[Bout, ...]
    hold_scope: tuple[Read, ...]
    current_gap: timedelta
    newest_closed_gap: timedelta | None

    @property
    def window_start(self) -> date:
        """First local date of the last ``window_days`` (2.11 item 26)."""
        return self.today - timedelta(days=self.config.window_days - 1)

    @property
    def days_at_stage(self) -> int:
        """Local dates since the later of the reset point and the last long gap (item 24)."""
        return (self.today - self.local_date(self.counting_start)).days

    def local_date(self, instant: datetime) -> date:
        """The patient's local date of an instant (2.11 item 10)."""
        return instant.astimezone(self.zone).date()

    def local_midnight(self, day: date) -> datetime:
        """The instant the patient's local ``day`` begins."""
        return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)

    def evaluable_reads(self) -> Iterable[Read]:
        """Sessions in evaluable bouts."""
        return (read for bout in self.bouts if bout.evaluable for read in bout.members)

    def morning_confirmed(self, day: date) -> bool:
        """The next local day's MorningCheck exists and is settled (spec 2.3, item 9)."""
        morning = self.mornings.get(day + timedelta(days=1))
        return morning is not None and morning_settled(morning, self.context, self.config)

    def qualifies(self, bout: Bout) -> bool:
        """Easy, complete, painless, not spreading, screened and settled next morning (2.3)."""
        if not bout.evaluable or not self.morning_confirmed(bout.local_date):
            return False
        return all(self._set_qualifies(read) for read in bout.members)

    def _set_qualifies(self, read: Read) -> bool:
        session = read.session
        return (
            session.reps_done >= session.reps_target
            and session.ease is Ease.EASY
            and read.zone is PainZone.GREEN
            and read.location in QUALIFYING_LOCATIONS
            and max(session.loc_post) <= max(self.context.base_loc)
            and session.neuro_change is NeuroChange.NONE
            and not any(session.ces_answers or ())
        )

    def qualifying_in_window(self) -> tuple[Bout, ...]:
        """Counted bouts in the last ``window_days`` that qualify (R-ADV-1)."""
        return tuple(
            bout
            for bout in self.counted
            if bout.local_date >= self.window_start and self.qualifies(bout)
        )


def build_facts(
    context: Context,
    sessions: Sequence[Session],
    mornings: Sequence[MorningCheck],
    config: Config,
    now: datetime,
) -> Facts:
    """Validate the inputs against ``now`` and derive what the rules read.

    Every instant is moved to UTC first: Python compares two datetimes of one zone by wall
    clock, which is an hour off across a DST change (2.11 item 26).
    """
    require_aware(now, "now")
    zone = ZoneInfo(context.timezone)
    now = now.astimezone(UTC)
    today = now.astimezone(zone).date()
    context = _context_in_utc(context)
    ordered = sorted((_session_in_utc(s) for s in sessions), key=_sort_key)  # invariant 6
    _check_not_future(context, ordered, mornings, now, today)
    reset_at = max(context.stage_started_at, context.last_reset_at or context.stage_started_at)
    kept = [s for s in ordered if s.started_at >= reset_at or s.entered_at >= reset_at]
    reads = _reads(kept, context, config, zone)
    bouts = _merge(reads, timedelta(minutes=config.merge_min))
    points = [reset_at] + [b.started_at for b in bouts if b.evaluable and b.started_at >= reset_at]
    counting_start = _counting_start(points, now, timedelta(days=config.gap_reset_days))
    counted, capped = _counted(bouts, counting_start, today, config.freq_target(context.phase))
    return Facts(
        context=context,
        config=config,
        now=now,
        zone=zone,
        today=today,
        reset_at=reset_at,
        reads=tuple(reads),
        bouts=bouts,
        mornings=_merge_mornings(mornings),
        counting_start=counting_start,
        counted=tuple(bouts[i] for i in counted),
        hold_scope=_hold_scope(bouts, counted, capped, counting_start),
        current_gap=now - points[-1],
        newest_closed_gap=points[-1] - points[-2] if len(points) > 1 else None,
    )


def _session_in_utc(session: Session) -> Session:
    return replace(
        session,
        started_at=session.started_at.astimezone(UTC),
        entered_at=session.entered_at.astimezone(UTC),
    )


def _context_in_utc(context: Context) -> Context:
    def utc(instant: datetime | None) -> datetime | None:
        return None if instant is None else instant.astimezone(UTC)

    return replace(
        context,
        stage_started_at=context.stage_started_at.astimezone(UTC),
        phase_started_at=utc(context.phase_started_at),
        last_advance_at=utc(context.last_advance_at),
        last_reset_at=utc(context.last_reset_at),
        recent_regressions=tuple(t.astimezone(UTC) for t in context.recent_regressions),
    )


def _sort_key(session: Session) -> tuple[datetime, datetime, str]:
    return (session.started_at, session.entered_at, repr(session))


def _check_not_future(
    context: Context,
    sessions: Sequence[Session],
    mornings: Sequence[MorningCheck],
    now: datetime,
    today: date,
) -> None:
    """Future values are rejected (2.9; 2.11 item 17)."""
    for name, instant in context.instants():
        if instant > now:
            raise ValueError(f"{name} is in the future ({instant.isoformat()})")
    for session in sessions:
        for name in ("started_at", "entered_at"):
            instant = getattr(session, name)
            if instant > now:
                raise ValueError(f"{name} is in the future ({instant.isoformat()})")
    for morning in sorted(mornings, key=lambda m: m.local_date):
        if morning.local_date > today:
            raise ValueError(f"local_date is in the future ({morning.local_date.isoformat()})")


def _reads(
    sessions: Sequence[Session], context: Context, config: Config, zone: ZoneInfo
) -> list[Read]:
    reads: list[Read] = []
    screened_days: set[date] = set()
    for session in sessions:
        day = session.started_at.astimezone(zone).date()
        first_of_day = day not in screened_days
        screened_days.add(day)
        reads.append(
            Read(
                session=session,
                local_date=day,
                zone=pain_zone(session, config),
                location=location_response(session.loc_pre, session.loc_post),
                evaluable=_evaluable(session, first_of_day, context, config),
            )
        )
    return reads


def _evaluable(session: Session, first_of_day: bool, context: Context, config: Config) -> bool:
    """Complete, on time and on protocol (spec 2.3, 2.11 item 17)."""
    on_time = session.entered_at - session.started_at <= timedelta(hours=config.late_entry_h)
    on_protocol = session.stage == context.stage  # a mismatch is a protocol deviation (2.2)
    screened = session.ces_answers is not None or not first_of_day  # daily CES screen (2.2)
    extension_logged = session.extension_effect is not None or not context.extension_enabled
    return on_time and on_protocol and screened and extension_logged


def _merge(reads: Sequence[Read], merge_gap: timedelta) -> tuple[Bout, ...]:
    """Merge sets on one local date started less than ``merge_gap`` after the previous one."""
    groups: list[list[Read]] = []
    for read in reads:
        previous = groups[-1][-1] if groups else None
        if (
            previous is not None
            and previous.local_date == read.local_date
            and read.session.started_at - previous.session.started_at < merge_gap
        ):
            groups[-1].append(read)
        else:
            groups.append([read])
    return tuple(Bout(tuple(group)) for group in groups)


def _merge_mornings(mornings: Sequence[MorningCheck]) -> dict[date, MorningCheck]:
    """One MorningCheck per date, keeping the worst pain and level per side (item 17)."""
    by_date: defaultdict[date, list[MorningCheck]] = defaultdict(list)
    for morning in mornings:
        by_date[morning.local_date].append(morning)
    return {day: _worst_morning(day, checks) for day, checks in sorted(by_date.items())}


def _worst_morning(day: date, checks: Sequence[MorningCheck]) -> MorningCheck:
    left = max(SymptomLevel(check.loc[0]) for check in checks)
    right = max(SymptomLevel(check.loc[1]) for check in checks)
    return MorningCheck(local_date=day, pain=max(c.pain for c in checks), loc=(left, right))


def _counting_start(points: Sequence[datetime], now: datetime, reset_gap: timedelta) -> datetime:
    """The reset point, or the end of the last gap of at least ``reset_gap`` (item 24).

    ``points`` are the reset point followed by the start of every evaluable bout after it; an
    open gap up to ``now`` that is already long enough resets the counters too.
    """
    start = points[0]
    for before, after in pairwise([*points, now]):
        if after - before >= reset_gap:
            start = after
    return start


def _counted(
    bouts: Sequence[Bout], counting_start: datetime, today: date, cap: int
) -> tuple[list[int], list[int]]:
    """Indexes of the bouts the advancement gate counts, and of those the daily cap left out.

    Evaluable bouts since ``counting_start`` and before today count, at most ``cap`` per local
    date, the earliest ones; the rest neither count nor block the gate (items 9, 21).
    """
    per_day: Counter[date] = Counter()
    counted: list[int] = []
    capped: list[int] = []
    for index, bout in enumerate(bouts):
        if not bout.evaluable or bout.started_at < counting_start or bout.local_date >= today:
            continue
        per_day[bout.local_date] += 1
        (counted if per_day[bout.local_date] <= cap else capped).append(index)
    return counted, capped


def _hold_scope(
    bouts: Sequence[Bout], counted: Sequence[int], capped: Sequence[int], counting_start: datetime
) -> tuple[Read, ...]:
    """Sets the per-session holds read (items 3, 21).

    The newest bout, every bout after the last one the gate counts, and every bout the daily
    cap left out of the counts.
    """
    if not bouts:
        return ()
    if counted:
        chosen = set(range(counted[-1] + 1, len(bouts)))
    else:
        chosen = {i for i, bout in enumerate(bouts) if bout.started_at >= counting_start}
    chosen |= {len(bouts) - 1, *capped}
    return tuple(read for i in sorted(chosen) for read in bouts[i].members)
