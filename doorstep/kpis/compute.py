"""KPIs from the record (SPEC §4 and the KPI contract of §5), never typed in.

Every figure is a set-based aggregate: one grouped query per source table (clocks, orders,
events, the penalty ledger) with a conditional COUNT or SUM per metric, grouped by technician
or branch and by period (`Trunc` in the branch's zone, weeks from Monday). Teams are the sum of
their technicians' counts. Each metric is defined once, in `_measures()`: the aggregate and the
drill-down (`orders_behind`) both read that definition, so the orders listed behind a figure
are exactly the ones it counted.

Attribution: a clock belongs to the technician it was started for, else the order's
technician; order, event and rating figures to the order's technician; ledger entries to
the entry's technician. Branch figures count the order's (or entry's) branch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Trunc

from doorstep.kpis.choices import Level, Metric, Period
from doorstep.kpis.models import SubscriberCount
from doorstep.orders.choices import Action, Kind, RequestedBy
from doorstep.orders.models import OrderEvent, WorkOrder
from doorstep.org.models import Branch, Staff, Team
from doorstep.standards import policies
from doorstep.standards.choices import ClockName, ClockStatus, PenaltyStatus
from doorstep.standards.models import CHARGED, Clock, Penalty

RATE, COUNT, MEAN, SUM, PER_10K = "rate", "count", "mean", "sum", "per_10k"

Number = int | float | None


# --- the ledger, read in one place ---------------------------------------------------------


def ledger_entries() -> tuple[QuerySet[Penalty], Q, Q]:
    """The penalty ledger as the KPIs read it: the entries, which of them are in force
    (charged, including those under appeal) and which were exempted. The only code here that
    knows how an entry's standing is stored: the ledger is append-only and `Penalty.objects`
    carries each entry's status derived from its latest change (doorstep.standards)."""
    return (
        Penalty.objects.all(),
        Q(status__in=CHARGED),
        Q(status=PenaltyStatus.EXEMPTED),
    )


# --- sources and measures ------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    rows: Callable[[], QuerySet[Any]]
    at: str  # the time that puts a row in a period
    technician: Any  # expression giving the technician's user id
    branch: str
    order: str
    number: str
    to_order: str  # the path from a row to its order ("" for orders themselves)


def _sources() -> dict[str, Source]:
    return {
        "clock": Source(
            # A clock counts in the period in which it stopped, met or breached.
            rows=lambda: Clock.objects.filter(
                status__in=[ClockStatus.MET, ClockStatus.BREACHED], stopped_at__isnull=False
            ),
            at="stopped_at",
            technician=Coalesce("technician_id", "order__technician_id"),
            branch="order__branch_id",
            order="order_id",
            number="order__number",
            to_order="order__",
        ),
        "order": Source(
            rows=lambda: WorkOrder.objects.filter(completed_at__isnull=False).alias(
                has_repeat=Exists(WorkOrder.objects.filter(repeat_of=OuterRef("pk")))
            ),
            at="completed_at",
            technician=F("technician_id"),
            branch="branch_id",
            order="id",
            number="number",
            to_order="",
        ),
        "event": Source(
            rows=lambda: OrderEvent.objects.filter(
                action__in=[Action.COMPLETE, Action.CALLBACK, Action.RESCHEDULE, Action.COMPLAIN]
            ),
            at="occurred_at",
            technician=F("order__technician_id"),
            branch="order__branch_id",
            order="order_id",
            number="order__number",
            to_order="order__",
        ),
        "penalty": Source(
            rows=lambda: ledger_entries()[0],
            at="created_at",
            technician=F("technician_id"),
            branch="branch_id",
            order="order_id",
            number="order__number",
            to_order="order__",
        ),
    }


OrderFilter = Mapping[str, Any]  # lookups on the order, e.g. {"fault_class": "line"}


def _on_orders(source: Source, where: OrderFilter | None) -> Q:
    """Only the rows whose order matches `where` (a breakdown by fault class or region); a
    ledger entry without an order then drops out."""
    return Q(**{f"{source.to_order}{k}": v for k, v in (where or {}).items()})


@dataclass(frozen=True)
class Measure:
    metric: str
    source: str
    kind: str
    base: Q  # the rows measured (a rate's denominator)
    hit: Q | None = None  # a rate's numerator, among `base`
    value: Any = None  # what a mean or sum adds up


