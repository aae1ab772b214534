"""What-if edits: pure functions that take a scenario's raw mapping and return an edited copy.

The app never changes numbers itself: every control edits the raw scenario (strings with units, exactly
as a user would write them in YAML), which is validated again with `tco.api.scenario_from_dict` and
evaluated with `tco.api.evaluate`. The downloaded YAML (`LoadedScenario.to_yaml()`) is therefore the
what-if state itself and reproduces the screen with `tco report`.

Also here: the current values of the controls read back from a loaded scenario (`scenario_controls`,
`option_controls`), the region view (`region_sweep`), and the number formatting shared by the app and
its tests.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from tco.engine.constants import KG_PER_T
from tco.errors import InputError, TcoError
from tco.presentation.format import ratio

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results
    from tco.engine.inputs import OptionInputs
    from tco.scenario.load import LoadedScenario

Raw = dict[str, Any]

PERCENT = 100.0  # % per unit fraction
G_PER_KG = 1000.0  # gCO2e per kgCO2e
SITE_OVERRIDES = ("grid_intensity", "electricity_price")  # option fields that override the region's values


# --------------------------------------------------------------------------- writing values


def number_text(value: float) -> str:
    """Shortest text that reads back as the same float ("2000000", "0.125", "1e-07")."""
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"expected a finite number, got {value!r}")
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _copy(raw: Mapping[str, Any]) -> Raw:
    return copy.deepcopy(dict(raw))


def _option(raw: Raw, option_id: str) -> dict[str, Any]:
    for opt in raw.get("options") or []:
        if isinstance(opt, dict) and opt.get("id") == option_id:
            return opt
    ids = [str(o.get("id")) for o in raw.get("options") or [] if isinstance(o, dict)]
    raise InputError(f"no option {option_id!r}, expected one of {', '.join(ids)}", field="options")


def _workload(raw: Raw) -> dict[str, Any]:
    w = raw.get("workload")
    if not isinstance(w, dict):
        raise InputError("missing, this field is required", field="workload")
    return w


def _defaults(raw: Raw) -> dict[str, Any]:
    d = raw.get("defaults")
    if not isinstance(d, dict):
        d = {}
        raw["defaults"] = d
    return d


def _currency(raw: Mapping[str, Any]) -> str:
    cur = raw.get("currency")
    if isinstance(cur, Mapping):
        return str(cur.get("reporting", "USD"))
    return "USD"


# --------------------------------------------------------------------------- scenario-wide edits


def set_queries_per_day(raw: Mapping[str, Any], queries_per_day: float) -> Raw:
    """Workload volume, in queries per day."""
    out = _copy(raw)
    _workload(out)["queries_per_day"] = f"{number_text(queries_per_day)} query/day"
    return out


def set_annual_growth(raw: Mapping[str, Any], percent: float) -> Raw:
    """Growth of the workload, in % per year."""
    out = _copy(raw)
    _workload(out)["annual_growth"] = f"{number_text(percent)} %"
    return out


def set_horizon(raw: Mapping[str, Any], months: int) -> Raw:
    """Length of the analysis, in whole months."""
    out = _copy(raw)
    out["horizon"] = f"{int(months)} months"
    return out


def set_discount_rate(raw: Mapping[str, Any], percent: float) -> Raw:
    """Discount rate, in % per year."""
    out = _copy(raw)
    out["discount_rate"] = f"{number_text(percent)} %"
    return out


def set_carbon_price(raw: Mapping[str, Any], price_per_t: float, currency: str | None = None) -> Raw:
    """Carbon price, in `currency` (default: the reporting currency) per tCO2e."""
    out = _copy(raw)
    out["carbon_price"] = f"{number_text(price_per_t)} {currency or _currency(raw)}/tCO2e"
    return out


def set_site_default(
    raw: Mapping[str, Any], field: str, text: str, *, deployments: Iterable[str] = ()
) -> Raw:
    """Set a site field (`pue`, `electricity_escalation`, ...) in `defaults` for every option.

    Options of the given `deployments` that set the field themselves lose their own value, so the one
    control applies to all of them.
    """
    out = _copy(raw)
    _defaults(out)[field] = text
    wanted = set(deployments)
    for opt in out.get("options") or []:
        if isinstance(opt, dict) and opt.get("deployment") in wanted:
            opt.pop(field, None)
    return out


def set_pue(raw: Mapping[str, Any], pue: float) -> Raw:
    """Power usage effectiveness of every on-prem option (dimensionless, >= 1), set on each of them.

    Cloud options keep theirs (the provider's data centre), so `defaults.pue` is left alone.
    """
    out = _copy(raw)
    for opt in out.get("options") or []:
        if isinstance(opt, dict) and opt.get("deployment") == "on-prem":
            opt["pue"] = number_text(pue)
    return out


def set_electricity_escalation(raw: Mapping[str, Any], percent: float) -> Raw:
    """Yearly change of the electricity price of every on-prem option, in % per year."""
    return set_site_default(
        raw, "electricity_escalation", f"{number_text(percent)} %", deployments=("on-prem",)
    )


def set_baseline(raw: Mapping[str, Any], option_id: str) -> Raw:
    """The option the others are compared with."""
    out = _copy(raw)
    _option(out, option_id)
    out["baseline"] = option_id
    return out


# --------------------------------------------------------------------------- per-option edits


def set_option_region(raw: Mapping[str, Any], option_id: str, region: str) -> Raw:
    """Move an option to another region; its own grid-intensity and price overrides are dropped."""
    out = _copy(raw)
    opt = _option(out, option_id)
    opt["region"] = region
    for f in SITE_OVERRIDES:
        opt.pop(f, None)
    return out


def set_option_grid_intensity(raw: Mapping[str, Any], option_id: str, g_per_kwh: float | None) -> Raw:
    """Override the region's grid intensity, in gCO2e/kWh (None: use the region's again)."""
    out = _copy(raw)
    opt = _option(out, option_id)
    if g_per_kwh is None:
        opt.pop("grid_intensity", None)
    else:
        opt["grid_intensity"] = f"{number_text(g_per_kwh)} gCO2e/kWh"
    return out


def set_option_electricity_price(
    raw: Mapping[str, Any], option_id: str, price_per_kwh: float | None, currency: str | None = None
) -> Raw:
    """Override the region's electricity price, in `currency` (default: reporting) per kWh; None resets."""
    out = _copy(raw)
    opt = _option(out, option_id)
    if price_per_kwh is None:
        opt.pop("electricity_price", None)
    else:
        opt["electricity_price"] = f"{number_text(price_per_kwh)} {currency or _currency(raw)}/kWh"
    return out


