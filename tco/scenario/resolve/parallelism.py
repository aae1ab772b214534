"""Step: which parallel configuration of its profile a hosted option runs (`parallelism`).

A profile may hold several configurations of one model on one GPU type (TP1 and TP2, TP8 and TP8-EP8...).
An option names one (`parallelism: tp2`), or says `parallelism: best` (the default for a profile with
several): each configuration is resolved and priced by the engine for the option's workload, and the one
with the lowest net present cost among those meeting every latency target and the site's power budget is
kept (none does: the lowest net present cost), its assumptions with a row comparing them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tco.engine.core import simulate
from tco.engine.formulas import provisioned_power_kw
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.errors import InputError
from tco.scenario.resolve.context import Context, lookup
from tco.scenario.resolve.hosted import resolve_hosted
from tco.scenario.schema import ModelProfile, Option

BEST = "best"


@dataclass(frozen=True)
class Candidate:
    key: str
    inputs: OptionInputs | None
    npv: float
    rows: list[dict[str, object]]
    why_not: str = ""


def resolve_serving(
    ctx: Context,
    opt: Option,
    i: int,
    carbon_price_kg: float,
    workload: WorkloadInputs,
    finance: FinanceInputs,
) -> OptionInputs:
    """Engine inputs of a hosted option, in the configuration its `parallelism` asks for."""
    profile = lookup(ctx, ctx.repo.models, opt.profile, f"options[{i}].profile", "model profile")
    keys = profile.configuration_keys()
    choice = opt.parallelism
    where = f"options[{i}].parallelism"
    if choice is not None and choice != BEST and choice not in keys:
        raise ctx.error(
            where,
            f"profile {profile.id!r} has no configuration {choice!r}, expected one of {', '.join(keys)} or best",
        )
    if len(keys) == 1 or (choice is not None and choice != BEST):
        key = keys[0] if len(keys) == 1 else str(choice)
        inputs = resolve_hosted(ctx, opt, i, carbon_price_kg, profile.configuration(key))
        if profile.configurations is not None:
            ctx.rec.add(opt.id, "parallelism", key, "", f"scenario option {opt.id}", None)
        return _named(inputs, key)
    return _best(ctx, opt, i, carbon_price_kg, profile, keys, workload, finance)


def _named(inputs: OptionInputs, key: str) -> OptionInputs:
    return inputs.with_values(extra={**inputs.extra, "configuration": key})


def _best(
    ctx: Context,
    opt: Option,
    i: int,
    carbon_price_kg: float,
    profile: ModelProfile,
    keys: list[str],
    workload: WorkloadInputs,
    finance: FinanceInputs,
) -> OptionInputs:
    rows = ctx.rec.rows
    mark = len(rows)
    found: list[Candidate] = []
    for key in keys:
        try:
            inputs = resolve_hosted(ctx, opt, i, carbon_price_kg, profile.configuration(key))
        except InputError as e:  # a fixed fleet too small for it, say: not a candidate
            found.append(Candidate(key, None, math.inf, [], e.detail if hasattr(e, "detail") else str(e)))
            del rows[mark:]
            continue
        sim = simulate(inputs, workload, finance)
        npv = float(np.asarray(sim["total_cost_discounted"]).sum(axis=-1).reshape(-1)[0])
        why = "" if inputs.slo_met else "misses a latency target"
        if bool(np.asarray(sim["capacity_shortfall"]).any()):
            why = "a fixed fleet too small for the load"
        budget = inputs.extra.get("power_budget_kw")
        if budget is not None and not math.isnan(budget):
            peak = np.asarray(sim["accelerators"]).max(axis=-1)
            kw = float(
                np.max(provisioned_power_kw(peak, inputs.max_power_kw, inputs.host_power_kw, inputs.pue))
            )
            if kw > budget * (1 + 1e-12):
                why = f"needs {kw:,.1f} kW of the site's {budget:,.1f} kW power budget"
        found.append(Candidate(key, inputs, npv, rows[mark:], why))
        del rows[mark:]
    usable = [c for c in found if c.inputs is not None]
    if not usable:
        raise ctx.error(
            f"options[{i}].parallelism", f"no configuration of {profile.id!r} fits: {found[0].why_not}"
        )
    eligible = [c for c in usable if not c.why_not]
    pick = min(
        eligible or usable, key=lambda c: (c.npv, c.inputs.accelerators_per_replica if c.inputs else 0)
    )
    rows.extend(pick.rows)
    compared = "; ".join(
        f"{c.key}: {c.npv:,.0f} {ctx.cur}" + (f" ({c.why_not})" if c.why_not else "")
        if c.inputs is not None
        else f"{c.key}: not possible ({c.why_not})"
        for c in found
    )
    basis = "scenario option" if opt.parallelism == BEST else "slm-tco default for a profile with several"
    ctx.rec.add(
        opt.id,
        "parallelism",
        pick.key,
        "",
        f"{basis}: best, the lowest net present cost "
        f"{'meeting every latency target and power budget' if eligible else '(none meets every latency target and power budget)'}; "
        f"{compared}",
        None,
    )
    assert pick.inputs is not None
    return _named(pick.inputs, pick.key)