def early_arrival_lead() -> timedelta:
    """How long before the window start an arrival must be to count as early: the R6 policy's
    early target, plus the lateness it allows (the arrival clock's deadline is the window
    start plus that allowance). Read from the policy row without matchers."""
    found = policies.resolve("clock.arrival")
    if found is None:
        return timedelta(minutes=5)
    early = int(found.params.get("early_target_minutes", 5))
    return timedelta(minutes=early + (found.minutes or 0))


def _clock_rate(metric: str, name: str) -> Measure:
    return Measure(metric, "clock", RATE, Q(name=name), Q(status=ClockStatus.MET))


def _measures() -> dict[str, Measure]:
    _, in_force, exempted = ledger_entries()
    repeatable = [Kind.INSTALL, Kind.MOVE, Kind.REPAIR]
    rating = Cast(KT("payload__rating"), IntegerField())
    score = Cast(KT("payload__score"), IntegerField())
    found = [
        Measure(Metric.ORDERS, "order", COUNT, Q()),
        _clock_rate(Metric.INSTALL_ON_TIME_RATE, ClockName.INSTALL),
        _clock_rate(Metric.RESTORE_ON_TIME_RATE, ClockName.RESTORE),
        _clock_rate(Metric.CONTACT_30MIN_RATE, ClockName.CONTACT),
        _clock_rate(Metric.FIRST_REPLY_8H_RATE, ClockName.FIRST_REPLY),
        _clock_rate(Metric.ON_TIME_ARRIVAL_RATE, ClockName.ARRIVAL),
        Measure(
            Metric.EARLY_ARRIVAL_RATE,
            "clock",
            RATE,
            Q(name=ClockName.ARRIVAL),
            Q(stopped_at__lte=F("fixed_deadline") - early_arrival_lead()),
        ),
        Measure(
            Metric.CREW_RESCHEDULES,
            "event",
            COUNT,
            Q(action=Action.RESCHEDULE, payload__requested_by=RequestedBy.CREW.value),
        ),
        Measure(
            Metric.FIRST_TIME_FIX_RATE, "order", RATE, Q(kind=Kind.REPAIR), Q(has_repeat=False)
        ),
        Measure(
            Metric.REPEAT_FAULT_RATE, "order", RATE, Q(kind__in=repeatable), Q(has_repeat=True)
        ),
        Measure(Metric.ONSITE_SATISFACTION, "event", MEAN, Q(action=Action.COMPLETE), value=rating),
        Measure(
            Metric.CALLBACK_SATISFACTION, "event", MEAN, Q(action=Action.CALLBACK), value=score
        ),
        Measure(Metric.COMPLAINTS_PER_10K, "event", PER_10K, Q(action=Action.COMPLAIN)),
        Measure(Metric.PENALTY_YUAN, "penalty", SUM, in_force, value=F("amount")),
        Measure(Metric.EXEMPTED_YUAN, "penalty", SUM, exempted, value=F("amount")),
    ]
    # Plain strings as keys: the names are the API's field names.
    return {str(m.metric): replace(m, metric=str(m.metric)) for m in found}


# --- periods -------------------------------------------------------------------------------


def period_start(period: str, day: date) -> date:
    if period == Period.DAY:
        return day
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())  # Monday
    return day.replace(day=1)


def next_period(period: str, start: date) -> date:
    if period == Period.DAY:
        return start + timedelta(days=1)
    if period == Period.WEEK:
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


# --- aggregation ---------------------------------------------------------------------------

Parts = dict[str, Any]  # "<metric>:n", "<metric>:hit", "<metric>:sum" → int or Decimal
# (technician user id or branch id, the value of the order field split on or None, period start)
Cell = tuple[Any, Any, date]
Counted = dict[Cell, Parts]


