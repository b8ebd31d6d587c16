"""The logs as the rules read them (spec 2.3, 2.11 items 2, 3, 9, 10, 17, 19, 21, 24, 26).

``build_facts`` checks the inputs against ``now``, drops the sessions the reset point hides,
dates every session in the patient's timezone, merges sets logged close together into one bout,
finds the gaps in logging and picks the bouts the advancement gate counts. Everything the rule
checks need is then a property of one immutable ``Facts``.

Speed (at least 2,000 evaluations a second): each session is moved to UTC once
(``_in_time_order``), dated and judged once (``_reads``), and the sets a rule looks for are
indexed once (``_flag``, ``_evaluable_days``), so that no rule scans every session again. The
per-set records are named tuples and nothing is validated twice.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import islice, pairwise
from operator import eq, itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ._rules_measures import morning_settled, pain_zone, sides_response
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
ONE_DAY = timedelta(days=1)

# Enum members tested once per set, bound here: on Python 3.11 reading ``Enum.MEMBER`` goes
# through ``EnumType.__getattr__`` and costs more than the test it feeds.
_EASY, _NOT_COMPLETED = Ease.EASY, Ease.NOT_COMPLETED
_GREEN, _RED, _SEVERE = PainZone.GREEN, PainZone.RED, PainZone.SEVERE
_NO_NEURO_CHANGE = NeuroChange.NONE
_PERIPHERALIZED = LocationResponse.PERIPHERALIZED
_THIGH = SymptomLevel.THIGH

Logged = tuple[datetime, datetime, Session]
"""A session's ``(started_at, entered_at, session)`` with both instants moved to UTC, once.

