"""Edits of a scenario as written: pure functions that take a scenario's raw mapping and return an edited copy.

Every edit writes strings with units, exactly as a user would write them in the YAML (`"3500000 query/day"`,
`"35 %"`), so the edited mapping is a scenario file: `tco.scenario.load.scenario_from_dict` validates it
again, and `dump_yaml` of it reproduces the same numbers with `tco report`. The app's what-if controls
call these; so does the region view (`tco.analysis.regions`), which moves one option across regions.

    >>> from tco.scenario.edit import set_queries_per_day, set_task_shares
    >>> raw = set_queries_per_day(loaded.raw, 3_500_000)
    >>> raw = set_task_shares(raw, {"sentiment": 40.0})   # the last share-based task takes the rest
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from typing import Any

from tco.errors import InputError
from tco.scenario.grids import expand_grids

Raw = dict[str, Any]

PERCENT = 100.0  # % per unit fraction
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


def _put(entry: dict[str, Any], key: str, value: Any | None) -> None:
    """Write `key` into `entry` as written (a number with its unit), or remove it for None (the default again)."""
    if value is None:
        entry.pop(key, None)
    else:
        entry[key] = value


def option_entry(raw: Raw, option_id: str) -> dict[str, Any]:
    """The mapping of option `option_id` inside `raw` (the same object: edits to it edit `raw`). An option
    of an `option_grids` entry is edited as written out: the grids are expanded into `options` in `raw`
    (the options and their order stay the ones the grids give, tco.scenario.grids)."""
    for opt in raw.get("options") or []:
        if isinstance(opt, dict) and opt.get("id") == option_id:
            return opt
    if raw.get("option_grids"):
        raw["options"] = expand_grids(raw)["options"]
        del raw["option_grids"]
        return option_entry(raw, option_id)
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
    option_entry(out, option_id)
    out["baseline"] = option_id
    return out


# --------------------------------------------------------------------------- per-option edits


def set_option_region(raw: Mapping[str, Any], option_id: str, region: str) -> Raw:
    """Move an option to another region; its own grid-intensity and price overrides are dropped."""
    out = _copy(raw)
    opt = option_entry(out, option_id)
    opt["region"] = region
    for f in SITE_OVERRIDES:
        opt.pop(f, None)
    return out


def set_option_grid_intensity(raw: Mapping[str, Any], option_id: str, g_per_kwh: float | None) -> Raw:
    """Override the region's grid intensity, in gCO2e/kWh (None: use the region's again)."""
    out = _copy(raw)
    text = None if g_per_kwh is None else f"{number_text(g_per_kwh)} gCO2e/kWh"
    _put(option_entry(out, option_id), "grid_intensity", text)
    return out


def set_option_electricity_price(
    raw: Mapping[str, Any], option_id: str, price_per_kwh: float | None, currency: str | None = None
) -> Raw:
    """Override the region's electricity price, in `currency` (default: reporting) per kWh; None resets."""
    out = _copy(raw)
    text = None if price_per_kwh is None else f"{number_text(price_per_kwh)} {currency or _currency(raw)}/kWh"
    _put(option_entry(out, option_id), "electricity_price", text)
    return out


def set_option_profile(raw: Mapping[str, Any], option_id: str, profile: str) -> Raw:
    """Serve another model profile (which fixes model and hardware); a pinned batch size is dropped."""
    out = _copy(raw)
    opt = option_entry(out, option_id)
    if opt.get("deployment") == "api":
        raise InputError(f"option {option_id!r} is an API option; set its `api` instead", field="options")
    opt["profile"] = profile
    opt.pop("batch_size", None)
    return out


def set_option_api(raw: Mapping[str, Any], option_id: str, api: str) -> Raw:
    """Use another API offering for an API option."""
    out = _copy(raw)
    opt = option_entry(out, option_id)
    if opt.get("deployment") != "api":
        raise InputError(
            f"option {option_id!r} is not an API option; set its `profile` instead", field="options"
        )
    opt["api"] = api
    return out


def set_option_fleet(raw: Mapping[str, Any], option_id: str, accelerators: int | None) -> Raw:
    """Fix the fleet to a number of accelerators, or auto-size it from peak load (None)."""
    out = _copy(raw)
    opt = option_entry(out, option_id)
    opt["fleet"] = "auto" if accelerators is None else {"accelerators": int(accelerators)}
    return out


def set_option_utilisation(raw: Mapping[str, Any], option_id: str, percent: float) -> Raw:
    """Target utilisation of the fleet at peak, in %."""
    out = _copy(raw)
    option_entry(out, option_id)["utilisation"] = f"{number_text(percent)} %"
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
    current = {t: round(_task_share(_task(out, t)) * PERCENT, 9) for t in free}
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
    if not isinstance(v, int | float | str):
        raise InputError(f"expected a share such as 55 % or 0.55, got {v!r}", field="workload.tasks")
    return float(v)