def _aggregations(measures: Iterable[Measure]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in measures:
        if m.kind in (COUNT, PER_10K, RATE):
            out[f"{m.metric}:n"] = Count("pk", filter=m.base)
        if m.kind == RATE and m.hit is not None:
            out[f"{m.metric}:hit"] = Count("pk", filter=m.base & m.hit)
        if m.kind == MEAN:
            out[f"{m.metric}:n"] = Count(m.value, filter=m.base)
        if m.kind in (MEAN, SUM):
            out[f"{m.metric}:sum"] = Sum(m.value, filter=m.base)
    return out


def _tallies(levels: Collection[str]) -> dict[str, Counted]:
    return {by: defaultdict(lambda: defaultdict(int)) for by in levels}


def _grouped(
    levels: Collection[str],
    measures: Mapping[str, Measure],
    period: str,
    zone: ZoneInfo,
    first: date,
    end: date,
    branch_ids: list[int] | None,
    where: OrderFilter | None = None,
    split: str | None = None,
) -> dict[str, Counted]:
    """One grouped query per source: the counts behind every metric per period, by technician
    and by branch (`levels`: either or both, in the same query) and, for a breakdown, by the
    value of one field of the order (`split`)."""
    totals = _tallies(levels)
    start, stop = _local_midnight(first, zone), _local_midnight(end, zone)
    for name, source in _sources().items():
        wanted = [m for m in measures.values() if m.source == name]
        qs = source.rows().filter(
            _on_orders(source, where), **{f"{source.at}__gte": start, f"{source.at}__lt": stop}
        )
        if branch_ids is not None:
            qs = qs.filter(**{f"{source.branch}__in": branch_ids})
        keys: dict[str, Any] = {
            "kpi_period": Trunc(source.at, period, output_field=DateField(), tzinfo=zone)
        }
        if Level.TECHNICIAN in levels:
            keys["kpi_technician"] = source.technician
        if Level.BRANCH in levels:
            keys["kpi_branch"] = F(source.branch)
        if split is not None:
            keys["kpi_split"] = F(f"{source.to_order}{split}")
        rows = qs.annotate(**keys).values(*keys).annotate(**_aggregations(wanted)).order_by()
        for row in rows:
            cells = [(by, row.pop(f"kpi_{by}")) for by in levels]
            part, at = row.pop("kpi_split", None), row.pop("kpi_period")
            for by, member in cells:
                if member is None:
                    continue  # nobody to attribute it to: counted at branch level only
                bucket = totals[by][(member, part, at)]
                for field, value in row.items():
                    bucket[field] += value or 0
    return totals


def _zones(branches: Collection[Branch] | None) -> dict[str, list[int] | None]:
    """Branch ids per time zone; None when every branch of the only zone is wanted (no
    filter needed at all)."""
    every = list(Branch.objects.values_list("pk", "timezone"))
    chosen = {b.pk for b in branches} if branches is not None else {pk for pk, _ in every}
    zones: dict[str, list[int]] = defaultdict(list)
    for pk, tz in every:
        if pk in chosen:
            zones[tz or "Asia/Shanghai"].append(pk)
    if branches is None and len(zones) == 1:
        return {tz: None for tz in zones}
    return dict(zones)


def _collect(
    levels: Collection[str],
    measures: Mapping[str, Measure],
    period: str,
    first: date,
    end: date,
    branches: Collection[Branch] | None,
    where: OrderFilter | None = None,
    split: str | None = None,
) -> dict[str, Counted]:
    merged = _tallies(levels)
    for tz, ids in _zones(branches).items():
        found = _grouped(levels, measures, period, ZoneInfo(tz), first, end, ids, where, split)
        for by, counted in found.items():
            for cell, parts in counted.items():
                for field, value in parts.items():
                    merged[by][cell][field] += value
    return merged


# --- from counts to figures ----------------------------------------------------------------


def _subscribers(branch_ids: Iterable[int], months: Iterable[date]) -> dict[tuple[int, date], int]:
    """Each branch's subscriber count for each month: that month's entry, else the latest
    entry before it."""
    months = sorted(set(months))
    if not months:
        return {}
    entries: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for branch_id, month, count in (
        SubscriberCount.objects.filter(branch_id__in=set(branch_ids), month__lte=months[-1])
        .order_by("month")
        .values_list("branch_id", "month", "count")
    ):
        entries[branch_id].append((month, count))
    out: dict[tuple[int, date], int] = {}
    for branch_id, rows in entries.items():
        for m in months:
            earlier = [count for month, count in rows if month <= m]
            if earlier:
                out[(branch_id, m)] = earlier[-1]
    return out


def figures(
    parts: Parts, subscribers: int | None, measures: Mapping[str, Measure] | None = None
) -> dict[str, Number]:
    """The metrics from their counts (rates 0–1 and means null when nothing was measured).
    `measures`: `_measures()` when the caller already holds it (it reads a policy)."""
    out: dict[str, Number] = {}
    for m in (measures if measures is not None else _measures()).values():
        name = str(m.metric)
        n = parts.get(f"{name}:n", 0)
        if m.kind == COUNT:
            out[name] = int(n)
        elif m.kind == RATE:
            out[name] = parts.get(f"{name}:hit", 0) / n if n else None
        elif m.kind == MEAN:
            out[name] = float(parts.get(f"{name}:sum", 0)) / n if n else None
        elif m.kind == SUM:
            out[name] = float(Decimal(parts.get(f"{name}:sum", 0)))
        elif m.kind == PER_10K:
            out[name] = n * 10000 / subscribers if subscribers else None
    return out


@dataclass
class Entity:
    key: str
    name: str
    branch_id: int | None
    ids: frozenset[Any]  # technician user ids, or the branch id, whose counts it sums


@dataclass
class KpiRow:
    key: str
    name: str
    period_start: date
    metrics: dict[str, Number]


@dataclass
class KpiReport:
    level: str
    period: str
    start: date
    end: date  # the period's last day (inclusive)
    rows: list[KpiRow]


def _entities(
    level: str,
    branches: Collection[Branch] | None,
    seen_ids: set[Any],
    keys: Collection[str] | None,
) -> list[Entity]:
    branch_ids = {b.pk for b in branches} if branches is not None else None
    if level == Level.BRANCH:
        qs = (
            Branch.objects.all() if branch_ids is None else Branch.objects.filter(pk__in=branch_ids)
        )
        found = [Entity(b.code, b.name, b.pk, frozenset({b.pk})) for b in qs]
    else:
        in_scope = Q(is_technician=True)
        if branch_ids is not None:
            in_scope &= Q(branch_id__in=branch_ids)
        staff = list(
            Staff.objects.filter(in_scope | Q(user_id__in=seen_ids)).values(
                "user_id", "user__username", "name", "branch_id", "team_id"
            )
        )
        if level == Level.TECHNICIAN:
            found = [
                Entity(s["user__username"], s["name"], s["branch_id"], frozenset({s["user_id"]}))
                for s in staff
            ]
        else:
            members: dict[int, set[int]] = defaultdict(set)
            for s in staff:
                if s["team_id"] is not None:
                    members[s["team_id"]].add(s["user_id"])
            teams = Team.objects.filter(pk__in=members) | (
                Team.objects.all()
                if branch_ids is None
                else Team.objects.filter(branch_id__in=branch_ids)
            )
            found = [
                Entity(str(t.pk), t.name, t.branch_id, frozenset(members.get(t.pk, set())))
                for t in teams.distinct()
            ]
    if keys is not None:
        found = [e for e in found if e.key in keys]
    return sorted(found, key=lambda e: e.key)


@dataclass
class KpiCounts:
    """The counts behind every metric over a run of periods, by technician and by branch (and,
    for a breakdown, by one field of the order), from one grouped query per source. Any level's
    rows for any of these periods are sums of them: the dashboard counts once and reads its
    trend, the week's figures and its rankings from the same counts. Build with `kpi_counts`."""

    period: Period
    periods: list[date]
    branches: Collection[Branch] | None
    measures: dict[str, Measure]
    counted: dict[str, Counted]  # per level counted: technician or branch
    # Who is in scope and the subscriber counts, looked up once for every table read here.
    _looked_up: dict[Any, Any] = dataclass_field(default_factory=dict, repr=False)

    def _once(self, key: Any, look_up: Callable[[], Any]) -> Any:
        if key not in self._looked_up:
            self._looked_up[key] = look_up()
        return self._looked_up[key]

    def series(
        self,
        level: str,
        *,
        keys: Collection[str] | None = None,
        part: Any = None,
        first: date | None = None,
        last: date | None = None,
    ) -> list[KpiRow]:
        """One row per technician, team or branch in scope and period (from the one holding
        `first` to the one holding `last`; all when not given), ordered by key then period.
        `part`: with a split, the rows of the orders whose field has this value."""
        level = Level(level)
        by = Level.BRANCH if level == Level.BRANCH else Level.TECHNICIAN
        if by not in self.counted:
            raise ValueError(f"counted without the {by} level")
        counted = self.counted[by]
        low = period_start(self.period, first) if first is not None else self.periods[0]
        high = period_start(self.period, last) if last is not None else self.periods[-1]
        periods = [p for p in self.periods if low <= p <= high]
        wanted = set(periods)
        seen = {member for member, at_part, at in counted if at_part == part and at in wanted}
        fixed_keys = frozenset(keys) if keys is not None else None
        entities: list[Entity] = self._once(
            ("entities", level, frozenset(seen), fixed_keys),
            lambda: _entities(level, self.branches, seen, keys),
        )
        months = frozenset(p.replace(day=1) for p in periods)
        branch_ids = frozenset(e.branch_id for e in entities if e.branch_id)
        subscribers: dict[tuple[int, date], int] = self._once(
            ("subscribers", branch_ids, months), lambda: _subscribers(branch_ids, months)
        )
        rows = []
        for e in entities:
            for p in periods:
                parts: Parts = defaultdict(int)
                for member in e.ids:
                    for field, value in counted.get((member, part, p), {}).items():
                        parts[field] += value
                base = subscribers.get((e.branch_id, p.replace(day=1))) if e.branch_id else None
                rows.append(KpiRow(e.key, e.name, p, figures(parts, base, self.measures)))
        return rows

    def report(
        self, level: str, day: date, *, keys: Collection[str] | None = None, part: Any = None
    ) -> KpiReport:
        """The table of the period holding `day`, as `kpi_report` gives it."""
        start = period_start(self.period, day)
        if start not in self.periods:
            raise ValueError(f"{day} is not in the periods counted")
        end = next_period(self.period, start) - timedelta(days=1)
        rows = self.series(level, keys=keys, part=part, first=day, last=day)
        return KpiReport(Level(level), self.period, start, end, rows)


def kpi_counts(
    period: str,
    first: date,
    last: date,
    *,
    branches: Collection[Branch] | None = None,
    where: OrderFilter | None = None,
    split: str | None = None,
    levels: Collection[str] = (Level.TECHNICIAN, Level.BRANCH),
) -> KpiCounts:
    """The counts of every period from the one holding `first` to the one holding `last`
    (`branches`: None = all; `where`: only the rows of orders matching these lookups; `split`:
    by the value of this field of the order, for a breakdown; `levels`: technician counts serve
    the technician and team rows, branch counts the branch rows)."""
    period = Period(period)
    start = period_start(period, first)
    end = next_period(period, period_start(period, last))
    periods = [start]
    while next_period(period, periods[-1]) < end:
        periods.append(next_period(period, periods[-1]))
    levels = [Level(by) for by in levels]
    measures = _measures()
    counted = _collect(levels, measures, period, start, end, branches, where, split)
    return KpiCounts(period, periods, branches, measures, counted)


def kpi_series(
    level: str,
    period: str,
    first: date,
    last: date,
    *,
    branches: Collection[Branch] | None = None,
    keys: Collection[str] | None = None,
    where: OrderFilter | None = None,
) -> list[KpiRow]:
    """Every period from the one holding `first` to the one holding `last`, for every
    technician, team or branch in scope (`branches`: None = all; `keys`: only these rows;
    `where`: only the rows of orders matching these lookups, for a breakdown).
    One row per entity and period, ordered by key then period."""
    by = Level.BRANCH if Level(level) == Level.BRANCH else Level.TECHNICIAN
    counts = kpi_counts(period, first, last, branches=branches, where=where, levels=[by])
    return counts.series(level, keys=keys)


def kpi_report(
    level: str,
    period: str,
    day: date,
    *,
    branches: Collection[Branch] | None = None,
    keys: Collection[str] | None = None,
    where: OrderFilter | None = None,
) -> KpiReport:
    """The KPI table of the day, week (Monday to Sunday) or month holding `day`: one row per
    technician (key: username), team (key: team id) or branch (key: branch code)."""
    by = Level.BRANCH if Level(level) == Level.BRANCH else Level.TECHNICIAN
    counts = kpi_counts(period, day, day, branches=branches, where=where, levels=[by])
    return counts.report(level, day, keys=keys)


# --- drill-down ----------------------------------------------------------------------------


@dataclass
class Behind:
    order_id: int
    number: str
    at: datetime
    counted: bool  # in a rate's numerator (always true for counts, means and sums)
    value: float | None  # the rating, score or amount, for means and sums


def orders_behind(
    metric: str,
    level: str,
    key: str,
    period: str,
    day: date,
    *,
    branches: Collection[Branch] | None = None,
    where: OrderFilter | None = None,
    limit: int = 1000,
) -> list[Behind]:
    """The rows one figure of `kpi_report` counted, oldest first: for a rate every measured
    order, `counted` marking those in the numerator."""
    measure = _measures()[str(Metric(metric))]
    source = _sources()[measure.source]
    level = Level(level)
    first = period_start(period, day)
    end = next_period(period, first)
    entities = _entities(level, branches, set(), {key})
    if not entities:
        return []
    (entity,) = entities
    out: list[Behind] = []
    for tz, ids in _zones(branches).items():
        zone = ZoneInfo(tz)
        qs = source.rows().filter(
            measure.base,
            _on_orders(source, where),
            **{
                f"{source.at}__gte": _local_midnight(first, zone),
                f"{source.at}__lt": _local_midnight(end, zone),
            },
        )
        if ids is not None:
            qs = qs.filter(**{f"{source.branch}__in": ids})
        if level == Level.BRANCH:
            qs = qs.filter(**{f"{source.branch}__in": list(entity.ids)})
        else:
            qs = qs.annotate(kpi_key=source.technician).filter(kpi_key__in=list(entity.ids))
        counted = (
            ExpressionWrapper(measure.hit, output_field=BooleanField())
            if measure.hit is not None
            else Value(True)
        )
        rows = qs.annotate(
            kpi_counted=counted,
            kpi_value=measure.value if measure.value is not None else Value(None, IntegerField()),
        ).values(source.order, source.number, source.at, "kpi_counted", "kpi_value")
        for r in rows.order_by(source.at)[:limit]:
            value = r["kpi_value"]
            out.append(
                Behind(
                    r[source.order],
                    r[source.number],
                    r[source.at],
                    bool(r["kpi_counted"]),
                    float(value) if value is not None else None,
                )
            )
    return sorted(out, key=lambda b: b.at)[:limit]


# --- a span of days as one period (the star rating's window) --------------------------------


@dataclass
class WindowRow:
    key: str
    name: str
    metrics: dict[str, Number]
    measured: dict[str, int]  # per metric, how many rows it measured (a rate's denominator)


def kpi_window(
    level: str,
    first: date,
    last: date,
    *,
    branches: Collection[Branch] | None = None,
    keys: Collection[str] | None = None,
) -> list[WindowRow]:
    """The metrics over the days `first`..`last` (inclusive, each branch's zone) as one
    period: the counts are summed over the span before rates and means are taken (three
    months' arrivals, not the mean of three monthly rates). `complaints_per_10k` divides by the
    subscriber count of the month holding `last`. Used by doorstep.ratings."""
    level = Level(level)
    by = Level.BRANCH if level == Level.BRANCH else Level.TECHNICIAN
    measures = _measures()
    counts = _collect([by], measures, Period.MONTH, first, last + timedelta(days=1), branches)
    entities = _entities(level, branches, {k for k, _, _ in counts[by]}, keys)
    month = last.replace(day=1)
    subscribers = _subscribers({e.branch_id for e in entities if e.branch_id}, [month])
    summed: dict[Any, Parts] = defaultdict(lambda: defaultdict(int))
    for (member, _, _), counted in counts[by].items():
        for field, value in counted.items():
            summed[member][field] += value
    rows = []
    for e in entities:
        total: Parts = defaultdict(int)
        for member in e.ids:
            for field, value in summed.get(member, {}).items():
                total[field] += value
        base = subscribers.get((e.branch_id, month)) if e.branch_id else None
        measured = {m: int(total.get(f"{m}:n", 0)) for m in measures}
        rows.append(WindowRow(e.key, e.name, figures(total, base, measures), measured))
    return rows
