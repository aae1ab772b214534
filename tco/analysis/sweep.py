"""One sweep point: edit the base scenario by path, validate it again, run the analysis, give one row.

The columns of a sweep are declared once here (`columns`), per run kind, with their unit and whether the
terminal summary minimises or maximises them; `point_row` fills exactly those columns. What runs per point
is what `tco.api` offers: `scenario_from_dict` (the same validation as a file), then `evaluate` (`report`),
`plan_portfolio` (`plan`) or the Monte Carlo of `tco uncertainty` (`uncertainty`).

Rows depend on the point alone: its input values and, for `uncertainty`, a seed derived from the sweep's
seed and the point's index (`point_seed`), never from the block, the worker or the backend that ran it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tco.errors import InputError, TcoError, one_line
from tco.scenario.analysis_checks import monte_carlo_bytes
from tco.scenario.load import LoadedScenario, scenario_from_dict
from tco.scenario.repository import Repository, load_repository
from tco.scenario.sweep import Sweep, apply_point, sweep_from_dict

POINT = "point"
ERROR = "error"


@dataclass(frozen=True)
class Column:
    """One column of a sweep's table: its name (unit in brackets), the `keep` output it belongs to, its
    type (float, str, bool, int) and, for the summary, whether lower (`min`) or higher (`max`) is better."""

    name: str
    output: str
    type: str
    sense: str | None = None
    unit: str = ""


# per-option metrics of `report`: keep name, summary column, unit ({cur}: the reporting currency)
REPORT_METRICS: tuple[tuple[str, str, str], ...] = (
    ("npv_cost", "npv_cost", "{cur}"),
    ("tco_cost", "tco_cost", "{cur}"),
    ("emissions", "emissions_kg", "kgCO2e"),
    ("g_per_query", "g_per_query", "gCO2e/query"),
    ("cost_per_1k", "levelised_cost_per_1k_queries", "{cur}/1k queries"),
)
UNCERTAINTY_METRICS: tuple[tuple[str, str, str], ...] = (
    ("npv_cost", "npv_cost", "{cur}"),
    ("emissions", "emissions_kg", "kgCO2e"),
)
PERCENTILES = (10, 50, 90)


def _col(name: str, unit: str, output: str, type_: str, sense: str | None = None) -> Column:
    return Column(f"{name} [{unit}]" if unit else name, output, type_, sense, unit)


def all_columns(kind: str, options: Sequence[str], tasks: Sequence[str], currency: str) -> list[Column]:
    """Every output column a run kind can give for these options and tasks (before `keep`)."""
    cur = currency
    cols: list[Column] = []
    if kind == "report":
        for oid in options:
            for keep, _src, unit in REPORT_METRICS:
                cols.append(_col(f"{oid}.{keep}", unit.format(cur=cur), keep, "float"))
            cols.append(_col(f"{oid}.eligible", "", "eligible", "bool"))
        cols += [
            _col("best.option", "", "best", "str"),
            _col("best.npv_cost", cur, "best", "float", "min"),
            _col("best.emissions", "kgCO2e", "best", "float"),
            _col("greenest.option", "", "greenest", "str"),
            _col("greenest.emissions", "kgCO2e", "greenest", "float", "min"),
            _col("greenest.npv_cost", cur, "greenest", "float"),
        ]
    elif kind == "plan":
        cols += [
            _col("plan.npv_cost", cur, "npv_cost", "float", "min"),
            _col("plan.emissions", "kgCO2e", "emissions", "float", "min"),
            _col("plan.saving", cur, "saving", "float", "max"),
            _col("plan.meets_limits", "", "meets_limits", "bool"),
            *[_col(f"route.{t}", "", "routes", "str") for t in tasks],
            _col("baseline.npv_cost", cur, "baseline", "float"),
            _col("baseline.emissions", "kgCO2e", "baseline", "float"),
        ]
    elif kind == "uncertainty":
        for oid in options:
            for keep, _src, unit in UNCERTAINTY_METRICS:
                for p in PERCENTILES:
                    cols.append(_col(f"{oid}.{keep}.p{p}", unit.format(cur=cur), keep, "float"))
        cols += [
            _col("robust.option", "", "robust", "str"),
            _col("robust.npv_cost.p90", cur, "robust", "float", "min"),
            _col("robust.emissions.p50", "kgCO2e", "robust", "float", "min"),
        ]
    else:  # pragma: no cover - the sweep file allows only the kinds above
        raise ValueError(f"unknown run kind {kind!r}")
    return cols


# the pair of columns the sweep's chart plots (cost, emissions), per run kind
CHART_AXES = {
    "report": ("best.npv_cost", "best.emissions"),
    "plan": ("plan.npv_cost", "plan.emissions"),
    "uncertainty": ("robust.npv_cost.p90", "robust.emissions.p50"),
}


def outputs_of(kind: str) -> list[str]:
    """The names `keep` may list for a run kind, in column order."""
    names: list[str] = []
    for c in all_columns(kind, ["o"], ["t"], "USD"):
        if c.output not in names:
            names.append(c.output)
    return names


@dataclass
class SweepJob:
    """Everything a worker needs to compute points, picklable: the sweep file and the base scenario as
    mappings (validated again in the worker), and where the scenario came from (its file name for messages
    and its folder for `profile_files`)."""

    sweep_data: Any
    sweep_file: str
    scenario_raw: dict[str, Any]
    scenario_file: str
    base_dir: str | None
    repo_root: str | None = None  # the reference-data folder the base scenario was loaded with
    key: str = ""  # a digest of the above: workers keep one context per key

    @cached_property
    def sweep(self) -> Sweep:
        return sweep_from_dict(self.sweep_data, file=self.sweep_file)


@dataclass
class SweepPlan:
    """A sweep checked against its scenario: its columns, and the memory it would need."""

    job: SweepJob
    sweep: Sweep
    base: LoadedScenario
    inputs: list[Column]
    outputs: list[Column]
    options: list[str]
    tasks: list[str]
    currency: str
    units: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[Column]:
        return [Column(POINT, "point", "int"), *self.inputs, *self.outputs, Column(ERROR, "error", "str")]

    @property
    def kind(self) -> str:
        return self.sweep.spec.run.kind

    def row_bytes(self) -> int:
        """Memory of one row while the table is gathered: about 64 bytes a cell with Python's objects."""
        return len(self.columns) * 64

    def worker_bytes(self) -> int:
        """A worker's largest point: a Monte Carlo's arrays for `uncertainty` (as `tco uncertainty` counts
        them), else about 64 MiB for the engine and the planner."""
        if self.kind == "uncertainty":
            months = self.base.resolved.finance.months
            return monte_carlo_bytes(self.sweep.spec.run.mc_samples, len(self.options), months)
        return 64 * 2**20

    def estimated_bytes(self, workers: int = 1) -> int:
        """Memory the sweep needs at its peak: every row (the table is kept until the end) plus each
        worker's largest point."""
        return self.sweep.count * self.row_bytes() + max(1, workers) * self.worker_bytes()