def set_option_profile(raw: Mapping[str, Any], option_id: str, profile: str) -> Raw:
    """Serve another model profile (which fixes model and hardware); a pinned batch size is dropped."""
    out = _copy(raw)
    opt = _option(out, option_id)
    if opt.get("deployment") == "api":
        raise InputError(f"option {option_id!r} is an API option; set its `api` instead", field="options")
    opt["profile"] = profile
    opt.pop("batch_size", None)
    return out


def set_option_api(raw: Mapping[str, Any], option_id: str, api: str) -> Raw:
    """Use another API offering for an API option."""
    out = _copy(raw)
    opt = _option(out, option_id)
    if opt.get("deployment") != "api":
        raise InputError(
            f"option {option_id!r} is not an API option; set its `profile` instead", field="options"
        )
    opt["api"] = api
    return out


def set_option_fleet(raw: Mapping[str, Any], option_id: str, accelerators: int | None) -> Raw:
    """Fix the fleet to a number of accelerators, or auto-size it from peak load (None)."""
    out = _copy(raw)
    opt = _option(out, option_id)
    opt["fleet"] = "auto" if accelerators is None else {"accelerators": int(accelerators)}
    return out


def set_option_utilisation(raw: Mapping[str, Any], option_id: str, percent: float) -> Raw:
    """Target utilisation of the fleet at peak, in %."""
    out = _copy(raw)
    _option(out, option_id)["utilisation"] = f"{number_text(percent)} %"
    return out