def set_task_quality_floor(raw: Mapping[str, Any], task: str, floor: float | None) -> Raw:
    """Set one task's quality floor (a fraction in its metric; None removes it)."""
    out = _copy(raw)
    _put(_task(out, task), "quality_floor", None if floor is None else number_text(floor))
    return out


def set_plan_objective(raw: Mapping[str, Any], objective: str) -> Raw:
    """Set what the planner minimises, `plan.objective`: cost, cost-with-carbon or emissions (validated with
    the scenario)."""
    out = _copy(raw)
    plan = out.get("plan")
    out["plan"] = {**(plan if isinstance(plan, dict) else {}), "objective": objective}
    return out


# --------------------------------------------------------------------------- money levers (the app's per-option finance)


def set_tax_rate(raw: Mapping[str, Any], percent: float) -> Raw:
    """Corporate income tax rate, in %: the after-tax view's tax saving on deductible costs."""
    out = _copy(raw)
    out["tax_rate"] = f"{number_text(percent)} %"
    return out


def set_option_hardware_price(raw: Mapping[str, Any], option_id: str, price: float, currency: str) -> Raw:
    """A quote for one accelerator of an on-prem option (`hardware_price`), in `currency`: it replaces the
    data's purchase price (the host's share is added to it as before)."""
    out = _copy(raw)
    option_entry(out, option_id)["hardware_price"] = f"{number_text(price)} {currency}"
    return out


def set_option_cloud_price(raw: Mapping[str, Any], option_id: str, price: float | None, currency: str) -> Raw:
    """A cloud option's own rent per accelerator-hour (`cloud_price`), in `currency`, in place of its tier's
    price; None removes it (the tier's price again)."""
    out = _copy(raw)
    _put(
        option_entry(out, option_id),
        "cloud_price",
        None if price is None else f"{number_text(price)} {currency}/h",
    )
    return out


def set_option_api_price(
    raw: Mapping[str, Any],
    option_id: str,
    input_per_m: float | None,
    output_per_m: float | None,
    currency: str,
) -> Raw:
    """An API option's own price per million input and output tokens (`api_price`), in `currency`, in place
    of its offering's; None for a side keeps the offering's price for it."""
    out = _copy(raw)
    quote = {
        side: f"{number_text(v)} {currency}/Mtoken"
        for side, v in (("input", input_per_m), ("output", output_per_m))
        if v is not None
    }
    _put(option_entry(out, option_id), "api_price", quote or None)
    return out


def set_option_lifetime(raw: Mapping[str, Any], option_id: str, months: float) -> Raw:
    """Service life of an on-prem option's units, in months."""
    out = _copy(raw)
    option_entry(out, option_id)["lifetime"] = f"{number_text(months)} months"
    return out


def set_option_end_value(raw: Mapping[str, Any], option_id: str, end_value: str) -> Raw:
    """Credit for on-prem units still in service at the end: `book`, `resale` or `none`."""
    out = _copy(raw)
    option_entry(out, option_id)["end_value"] = end_value
    return out


def set_option_financing(
    raw: Mapping[str, Any],
    option_id: str,
    financing: str,
    rate_percent: float | None = None,
    term_months: float | None = None,
) -> Raw:
    """How an on-prem option's units are paid for: `cash`, or a `loan` at `rate_percent` per year over
    `term_months`, or a `lease` at `rate_percent` (a lease runs for the units' lifetime: no term of its own).
    Cash drops the rate and term."""
    out = _copy(raw)
    opt = option_entry(out, option_id)
    opt["financing"] = financing
    if financing == "cash":
        opt.pop("financing_rate", None)
        opt.pop("financing_term", None)
        return out
    if rate_percent is not None:
        opt["financing_rate"] = f"{number_text(rate_percent)} %"
    if financing == "lease":
        opt.pop("financing_term", None)
    elif term_months is not None:
        opt["financing_term"] = f"{number_text(term_months)} months"
    return out


def set_option_cloud_tier(raw: Mapping[str, Any], option_id: str, tier: str) -> Raw:
    """The market (price tier) a cloud option rents in, e.g. `hyperscaler` or `gpu-cloud`."""
    out = _copy(raw)
    opt = option_entry(out, option_id)
    opt["cloud_tier"] = tier
    return out


def set_option_pricing(raw: Mapping[str, Any], option_id: str, pricing: str) -> Raw:
    """How a cloud option rents: `on-demand`, `committed` or `spot` (tco.scenario.resolve.prices picks the
    tier of its market that matches)."""
    out = _copy(raw)
    opt = option_entry(out, option_id)
    opt["pricing"] = pricing
    return out