def point_seed(seed: int, point: int) -> int:
    """The Monte Carlo seed of one point: from the sweep's seed and the point's index alone."""
    return int(np.random.SeedSequence([seed, point]).generate_state(1, np.uint32)[0])


def _task_names(loaded: LoadedScenario) -> list[str]:
    tasks = getattr(loaded.spec.workload, "tasks", None) or []
    names = [str(getattr(t, "task", "")) for t in tasks]
    if not names and getattr(loaded.spec.workload, "task", None):
        names = [str(loaded.spec.workload.task)]
    return names


def prepare(
    sweep: Sweep, sweep_data: Any, base: LoadedScenario, *, workers: int = 1, check_memory: bool = True
) -> SweepPlan:
    """Check a sweep against its base scenario before anything runs: the outputs it keeps, that every path
    names a field the scenario format knows (the first point is validated), and the memory it needs."""
    spec = sweep.spec
    kind = spec.run.kind
    options = [o.id for o in base.spec.options]
    tasks = _task_names(base)
    currency = base.resolved.finance.currency
    cols = all_columns(kind, options, tasks, currency)
    known = outputs_of(kind)
    if spec.keep is not None:
        for i, k in enumerate(spec.keep):
            if k not in known:
                raise InputError(
                    f"unknown output {k!r} for run {kind}, expected one of {', '.join(known)}",
                    file=sweep.file,
                    field=f"keep[{i}]",
                )
        cols = [c for c in cols if c.output in spec.keep]
    inputs = [
        Column(
            a.column_name,
            "input",
            "float" if a.numeric and not a.integer else ("int" if a.integer else "str"),
            None,
            a.unit,
        )
        for a in sweep.axes
    ]
    clash = {c.name for c in inputs} & {c.name for c in cols} | ({c.name for c in inputs} & {POINT, ERROR})
    if clash:
        raise InputError(
            f"the input column {sorted(clash)[0]!r} has the name of another column, expected another `name`",
            file=sweep.file,
            field="inputs",
        )
    if kind == "plan" and not tasks:
        raise InputError("run plan needs a scenario with a workload", file=sweep.file, field="run")
    raw = base.raw
    blob = json.dumps(
        {"sweep": sweep_data, "scenario": raw, "file": base.file, "data": str(base.repo.root)},
        sort_keys=True,
        default=str,
    ).encode()
    job = SweepJob(
        sweep_data,
        sweep.file,
        raw,
        base.file,
        str(base.base_dir) if base.base_dir else None,
        str(base.repo.root),
    )
    job.key = hashlib.sha256(blob).hexdigest()
    plan = SweepPlan(job, sweep, base, inputs, cols, options, tasks, currency)
    plan.units = {c.name: c.unit for c in plan.columns if c.unit}
    _check_paths(sweep, base)
    if check_memory:
        need = plan.estimated_bytes(workers)
        limit = spec.limits.memory_bytes
        if need > limit:
            most = max(0, int((limit - max(1, workers) * plan.worker_bytes()) // plan.row_bytes()))
            raise InputError(
                f"{sweep.count:,} points x {len(plan.columns)} columns ({kind}) need about "
                f"{need / 2**30:.1f} GiB, over the limit of {limit / 2**30:.1f} GiB; expected at most about "
                f"{most:,} points (fewer values or samples), or a higher limits.memory",
                file=sweep.file,
                field="limits.memory",
            )
    return plan


def _check_paths(sweep: Sweep, base: LoadedScenario) -> None:
    """Every path must reach the scenario (a list item that exists) and name a field the format knows.

    The first point is written and validated: a path error or an unknown field is the sweep file's fault and
    refused now; any other error of that point is only that point's (it is recorded in its row)."""
    first = next(sweep.points(0, 1))
    for p, value in sweep.spec.set.items():
        try:
            apply_point(base.raw, [((p,), value)])
        except InputError as e:
            raise InputError(e.detail, file=sweep.file, field=f"set.{p}") from e
    for i, (axis, value) in enumerate(zip(sweep.axes, first[1], strict=True)):
        try:
            apply_point(base.raw, [(axis.paths, value)])
        except InputError as e:
            raise InputError(e.detail, file=sweep.file, field=f"inputs[{i}].path") from e
    try:
        scenario_from_dict(
            apply_point(base.raw, sweep.edits(first[1])),
            file=base.file,
            repo=base.repo,
            base_dir=base.base_dir,
        )
    except InputError as e:
        if "unknown field" in e.detail:
            where = next(
                (
                    i
                    for i, a in enumerate(sweep.axes)
                    if e.field and any(_same_field(e.field, p) for p in a.paths)
                ),
                None,
            )
            field_ = f"inputs[{where}].path" if where is not None else "inputs"
            raise InputError(f"the scenario has no such field ({e})", file=sweep.file, field=field_) from e


def _same_field(error_field: str, path: str) -> bool:
    tail = path.rsplit(".", 1)[-1]
    return error_field.endswith(tail)


# --------------------------------------------------------------------------- computing points


@dataclass
class PointContext:
    """A worker's view of a job, built once per process: the sweep, the base scenario and the data."""

    job: SweepJob
    sweep: Sweep
    repo: Repository
    base_dir: Path | None
    columns: list[Column]
    options: list[str]
    tasks: list[str]
    currency: str


def context(job: SweepJob) -> PointContext:
    """The context of a job (kept per process by the backends)."""
    sweep = job.sweep
    repo = load_repository(job.repo_root)
    base_dir = Path(job.base_dir) if job.base_dir else None
    base = scenario_from_dict(job.scenario_raw, file=job.scenario_file, repo=repo, base_dir=base_dir)
    plan = prepare(sweep, job.sweep_data, base, check_memory=False)
    return PointContext(
        job, sweep, base.repo, base_dir, plan.columns, plan.options, plan.tasks, plan.currency
    )


def run_block(ctx: PointContext, points: range) -> dict[str, list[Any]]:
    """The rows of a block of points, as columns (every declared column, in order)."""
    out: dict[str, list[Any]] = {c.name: [] for c in ctx.columns}
    for k, raw_values, col_values in ctx.sweep.points(points.start, points.stop):
        row = point_row(ctx, k, raw_values, col_values)
        for c in ctx.columns:
            out[c.name].append(row.get(c.name))
    return out


def point_row(
    ctx: PointContext, index: int, raw_values: Sequence[Any], col_values: Sequence[Any]
) -> dict[str, Any]:
    """One point's row: its inputs, its outputs, and its error (None when it ran)."""
    row: dict[str, Any] = {POINT: index}
    for a, v in zip(ctx.sweep.axes, col_values, strict=True):
        row[a.column_name] = v
    try:
        raw = apply_point(ctx.job.scenario_raw, ctx.sweep.edits(raw_values))
        loaded = scenario_from_dict(raw, file=ctx.job.scenario_file, repo=ctx.repo, base_dir=ctx.base_dir)
        if loaded.resolved.finance.currency != ctx.currency:
            raise InputError(
                f"this point reports in {loaded.resolved.finance.currency}, the sweep's columns are in "
                f"{ctx.currency}: expected one reporting currency"
            )
        values = _compute(ctx, loaded, index)
    except TcoError as e:
        row[ERROR] = one_line(str(e))
        return row
    except Exception as e:
        row[ERROR] = one_line(f"{type(e).__name__}: {e}")
        return row
    row.update(values)
    row[ERROR] = None
    return row


def _compute(ctx: PointContext, loaded: LoadedScenario, index: int) -> dict[str, Any]:
    kind = ctx.sweep.spec.run.kind
    cur = ctx.currency
    out: dict[str, Any] = {}
    if kind == "report":
        from tco.analysis.evaluate import evaluate

        summary = evaluate(loaded).summary
        records = {str(r["option"]): r for r in summary.to_dict(orient="records")}
        eligible = {}
        for oid in ctx.options:
            if oid not in records:
                continue
            r = records[oid]
            for keep, src, unit in REPORT_METRICS:
                out[_name(f"{oid}.{keep}", unit.format(cur=cur))] = float(r[src])
            ok = bool(r["meets_quality_floor"] and r["slo_met"] and not r["capacity_shortfall"])
            out[f"{oid}.eligible"] = ok
            if ok:
                eligible[oid] = (float(r["npv_cost"]), float(r["emissions_kg"]))
        if eligible:
            best = min(eligible, key=lambda o: (eligible[o][0], o))
            green = min(eligible, key=lambda o: (eligible[o][1], o))
            out["best.option"] = best
            out[_name("best.npv_cost", cur)] = eligible[best][0]
            out[_name("best.emissions", "kgCO2e")] = eligible[best][1]
            out["greenest.option"] = green
            out[_name("greenest.emissions", "kgCO2e")] = eligible[green][1]
            out[_name("greenest.npv_cost", cur)] = eligible[green][0]
    elif kind == "plan":
        from tco.analysis.portfolio import plan_portfolio

        res = plan_portfolio(loaded, objective=ctx.sweep.spec.run.objective)
        opt = res.optimised
        out[_name("plan.npv_cost", cur)] = float(opt.cost)
        out[_name("plan.emissions", "kgCO2e")] = float(opt.kg)
        out["plan.meets_limits"] = bool(opt.meets_limits)
        for t in opt.tasks:
            out[f"route.{t.task}"] = t.route
        if res.baseline is not None:
            out[_name("plan.saving", cur)] = float(res.baseline.cost - opt.cost)
            out[_name("baseline.npv_cost", cur)] = float(res.baseline.cost)
            out[_name("baseline.emissions", "kgCO2e")] = float(res.baseline.kg)
    else:
        from tco.analysis.tables import uncertainty_result

        run = ctx.sweep.spec.run
        mc = uncertainty_result(loaded, samples=run.mc_samples, seed=point_seed(run.seed, index))
        p90: dict[str, tuple[float, float]] = {}
        for oid, m in mc.metrics.items():
            if oid not in ctx.options:
                continue
            for keep, src, unit in UNCERTAINTY_METRICS:
                q = np.percentile(m[src], PERCENTILES)
                for p, v in zip(PERCENTILES, q, strict=True):
                    out[_name(f"{oid}.{keep}.p{p}", unit.format(cur=cur))] = float(v)
            p90[oid] = (float(np.percentile(m["npv_cost"], 90)), float(np.percentile(m["emissions_kg"], 50)))
        finite = {o: v for o, v in p90.items() if math.isfinite(v[0])}
        if finite:
            robust = min(finite, key=lambda o: (finite[o][0], o))
            out["robust.option"] = robust
            out[_name("robust.npv_cost.p90", cur)] = finite[robust][0]
            out[_name("robust.emissions.p50", "kgCO2e")] = finite[robust][1]
    return out


def _name(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit else name


Rows = dict[str, list[Any]]


class WorkerLost(TcoError, RuntimeError):
    """A worker process died while it held blocks (killed, out of memory); finished blocks are kept."""


_CONTEXTS: dict[str, PointContext] = {}  # per process: the context of the job being run here


def job_context(job: SweepJob) -> PointContext:
    """The context of `job` in this process, built on its first block and kept for the job's later ones."""
    ctx = _CONTEXTS.get(job.key)
    if ctx is None:
        _CONTEXTS.clear()  # one job at a time per worker
        ctx = _CONTEXTS[job.key] = context(job)
    return ctx


def compute_block(job: SweepJob, start: int, stop: int) -> tuple[int, int, Rows]:
    """One block's rows: what every backend's workers run."""
    return start, stop, run_block(job_context(job), range(start, stop))