The session's own ``started_at`` and ``entered_at`` keep whatever zone they were logged in;
every comparison and difference uses the UTC instants (2.11 item 26).
"""

# The records built for every set are named tuples: immutable like the value objects, and
# several times quicker to build than a frozen dataclass.


class Read(NamedTuple):
    """One session the rules read (not hidden by the reset point), with its derived values.

    ``started_at`` is in UTC: read it here, not on ``session``. A set that merges with no other
    is a bout on its own, so a ``Read`` is also a ``Bout`` (see ``members``).
    """

    session: Session
    started_at: datetime
    local_date: date
    zone: PainZone
    location: LocationResponse
    evaluable: bool

    @property
    def members(self) -> tuple[Read, ...]:
        """The sets of the bout this set forms on its own: just this one."""
        return (self,)


class MergedBout(NamedTuple):
    """Sets on one local date started less than ``merge_min`` apart, judged as one set."""

    members: tuple[Read, ...]
    started_at: datetime  # when the first set of the bout started (UTC)
    local_date: date  # the patient's local date of the bout
    evaluable: bool  # worst value kept: evaluable only if every set in it is


Bout = Read | MergedBout
"""Sets judged as one (spec 2.3): a set on its own, or sets merged because close together."""


class Flagged(NamedTuple):
    """The read sets showing each sign a rule looks for, in time order (spec 2.4-2.6)."""

    red: tuple[Read, ...]  # RED or SEVERE zone (2.11 item 14)
    abandoned: tuple[Read, ...]  # ease NOT_COMPLETED
    peripheralized: tuple[Read, ...]  # symptoms moved further down the leg during the set
    neuro_change: tuple[Read, ...]  # new or worse numbness or weakness
    ces_yes: tuple[Read, ...]  # at least one yes on the daily CES screen
    both_legs: tuple[Read, ...]  # symptoms at THIGH or beyond on both sides after the set
    not_evaluable: tuple[Read, ...]  # late, off protocol, unscreened or extension not logged
    days: frozenset[date]  # local dates with at least one read set


@dataclass(frozen=True)
class Facts:
    """Everything one evaluation reads, derived once from the raw inputs.

    The cached properties and ``morning_confirmed`` are worked out on first use only: a rule
    that does not need them (or a config whose window cannot be dated) never computes them.
    """

    context: Context
    config: Config
    now: datetime
    zone: ZoneInfo
    today: date
    reset_at: datetime
    reads: tuple[Read, ...]
    flagged: Flagged
    bouts: tuple[Bout, ...]
    evaluable_days: dict[date, list[Bout]]  # the evaluable bouts of each local date
    mornings: dict[date, MorningCheck]
    base_level: SymptomLevel  # the most distal level of the stage baseline chart
    counting_start: datetime
    counted: tuple[Bout, ...]
    hold_scope: tuple[Read, ...]
    current_gap: timedelta
    newest_closed_gap: timedelta | None
    _confirmed: dict[date, bool] = field(default_factory=dict, init=False, repr=False)

    @cached_property
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

    def morning_confirmed(self, day: date) -> bool:
        """The next local day's MorningCheck exists and is settled (spec 2.3, item 9).

        Several bouts share a day, so the answer is kept per day for this evaluation.
        """
        confirmed = self._confirmed.get(day)
        if confirmed is None:
            morning = self.mornings.get(day + ONE_DAY)
            confirmed = morning is not None and morning_settled(morning, self.context, self.config)
            self._confirmed[day] = confirmed
        return confirmed

    def qualifies(self, bout: Bout) -> bool:
        """Easy, complete, painless, not spreading, screened and settled next morning (2.3)."""
        if not bout.evaluable or not self.morning_confirmed(bout.local_date):
            return False
        return all(map(self._set_qualifies, bout.members))

    def _set_qualifies(self, read: Read) -> bool:
        session = read.session
        return (
            session.reps_done >= session.reps_target
            and session.ease is _EASY
            and read.zone is _GREEN
            and read.location in QUALIFYING_LOCATIONS
            and max(session.loc_post) <= self.base_level  # not beyond the baseline chart
            and session.neuro_change is _NO_NEURO_CHANGE
            and not any(session.ces_answers or ())
        )

    @cached_property
    def qualifying_in_window(self) -> tuple[Bout, ...]:
        """Counted bouts in the last ``window_days`` that qualify (R-ADV-1)."""
        if not self.counted:
            return ()
        window_start = self.window_start
        return tuple(
            bout
            for bout in self.counted
            if bout.local_date >= window_start and self.qualifies(bout)
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
    ordered = _in_time_order(sessions)  # invariant 6
    _check_not_future(context, ordered, mornings, now, today)
    reset_at = max(context.stage_started_at, context.last_reset_at or context.stage_started_at)
    kept = [s for s in ordered if s[0] >= reset_at or s[1] >= reset_at]  # started, entered
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
        reads=reads,
        flagged=_flag(reads),
        bouts=bouts,
        evaluable_days=_evaluable_days(bouts),
        mornings=_merge_mornings(mornings),
        base_level=max(context.base_loc),
        counting_start=counting_start,
        counted=tuple([bouts[i] for i in counted]),
        hold_scope=_hold_scope(bouts, counted, capped, counting_start),
        current_gap=now - points[-1],
        newest_closed_gap=points[-1] - points[-2] if len(points) > 1 else None,
    )


def _in_time_order(sessions: Sequence[Session]) -> list[Logged]:
    """The sessions in UTC, by start, then entry instant, then ``repr`` (invariant 6).

    A session's ``repr`` is slow to build and only breaks ties, so the sessions are sorted by
    their start alone unless two of them started at the same instant; then by the full key.
    """
    logged = [
        (session.started_at.astimezone(UTC), session.entered_at.astimezone(UTC), session)
        for session in sessions
    ]
    logged.sort(key=_started_at)
    starts = list(map(_started_at, logged))
    if any(map(eq, starts, islice(starts, 1, None))):
        logged.sort(key=_time_order)
    return logged


_started_at = itemgetter(0)


def _time_order(logged: Logged) -> tuple[datetime, datetime, str]:
    started_at, entered_at, _ = logged
    return (started_at, entered_at, _repr_in_utc(logged))


def _repr_in_utc(logged: Logged) -> str:
    """The ``repr`` of the session with its instants in UTC: the last key of the sort."""
    started_at, entered_at, session = logged
    return repr(replace(session, started_at=started_at, entered_at=entered_at))


def _context_in_utc(context: Context) -> Context:
    """A copy of the context with every instant moved to UTC.

    Copied, not rebuilt with ``dataclasses.replace``: that would run every check of ``Context``
    again, and they all passed when the context was built.
    """

    def utc(instant: datetime | None) -> datetime | None:
        return None if instant is None else instant.astimezone(UTC)

    instants = {
        "stage_started_at": context.stage_started_at.astimezone(UTC),
        "phase_started_at": utc(context.phase_started_at),
        "last_advance_at": utc(context.last_advance_at),
        "last_reset_at": utc(context.last_reset_at),
        "recent_regressions": tuple(t.astimezone(UTC) for t in context.recent_regressions),
    }
    in_utc = copy.copy(context)
    for name, value in instants.items():
        object.__setattr__(in_utc, name, value)  # frozen: set as __post_init__ does
    return in_utc


def _check_not_future(
    context: Context,
    sessions: Sequence[Logged],
    mornings: Sequence[MorningCheck],
    now: datetime,
    today: date,
) -> None:
    """Future values are rejected (2.9; 2.11 item 17), the first one in time order named."""
    for name, instant in context.instants():
        if instant > now:
            raise ValueError(f"{name} is in the future ({instant.isoformat()})")
    for started_at, entered_at, _ in sessions:
        if started_at > now:
            raise ValueError(f"started_at is in the future ({started_at.isoformat()})")
        if entered_at > now:
            raise ValueError(f"entered_at is in the future ({entered_at.isoformat()})")
    future = [morning.local_date for morning in mornings if morning.local_date > today]
    if future:
        raise ValueError(f"local_date is in the future ({min(future).isoformat()})")


def _reads(
    sessions: Sequence[Logged], context: Context, config: Config, tz: ZoneInfo
) -> tuple[Read, ...]:
    """Date every kept session in the patient's zone and judge it, once (spec 2.2, 2.3)."""
    reads: list[Read] = []
    screened_days: set[date] = set()
    late_entry: timedelta | None = None
    for started_at, entered_at, session in sessions:
        day = started_at.astimezone(tz).date()
        if late_entry is None:  # built once, after the first date: an absurd config fails there
            late_entry = timedelta(hours=config.late_entry_h)
        first_of_day = day not in screened_days
        screened_days.add(day)
        on_time = entered_at - started_at <= late_entry
        read = Read(
            session,
            started_at,
            day,
            pain_zone(session, config),
            sides_response(session.loc_pre, session.loc_post),
            _evaluable(session, on_time, first_of_day, context),
        )
        reads.append(read)
    return tuple(reads)