# --------------------------------------------------------------------------- task portfolio (workload.tasks)


def _tasks(raw: Raw) -> list[dict[str, Any]]:
    tasks = _workload(raw).get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise InputError("the scenario lists no tasks, expected workload.tasks", field="workload.tasks")
    return [t for t in tasks if isinstance(t, dict)]


def _task(raw: Raw, task: str) -> dict[str, Any]:
    tasks = _tasks(raw)
    for t in tasks:
        if t.get("task") == task:
            return t
    names = ", ".join(str(t.get("task")) for t in tasks)
    raise InputError(f"no task {task!r}, expected one of {names}", field="workload.tasks")


def share_tasks(raw: Mapping[str, Any]) -> list[str]:
    """Tasks whose traffic is a share of workload.queries_per_day (not their own queries per day), in order."""
    return [str(t.get("task")) for t in _tasks(_copy(raw)) if t.get("share") is not None]


def set_task_shares(raw: Mapping[str, Any], percents: Mapping[str, float]) -> Raw:
    """Set the shares (%) of every share-based task but the last; the last takes the rest, so the shares
    stay summing to 100 %. More than 100 % in all, a negative share or a task that is not share-based is
    an error (one line)."""
    out = _copy(raw)
    names = share_tasks(out)
    if len(names) < 2:
        raise InputError("fewer than two tasks with a share: nothing to rebalance", field="workload.tasks")
    *free, last = names
    unknown = [t for t in percents if t not in free]
    if unknown:
        raise InputError(
            f"cannot set the share of {', '.join(unknown)}, expected one of {', '.join(free)} "
            f"(the last, {last}, takes what the others leave)",
            field="workload.tasks",
        )
    current = {t: _pct(float(_task_share(_task(out, t)))) for t in free}
    current.update({t: float(v) for t, v in percents.items()})
    if any(v < 0 or not math.isfinite(v) for v in current.values()):
        raise InputError("a task's share must be between 0 % and 100 %", field="workload.tasks")
    total = sum(current.values())
    if total > PERCENT + 1e-9:
        raise InputError(
            f"the tasks' shares add up to {total:.4g} %, expected at most 100 % (the last task, {last}, takes "
            "the rest)",
            field="workload.tasks",
        )
    for t, v in current.items():
        _task(out, t)["share"] = f"{number_text(round(v, 9))} %"
    _task(out, last)["share"] = f"{number_text(round(PERCENT - total, 9))} %"
    return out


def _task_share(t: Mapping[str, Any]) -> float:
    """A task's share as a fraction (the raw value may be `55 %`, `0.55` or a number)."""
    v = t.get("share")
    if isinstance(v, str) and v.strip().endswith("%"):
        return float(v.strip()[:-1]) / PERCENT
    return float(v)  # type: ignore[arg-type]


def set_task_quality_floor(raw: Mapping[str, Any], task: str, floor: float | None) -> Raw:
    """Set one task's quality floor (a fraction in its metric; None removes it)."""
    out = _copy(raw)
    t = _task(out, task)
    if floor is None:
        t.pop("quality_floor", None)
    else:
        t["quality_floor"] = number_text(floor)
    return out


@dataclass(frozen=True)
class TaskControls:
    """One task's control values: its share (%, None when it has its own queries per day) and floor."""

    task: str
    share_pct: float | None
    quality_floor: float | None


def task_controls(loaded: LoadedScenario) -> list[TaskControls]:
    """Current values of the task controls (empty without workload.tasks)."""
    return [
        TaskControls(
            task=t.task,
            share_pct=None if t.share is None else _pct(t.share),
            quality_floor=t.quality_floor,
        )
        for t in loaded.spec.workload.tasks or []
    ]


# --------------------------------------------------------------------------- reading the controls back


