"""Scenario sections for a task portfolio: `workload.tasks` and `plan` (read by `tco plan`).

A workload may carry several tasks, each with its share of the queries (or its own queries per day), its
tokens, quality floor and latency SLO; a single `task:` stays valid (a portfolio of one)::

    workload:
      queries_per_day: 2000000 query/day     # shares below are of this
      annual_growth: 20 %
      peak_to_average: 2                     # or daily_profile: 24 hourly weights
      tasks:
        - {task: sentiment, share: 55 %, tokens_in: 200, tokens_out: 50, quality_floor: 0.9,
           latency_slo_p95: 10 s}
        - {task: summarisation, share: 30 %, tokens_in: 800, tokens_out: 150}
        - {task: code, queries_per_day: 20000 query/day, quality_floor: 0.75,   # its own traffic
           daily_profile: [...]}                                                 # and its own day

    plan:
      objective: cost                        # cost (NPV) | emissions | cost-with-carbon
      candidates:                            # option ids a task may be routed to (default: every option)
        sentiment: [llm-70b, slm-distilbert-t4]
      cascades:                              # a small model first, a share escalated to a larger one
        - {id: 8b-then-70b, task: arithmetic, first: llm-8b, then: llm-70b, escalate: 40 %}
      compare:                               # fixed plans to set beside the optimised one
        - {id: all-large, all: llm-70b}
        - {id: mixed, routes: {sentiment: slm-distilbert-t4, arithmetic: 8b-then-70b}, all: llm-70b}
      baseline: all-large                    # the saving is reported against it (default: the first)

The largest task (by queries per day) is the workload's `task` for the single-option views (`tco report`,
the app), which evaluate each option carrying `workload.queries_per_day` as today; `tco plan` routes each
task on its own. `escalate` may also be `{measured: path/to/cascade.yaml}`, a file written by
`tco measure-cascade` (tco.scenario.cascade): the share and the cascade's quality then both come from it.
A cascade's quality is `quality` when given (measured), else the mix
(1 - escalate) x q(first) + escalate x q(then): the quality of escalating queries at random, a lower bound
when the first model escalates the queries it is least sure of.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from tco.scenario.units import Unit, parse

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
_Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=80)]


_Fraction = Annotated[float, Unit("", minimum=0.0, maximum=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hourly(v: list[float] | None) -> list[float] | None:
    """After pydantic read each weight as a number (text such as "1 W" is its error, with its index)."""
    if v is None:
        return v
    if len(v) != 24 or any(not (0 <= x < 1e12) for x in v) or sum(v) <= 0:  # refuses nan and inf too
        raise ValueError("expected 24 finite non-negative hourly weights, not all zero")
    return v


class PortfolioTask(_Strict):
    """One task of a workload: its traffic, lengths and limits."""

    task: str = Field(min_length=1, max_length=80)
    share: _Fraction | None = None  # of workload.queries_per_day
    queries_per_day: Annotated[float, Unit("1/day", maximum=1e13)] | None = None
    tokens_in: Annotated[float, Unit("")] | None = None
    tokens_out: Annotated[float, Unit("")] | None = None
    latency_slo_p95: Annotated[float, Unit("s")] | None = None
    ttft_p95: Annotated[float, Unit("s")] | None = None
    tpot_p95: Annotated[float, Unit("s")] | None = None
    tokens_per_second_per_user: Annotated[float, Unit("1/s")] | None = None
    quality_floor: _Fraction | None = None
    daily_profile: Annotated[list[float] | None, AfterValidator(_hourly)] = (
        None  # own day; default the workload's
    )

    @model_validator(mode="after")
    def _one_volume(self) -> PortfolioTask:
        if (self.share is None) == (self.queries_per_day is None):
            raise ValueError(f"task {self.task!r}: give either share or queries_per_day")
        check_interactivity(self.tpot_p95, self.tokens_per_second_per_user)
        check_ttft(self.ttft_p95)
        return self

    def daily_queries(self, workload_queries_per_day: float) -> float:
        """Queries per day at the start of the horizon."""
        if self.queries_per_day is not None:
            return self.queries_per_day
        return (self.share or 0.0) * workload_queries_per_day


def check_interactivity(tpot_p95: float | None, tokens_per_second_per_user: float | None) -> None:
    """One way to state the decode-speed target: tpot_p95 or its inverse, not both; neither zero."""
    if tpot_p95 is not None and tokens_per_second_per_user is not None:
        raise ValueError("give either tpot_p95 or tokens_per_second_per_user (its inverse), not both")
    if tpot_p95 == 0 or tokens_per_second_per_user == 0:
        raise ValueError("an interactivity target of 0 cannot be met, expected more than 0")


def check_ttft(ttft_p95: float | None) -> None:
    """A time-to-first-token target above 0 (no first token comes in no time)."""
    if ttft_p95 == 0:
        raise ValueError("ttft_p95 of 0 s cannot be met, expected more than 0 s")


def check_tasks(tasks: list[PortfolioTask]) -> None:
    """Task names unique; shares, where given, adding up to 100 %."""
    names = [t.task for t in tasks]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"task names must be unique, {dup} repeat")
    shares = [float(t.share or 0.0) for t in tasks if t.share is not None]
    if shares and abs(sum(shares) - 1.0) > 1e-6:
        raise ValueError(f"task shares add up to {sum(shares):.4g}, expected 1 (100 %)")


def fill_task(data: Any) -> Any:
    """Before validation: a workload with `tasks` and no `task` takes its largest task's name as `task`, and
    unless it gives them, the tasks' query-weighted mean `tokens_in` and `tokens_out` (when every task gives
    them): what each option alone carries in the per-option views, the mix's token volume.

    Tasks that do not validate leave the choice to the first named one: the `tasks` field's own validation
    then reports what is wrong, at its exact place.
    """
    if not isinstance(data, dict) or data.get("tasks") is None:
        return data
    if "task" in data:
        raise ValueError("give either task (one task) or tasks (a portfolio), not both")
    tasks = data["tasks"]
    names = [t.get("task") for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []
    fallback = next((n for n in names if isinstance(n, str) and n), "portfolio")
    if not isinstance(tasks, list):  # reported by the field's own validation (expected a list)
        return {**data, "task": fallback}
    try:
        parsed = [PortfolioTask.model_validate(t) for t in tasks]
        qpd = data.get("queries_per_day")
        total = parse(qpd, "1/day", minimum=0.0) if qpd is not None else 0.0
    except (ValidationError, ValueError):  # reported by the field's own validation
        return {**data, "task": fallback}
    if not parsed:
        return {**data, "task": fallback}
    largest = max(parsed, key=lambda t: t.daily_queries(total))
    filled = {**data, "task": largest.task}
    # each option alone carries the mix's token volume: the query-weighted mean length of the tasks
    daily = [t.daily_queries(total) for t in parsed]
    for key in ("tokens_in", "tokens_out"):
        values = [getattr(t, key) for t in parsed]
        if key not in data and sum(daily) > 0 and all(v is not None for v in values):
            filled[key] = sum(d * v for d, v in zip(daily, values, strict=True)) / sum(daily)
    return filled


class MeasuredShare(_Strict):
    """`escalate: {measured: path}`: the share (and the cascade's quality) from a `tco measure-cascade` file,
    read at load (tco.scenario.cascade); the path is relative to the scenario file."""

    measured: str = Field(min_length=1, max_length=4096)


def _escalate(v: Any) -> Any:
    """A share ("40 %", 0.4) or {measured: path}; anything else is one line saying which is expected."""
    if isinstance(v, MeasuredShare):
        return v
    if isinstance(v, dict):
        if set(v) != {"measured"} or not isinstance(v["measured"], str) or not v["measured"].strip():
            raise ValueError(
                f"expected {{measured: path/to/cascade.yaml}} or a share such as 40 %, got {v!r}"
            )
        return MeasuredShare(measured=v["measured"])
    return parse(v, "", minimum=0.0, maximum=1.0)


class CascadeSpec(_Strict):
    """A task answered by `first`, which passes `escalate` of the queries on to `then`."""

    id: _Id
    task: str = Field(min_length=1)
    first: _Id  # option id
    then: _Id  # option id
    # share of the task's queries passed on, or {measured: file} (share and quality measured)
    escalate: Annotated[float | MeasuredShare, BeforeValidator(_escalate)]
    quality: _Fraction | None = None  # measured quality of the cascade, if known
    source: str | None = None

    @model_validator(mode="after")
    def _one_quality(self) -> CascadeSpec:
        if isinstance(self.escalate, MeasuredShare) and self.quality is not None:
            raise ValueError(
                f"cascade {self.id!r}: give quality or escalate: {{measured: ...}}, not both "
                "(the measured file holds the cascade's quality)"
            )
        return self


class SplitSpec(_Strict):
    """A task served by several options at once (whole replicas on each fleet), in shares the planner picks
    among every split of 100 % into multiples of `step` giving each option at least one step."""

    id: _Id
    task: str = Field(min_length=1)
    across: list[_Id] = Field(min_length=2, max_length=3)  # option ids
    step: _Fraction = 0.1

    @model_validator(mode="after")
    def _whole_steps(self) -> SplitSpec:
        parts = round(1.0 / self.step) if self.step > 0 else 0
        if not 0.05 - 1e-9 <= self.step <= 0.5 + 1e-9 or abs(parts * self.step - 1.0) > 1e-9:
            raise ValueError(
                f"split {self.id!r}: step {self.step:g} does not divide 100 % into 2 to 20 equal parts, "
                "expected 5 %, 10 %, 20 %, 25 % or 50 %"
            )
        if len(set(self.across)) != len(self.across):
            raise ValueError(f"split {self.id!r}: across names an option twice, expected distinct options")
        return self

    def shares(self) -> list[tuple[float, ...]]:
        """Every split into multiples of `step`, each option at least one step, in order."""
        parts = round(1.0 / self.step)
        n = len(self.across)
        out = []
        for combo in itertools.product(range(1, parts), repeat=n - 1):
            last = parts - sum(combo)
            if last >= 1:
                out.append(tuple(k / parts for k in (*combo, last)))
        return out


class FixedPlan(_Strict):
    """A routing to compare: `all` tasks on one option (or cascade), `routes` per task overriding it."""

    id: _Id
    name: str | None = None
    all: _Id | None = None  # an option id
    routes: dict[str, _Id] = Field(default_factory=dict)


PAY_MODES = ("buy", "on-demand", "committed", "spot")


class SearchSpec(_Strict):
    """`plan.search`: candidate deployments built from the catalogue (tco.scenario.search): every measured
    profile of each model on each GPU type, in each parallel configuration, region and way to pay that the
    hardware data prices. `models` names profiles (ids) or models (`model.name` of the profiles)."""

    models: list[str] = Field(min_length=1, max_length=50)
    gpus: list[_Id] = Field(min_length=1, max_length=30)  # hardware ids
    parallelism: Literal["best"] | list[_Id] = "best"  # configuration keys (1x, 2x, tp2, ...)
    regions: list[_Id] = Field(min_length=1, max_length=30)
    pay: list[Literal["buy", "on-demand", "committed", "spot"]] = Field(min_length=1, max_length=4)
    tasks: list[str] | None = None  # the tasks these candidates may serve (default: every task)

    @model_validator(mode="after")
    def _distinct(self) -> SearchSpec:
        for name in ("models", "gpus", "regions", "pay"):
            values = getattr(self, name)
            dup = sorted({v for v in values if values.count(v) > 1})
            if dup:
                raise ValueError(f"{name} repeats {dup}, expected each once")
        return self


def _one_or_many_searches(v: Any) -> Any:
    return [v] if isinstance(v, dict) else v


class PlanSpec(_Strict):
    objective: Literal["cost", "emissions", "cost-with-carbon"] = "cost"
    candidates: dict[str, list[_Id]] = Field(
        default_factory=dict
    )  # task -> option ids (default: every option)
    cascades: list[CascadeSpec] = Field(default_factory=list, max_length=200)
    splits: list[SplitSpec] = Field(default_factory=list, max_length=50)
    compare: list[FixedPlan] = Field(default_factory=list, max_length=50)
    baseline: _Id | None = None
    # candidate deployments generated from the catalogue (one block, or a list of blocks)
    search: Annotated[list[SearchSpec], BeforeValidator(_one_or_many_searches)] = Field(
        default_factory=list, max_length=10
    )


# How much `tco plan` may compute: within 20 s on 2 cores at this size (benchmarks/plan_scale.py). A route (a
# task on an option, or a cascade) costs about one unit: an engine run to build the search, a few to polish
# its plan; an on-prem option two units per month of the horizon (two engine runs price a replica bought in
# that month); a cloud option one per five months (the search sizes its fleet month by month).
MAX_PLAN_WORK = 2500


def plan_work(tasks: int, options: int, cascades: int, cloud: int, on_prem: int, months: int) -> int:
    """The unit of MAX_PLAN_WORK: tasks x options + cascades + 2 x on-prem options x months + cloud options x
    months / 5 (every option is a route for every task: the compared plans may use any)."""
    return tasks * options + cascades + 2 * on_prem * months + (cloud * months) // 5


def check_plan_size(plan: PlanSpec, tasks: list[str], deployments: list[str], months: int) -> None:
    """A task portfolio within MAX_PLAN_WORK (`deployments`: each option's deployment)."""
    cloud = sum(d == "cloud" for d in deployments)
    on_prem = sum(d == "on-prem" for d in deployments)
    splits = sum(len(sp.shares()) for sp in plan.splits)  # each share a route, counted as a cascade is
    work = plan_work(len(tasks), len(deployments), len(plan.cascades) + splits, cloud, on_prem, months)
    if work > MAX_PLAN_WORK:
        raise ValueError(
            f"plan: {len(tasks)} tasks x {len(deployments)} options + {len(plan.cascades)} cascades + 2 x "
            f"{on_prem} on-prem options x {months} months + {cloud} cloud options x {months} months / 5 = "
            f"{work:,}, over the planner's limit of {MAX_PLAN_WORK:,} (about 20 s on 2 cores); expected fewer "
            "tasks, options or months"
        )


def check_plan(plan: PlanSpec, tasks: list[str], options: list[str]) -> None:
    """Every task, option, cascade and plan id the plan refers to exists (one ValueError naming the field)."""

    def known(value: str, among: list[str], what: str, where: str) -> None:
        if value not in among:
            raise ValueError(f"plan.{where}: unknown {what} {value!r}, expected one of {', '.join(among)}")

    for task, ids in plan.candidates.items():
        known(task, tasks, "task", "candidates")
        for o in ids:
            known(o, options, "option", f"candidates.{task}")
    cascade_ids = [c.id for c in plan.cascades]
    clash = sorted({c for c in cascade_ids if cascade_ids.count(c) > 1 or c in options})
    if clash:
        raise ValueError(f"plan.cascades: ids must be unique and differ from option ids, {clash} repeat")
    for i, c in enumerate(plan.cascades):
        known(c.task, tasks, "task", f"cascades[{i}].task")
        known(c.first, options, "option", f"cascades[{i}].first")
        known(c.then, options, "option", f"cascades[{i}].then")
        if c.first == c.then:
            raise ValueError(f"plan.cascades[{i}]: first and then are both {c.first!r}, expected two options")
    split_ids = [sp.id for sp in plan.splits]
    clash = sorted({x for x in split_ids if split_ids.count(x) > 1 or x in options or x in cascade_ids})
    if clash:
        raise ValueError(
            f"plan.splits: ids must be unique and differ from option and cascade ids, {clash} repeat"
        )
    for i, sp in enumerate(plan.splits):
        known(sp.task, tasks, "task", f"splits[{i}].task")
        for o in sp.across:
            known(o, options, "option", f"splits[{i}].across")
    plan_ids = [p.id for p in plan.compare]
    dup = sorted({p for p in plan_ids if plan_ids.count(p) > 1 or p == "optimised"})
    if dup:
        raise ValueError(f"plan.compare: ids must be unique and not 'optimised', {dup} repeat")
    for i, p in enumerate(plan.compare):
        if p.all is not None:
            known(p.all, options, "option", f"compare[{i}].all")
        for task, target in p.routes.items():
            known(task, tasks, "task", f"compare[{i}].routes")
            mine = [c.id for c in plan.cascades if c.task == task]
            known(target, options + mine, "option or cascade of this task", f"compare[{i}].routes.{task}")
        if p.all is None and set(p.routes) != set(tasks):
            missing = sorted(set(tasks) - set(p.routes))
            raise ValueError(
                f"plan.compare[{i}] ({p.id}) routes no option for task {missing[0]!r}: give all or routes"
            )
    if plan.baseline is not None:
        known(plan.baseline, plan_ids, "compare plan", "baseline")