def _evaluable(session: Session, on_time: bool, first_of_day: bool, context: Context) -> bool:
    """Complete, on time and on protocol (spec 2.3, 2.11 item 17)."""
    on_protocol = session.stage == context.stage  # a mismatch is a protocol deviation (2.2)
    screened = session.ces_answers is not None or not first_of_day  # daily CES screen (2.2)
    extension_logged = session.extension_effect is not None or not context.extension_enabled
    return on_time and on_protocol and screened and extension_logged


def _flag(reads: Sequence[Read]) -> Flagged:
    """Index the sets showing each sign the rules look for, in one pass over the reads."""
    red: list[Read] = []
    abandoned: list[Read] = []
    peripheralized: list[Read] = []
    neuro_change: list[Read] = []
    ces_yes: list[Read] = []
    both_legs: list[Read] = []
    not_evaluable: list[Read] = []
    for read in reads:
        session = read.session
        if read.zone is _RED or read.zone is _SEVERE:
            red.append(read)
        if session.ease is _NOT_COMPLETED:
            abandoned.append(read)
        if read.location is _PERIPHERALIZED:
            peripheralized.append(read)
        if session.neuro_change is not _NO_NEURO_CHANGE:
            neuro_change.append(read)
        if session.ces_answers is not None and True in session.ces_answers:
            ces_yes.append(read)
        left, right = session.loc_post
        if left >= _THIGH and right >= _THIGH:
            both_legs.append(read)
        if not read.evaluable:
            not_evaluable.append(read)
    return Flagged(
        red=tuple(red),
        abandoned=tuple(abandoned),
        peripheralized=tuple(peripheralized),
        neuro_change=tuple(neuro_change),
        ces_yes=tuple(ces_yes),
        both_legs=tuple(both_legs),
        not_evaluable=tuple(not_evaluable),
        days=frozenset(read.local_date for read in reads),
    )


def _merge(reads: Sequence[Read], merge_gap: timedelta) -> tuple[Bout, ...]:
    """Merge sets on one local date started less than ``merge_gap`` after the previous one."""
    bouts: list[Bout] = []
    previous: Read | None = None
    for read in reads:
        if (
            previous is not None
            and previous.local_date == read.local_date
            and read.started_at - previous.started_at < merge_gap
        ):
            bouts[-1] = _merged((*bouts[-1].members, read))
        else:
            bouts.append(read)  # a bout on its own, unless the next set is close
        previous = read
    return tuple(bouts)


def _merged(members: tuple[Read, ...]) -> MergedBout:
    """The bout of several sets: dated and timed by its first, evaluable only if all are."""
    first = members[0]
    evaluable = all(read.evaluable for read in members)
    return MergedBout(members, first.started_at, first.local_date, evaluable)


def _evaluable_days(bouts: Sequence[Bout]) -> dict[date, list[Bout]]:
    """The evaluable bouts of each local date, in time order (R-HOLD-4, R-HOLD-6, R-FREQ-1)."""
    days: defaultdict[date, list[Bout]] = defaultdict(list)
    for bout in bouts:
        if bout.evaluable:
            days[bout.local_date].append(bout)
    return dict(days)


def _merge_mornings(mornings: Sequence[MorningCheck]) -> dict[date, MorningCheck]:
    """One MorningCheck per date, keeping the worst pain and level per side (item 17)."""
    by_date: defaultdict[date, list[MorningCheck]] = defaultdict(list)
    for morning in mornings:
        by_date[morning.local_date].append(morning)
    return {day: _worst_morning(day, checks) for day, checks in sorted(by_date.items())}


def _worst_morning(day: date, checks: Sequence[MorningCheck]) -> MorningCheck:
    if len(checks) == 1:
        return checks[0]  # a single check is its own worst: no need to build it again
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
    per_day: dict[date, int] = {}
    counted: list[int] = []
    capped: list[int] = []
    for index, bout in enumerate(bouts):
        day = bout.local_date
        if not bout.evaluable or bout.started_at < counting_start or day >= today:
            continue
        per_day[day] = seen = per_day.get(day, 0) + 1
        (counted if seen <= cap else capped).append(index)
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