@dataclass(frozen=True)
class ScenarioControls:
    """Scenario-wide control values of a loaded scenario, in the units the controls show."""

    queries_per_day: float  # query/day
    annual_growth_pct: float  # %/year
    horizon_months: int
    discount_rate_pct: float  # %/year
    carbon_price: float  # carbon_price_currency per tCO2e
    carbon_price_currency: str
    pue: float | None  # of the first on-prem option (None: no on-prem option)
    electricity_escalation_pct: float | None  # %/year, of the first on-prem option
    baseline: str
    currency: str  # reporting currency


@dataclass(frozen=True)
class OptionControls:
    """Per-option control values, in the units the controls show."""

    id: str
    name: str
    deployment: str
    region: str
    profile: str | None
    hardware: str | None
    api: str | None
    fleet_auto: bool
    fleet_accelerators: int | None  # fixed fleet size, None when auto
    utilisation_pct: float
    grid_intensity: float  # gCO2e/kWh, as the engine uses it
    grid_intensity_inherited: float  # gCO2e/kWh without the option's own override
    electricity_price: float  # price_currency per kWh
    electricity_price_inherited: float  # price_currency per kWh without the option's own override
    price_currency: str


def _pct(fraction: float) -> float:
    return round(float(fraction) * PERCENT, 9)


def _inputs(loaded: LoadedScenario) -> dict[str, OptionInputs]:
    return {o.id: o for o in loaded.resolved.options}  # type: ignore[attr-defined]


def scenario_controls(loaded: LoadedScenario) -> ScenarioControls:
    """Current values of the scenario-wide controls."""
    spec = loaded.spec
    options = list(_inputs(loaded).values())
    on_prem = [o for o in options if o.deployment == "on-prem"]
    cp = spec.carbon_price
    return ScenarioControls(
        queries_per_day=float(spec.workload.queries_per_day),
        annual_growth_pct=_pct(spec.workload.annual_growth),
        horizon_months=int(spec.horizon),
        discount_rate_pct=_pct(spec.discount_rate),
        carbon_price=float(cp.value) if cp is not None else 0.0,
        carbon_price_currency=cp.currency if cp is not None else spec.currency.reporting,
        pue=float(on_prem[0].pue) if on_prem else None,
        electricity_escalation_pct=_pct(on_prem[0].electricity_escalation) if on_prem else None,
        baseline=loaded.resolved.baseline or spec.options[0].id,  # type: ignore[attr-defined]
        currency=spec.currency.reporting,
    )


def option_controls(loaded: LoadedScenario, option_id: str) -> OptionControls:
    """Current values of one option's controls (region values in the region's own currency)."""
    spec = loaded.spec
    opt = next((o for o in spec.options if o.id == option_id), None)
    if opt is None:
        raise InputError(f"no option {option_id!r}", field="options")
    inputs = _inputs(loaded)[option_id]
    region_id = str(inputs.extra.get("region"))
    region = loaded.repo.regions[region_id]
    d = spec.defaults
    grid_inherited = d.grid_intensity if d.grid_intensity is not None else region.grid.intensity
    grid = opt.grid_intensity if opt.grid_intensity is not None else grid_inherited
    price_inherited = d.electricity_price if d.electricity_price is not None else region.electricity.price
    price = opt.electricity_price if opt.electricity_price is not None else price_inherited
    if price.currency != price_inherited.currency:  # show both in the override's currency only if they agree
        price_inherited_value = math.nan
    else:
        price_inherited_value = float(price_inherited.value)
    profile = loaded.repo.models.get(opt.profile) if opt.profile else None
    fleet = opt.fleet
    return OptionControls(
        id=opt.id,
        name=opt.name or opt.id,
        deployment=opt.deployment,
        region=region_id,
        profile=opt.profile,
        hardware=profile.hardware if profile is not None else None,
        api=opt.api,
        fleet_auto=fleet == "auto",
        fleet_accelerators=None if isinstance(fleet, str) else int(fleet.accelerators),
        utilisation_pct=_pct(inputs.utilisation),
        grid_intensity=float(grid),
        grid_intensity_inherited=float(grid_inherited),
        electricity_price=float(price.value),
        electricity_price_inherited=price_inherited_value,
        price_currency=price.currency,
    )


def inherited_site_values(loaded: LoadedScenario, region_id: str) -> tuple[float, float, str]:
    """Grid intensity (gCO2e/kWh), electricity price and its currency (per kWh) an option in `region_id`
    gets without overrides of its own: the scenario's `defaults` if they set them, else the region's."""
    region = loaded.repo.regions.get(region_id)
    if region is None:
        raise InputError(
            f"unknown region {region_id!r}, expected one of {', '.join(sorted(loaded.repo.regions))}"
        )
    d = loaded.spec.defaults
    grid = d.grid_intensity if d.grid_intensity is not None else region.grid.intensity
    price = d.electricity_price if d.electricity_price is not None else region.electricity.price
    return float(grid), float(price.value), price.currency


def fleet_size_estimate(loaded: LoadedScenario, option_id: str) -> int:
    """Accelerators an auto-sized fleet of the option peaks at: the starting value of a fixed fleet."""
    from tco.analysis.evaluate import evaluate

    peak = float(evaluate(loaded).summary.loc[option_id, "accelerators_peak"])  # type: ignore[arg-type]
    return max(1, math.ceil(peak - 1e-9))


# --------------------------------------------------------------------------- region view

REGION_COLUMNS = [
    "region",
    "region_name",
    "grid_intensity_g_per_kwh",
    "electricity_price",
    "tco_cost",
    "npv_cost",
    "levelised_cost_per_1k_queries",
    "g_per_query",
    "emissions_kg",
    "current",
]


def region_sweep(
    loaded: LoadedScenario, option_id: str, regions: Iterable[str] | None = None
) -> pd.DataFrame:
    """The same option evaluated in every region (or the given ones), everything else unchanged.

    Each region brings its own grid intensity and electricity price: the option's overrides of those are
    dropped (and scenario-wide `defaults` overrides are replaced by the region's values). One row per
    region, columns REGION_COLUMNS; attrs["units"] names the units and attrs["option"] the option.
    Regions the option cannot be evaluated in (for instance a missing exchange rate) are left out and
    listed in attrs["skipped"] with the reason.
    """
    from tco.analysis.evaluate import evaluate
    from tco.scenario.load import scenario_from_dict

    current = option_controls(loaded, option_id).region
    ids = list(regions) if regions is not None else sorted(loaded.repo.regions)
    rows = []
    skipped: dict[str, str] = {}
    units: dict[str, str] = {}
    defaults = loaded.raw.get("defaults") if isinstance(loaded.raw.get("defaults"), Mapping) else {}
    for rid in ids:
        raw = set_option_region(loaded.raw, option_id, rid)
        region = loaded.repo.regions.get(rid)
        if region is None:
            skipped[rid] = "unknown region"
            continue
        opt = _option(raw, option_id)
        if defaults and "grid_intensity" in defaults:
            opt["grid_intensity"] = f"{number_text(region.grid.intensity)} gCO2e/kWh"
        if defaults and "electricity_price" in defaults:
            p = region.electricity.price
            opt["electricity_price"] = f"{number_text(p.value)} {p.currency}/kWh"
        try:
            res = evaluate(
                scenario_from_dict(raw, file=loaded.file, repo=loaded.repo, base_dir=loaded.base_dir)
            )
        except TcoError as e:
            skipped[rid] = str(e)
            continue
        row: dict[Any, Any] = res.summary.loc[option_id].to_dict()
        inputs = {o.id: o for o in res.resolved.options}[option_id]
        units = res.units
        rows.append(
            {
                "region": rid,
                "region_name": region.name,
                "grid_intensity_g_per_kwh": float(inputs.grid_intensity_kg_per_kwh) * G_PER_KG,
                "electricity_price": float(inputs.electricity_price),
                "tco_cost": float(row["tco_cost"]),
                "npv_cost": float(row["npv_cost"]),
                "levelised_cost_per_1k_queries": float(row["levelised_cost_per_1k_queries"]),
                "g_per_query": float(row["g_per_query"]),
                "emissions_kg": float(row["emissions_kg"]),
                "current": rid == current,
            }
        )
    out = pd.DataFrame(rows, columns=REGION_COLUMNS)
    out.attrs = {
        "units": {**units, "grid_intensity_g_per_kwh": "gCO2e/kWh"},
        "option": option_id,
        "deployment": option_controls(loaded, option_id).deployment,
        "skipped": skipped,
    }
    return out


# --------------------------------------------------------------------------- display formatting


def format_number(value: float, digits: int = 3) -> str:
    """A plain quantity with `digits` significant figures and thousands separators ("2,864", "0.000989")."""
    v = float(value)
    if math.isnan(v):
        return "n/a"
    if v.is_integer() and abs(v) < 1e15:
        return f"{v:,.0f}"
    a = abs(v)
    if a >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    decimals = digits - 1 - math.floor(math.log10(a))
    return f"{v:,.{decimals}f}"


def format_ratio(value: float) -> str:
    """A ratio to the baseline in the project's one notation (tco.presentation.format.ratio): `×1.91`, `×0.010`."""
    return ratio(value)


@dataclass(frozen=True)
class Headline:
    """One headline figure of one option, formatted for the page."""

    key: str  # summary column
    label: str
    value: str
    ratio: str | None  # to the baseline, when it means something
    direction: str | None = None  # "better", "worse" or "same" than the baseline (lower is better)
    help: str | None = None  # what the number is, shown on hover


def headlines(results: Results, option_id: str) -> list[Headline]:
    """The headline figures of one option, as the app shows them (and the tests read them)."""
    s: dict[Any, Any] = results.summary.loc[option_id].to_dict()
    cur = results.currency
    is_base = bool(s["is_baseline"])

    def ratio(col: str) -> str | None:
        return None if is_base or col not in s else format_ratio(s[col])

    def direction(col: str) -> str | None:
        if is_base or col not in s or pd.isna(s[col]):
            return None
        r = float(s[col])
        return "same" if math.isclose(r, 1.0, rel_tol=5e-3) else ("better" if r < 1.0 else "worse")

    quality = s["quality"]
    q_text = "n/a" if pd.isna(quality) else f"{float(quality):.3f}"
    gpus = "API" if s["deployment"] == "api" else format_number(s["accelerators_peak"])
    return [
        Headline(
            "tco_cost",
            f"TCO ({cur})",
            format_number(s["tco_cost"]),
            ratio("cost_ratio_to_baseline"),
            direction("cost_ratio_to_baseline"),
        ),
        Headline(
            "levelised_cost_per_1k_queries",
            f"Levelised {cur}/1k queries",
            format_number(s["levelised_cost_per_1k_queries"]),
            ratio("levelised_cost_ratio_to_baseline"),
            direction("levelised_cost_ratio_to_baseline"),
        ),
        Headline(
            "g_per_query",
            "gCO2e/query",
            format_number(s["g_per_query"]),
            ratio("g_per_query_ratio_to_baseline"),
            direction("g_per_query_ratio_to_baseline"),
        ),
        Headline(
            "emissions_kg",
            "Total tCO2e",
            format_number(float(s["emissions_kg"]) / KG_PER_T),
            ratio("emissions_ratio_to_baseline"),
            direction("emissions_ratio_to_baseline"),
        ),
        Headline("accelerators_peak", "GPUs needed (peak)", gpus, None),
        Headline(
            "quality",
            "Quality",
            q_text,
            None,
            help=str(s["quality_metric"] or "no quality score for this task"),
        ),
    ]


def workload_line(loaded: LoadedScenario) -> str:
    """The workload as the page computes it now (what-if edits included): `5,000,000 queries/day, ...`."""
    spec = loaded.spec
    w = spec.workload
    return (
        f"{format_number(float(w.queries_per_day))} {w.task} queries/day, growing "
        f"{_pct(w.annual_growth):g} %/year, over {int(spec.horizon)} months from {spec.start}"
    )
