"""Resolve a scenario against reference data into plain-number engine inputs, recording every assumption.

References (region, profile, hardware, API offering) are looked up, currencies converted, defaults applied and
the operating point chosen, one small step per module, each recording the numbers it decides with their
source so that reports and the app can show them:

    workload         tokens per query every option answers with                         (workload.py)
    site             site fields and the region's grid intensity and electricity price   (site.py)
    parallelism      which parallel configuration of the profile (named, or the best)    (parallelism.py)
    operating point  the batch sweep up to the capacity point, at the workload's lengths  (operating_point.py)
    hardware         power draw, embodied emissions, a fixed fleet                        (hardware.py)
    prices           purchase price (on-prem) or hourly rent (cloud)                      (prices.py)
    finance          end value, financing, price trends, commitment or spot terms         (finance.py)
    quality          the score on the workload's task                                     (quality.py)
    fine-tuning      a one-off job's cost, energy and emissions                           (fine_tuning.py)
    cascades         each plan cascade's escalated share and quality, given or measured    (cascades.py)

`hosted.py` and `api.py` compose the steps for each kind of option; `resolve` below adds the workload and
finance inputs shared by every option.
"""

from __future__ import annotations

from collections.abc import Mapping

from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.errors import InputError, ScenarioError
from tco.scenario.cascade import MeasuredCascade
from tco.scenario.repository import Repository
from tco.scenario.resolve.api import api_energy_per_query, api_latency_s, resolve_api
from tco.scenario.resolve.cascades import record_cascades
from tco.scenario.resolve.context import J_PER_KWH, Context, Resolved
from tco.scenario.resolve.parallelism import resolve_serving
from tco.scenario.resolve.workload import option_tokens_out, workload_tokens
from tco.scenario.schema import Scenario
from tco.scenario.units import convert

__all__ = ["J_PER_KWH", "Resolved", "api_energy_per_query", "api_latency_s", "resolve"]


def resolve(
    scenario: Scenario,
    repo: Repository,
    *,
    file: str = "scenario",
    cascades: Mapping[str, MeasuredCascade] | None = None,
    rates: dict[str, float] | None = None,
) -> Resolved:
    """Turn a validated scenario into engine inputs, or raise one ScenarioError naming file and field.

    `cascades`: the measured files of the plan's cascades (tco.scenario.cascade), for the assumptions.
    `rates`: the exchange rates of `scenario.currency`, already parsed (`Resolved.rates` of a scenario with
    the same currency section); default: parsed here.
    """
    ctx = Context(scenario, repo, file, rates)
    workload_tokens(ctx)
    carbon = (
        convert(ctx.money(scenario.carbon_price, "carbon_price"), "USD/tCO2e", "USD/kgCO2e")
        if scenario.carbon_price
        else 0.0
    )
    w = scenario.workload
    floor = w.quality_floor if w.quality_floor is not None else float("nan")
    workload = WorkloadInputs(
        queries_per_day=w.queries_per_day,
        annual_growth=w.annual_growth,
        peak_to_average=w.peak_factor(),
        quality_floor=floor,
        task=w.task,
        daily_profile=tuple(w.daily_profile) if w.daily_profile is not None else None,
        latency_slo_p95_s=w.latency_slo_p95 if w.latency_slo_p95 is not None else float("nan"),
        tokens_out=ctx.tokens_out,
        tokens_in=ctx.tokens_in,
    )
    finance = FinanceInputs(
        months=int(scenario.horizon),
        discount_rate=scenario.discount_rate,
        start=scenario.start,
        currency=scenario.currency.reporting,
        discounting=scenario.discounting,
        tax_rate=scenario.tax_rate or 0.0,
        carbon_price_trend=scenario.carbon_price_trend,
    )
    options: list[OptionInputs] = []
    for i, opt in enumerate(scenario.options):
        own = option_tokens_out(ctx, opt, i)
        if own is not None:  # this model's answer length drives its energy, latency and cost per query
            ctx.tokens_out = own[0]
            ctx.rec.add(opt.id, "answer length (tokens per query out)", own[0], "token", own[1], None)
        else:  # every option says where its answer length came from
            ctx.rec.add(opt.id, "answer length (tokens per query out)", *_default_length(ctx))
        try:
            if opt.deployment == "api":
                resolved_option = resolve_api(ctx, opt, i, carbon)
            else:
                resolved_option = resolve_serving(ctx, opt, i, carbon, workload, finance)
        except InputError as e:
            if isinstance(e, ScenarioError) or (e.field or "").startswith(f"options[{i}]"):
                raise
            raise e.located(file=file, field=f"options[{i}]") from e
        finally:
            ctx.tokens_out = workload.tokens_out
        options.append(resolved_option.with_values(tokens_out=own[0]) if own is not None else resolved_option)
    rec = ctx.rec
    rec.add("(all)", "queries per day", w.queries_per_day, "query/day", "scenario workload", None)
    rec.add("(all)", "annual growth", w.annual_growth, "/year", "scenario workload", None)
    rec.add(
        "(all)",
        "peak to average",
        workload.peak_to_average,
        "",
        "scenario workload" if (w.peak_to_average or w.daily_profile) else "slm-tco default",
        None,
    )
    rec.add(
        "(all)",
        "hourly load shape",
        "daily_profile" if w.daily_profile is not None else "clipped cosine, peak at 14:00",
        "",
        "scenario workload"
        if w.daily_profile is not None
        else "slm-tco default: max(0, m + (p - m) cos(2 pi (h - 14) / 24)) with mean 1 and peak p",
        None,
    )
    rec.add("(all)", "horizon", finance.months, "month", "scenario", None)
    rec.add("(all)", "discount rate", scenario.discount_rate, "/year", "scenario", None)
    rec.add(
        "(all)",
        "discounting",
        f"{scenario.discounting} of month",
        "",
        "scenario"
        if "discounting" in scenario.model_fields_set
        else "slm-tco default: as paid when the month starts",
        None,
    )
    rec.add(
        "(all)",
        "tax rate",
        scenario.tax_rate or 0.0,
        "",
        "scenario" if scenario.tax_rate is not None else "none: after-tax equals pre-tax",
        None,
    )
    rec.add(
        "(all)",
        "carbon price",
        convert(carbon, "USD/kgCO2e", "USD/tCO2e"),
        f"{ctx.cur}/tCO2e",
        "scenario" if scenario.carbon_price else "none",
        None,
    )
    rec.add(
        "(all)",
        "carbon price trend",
        scenario.carbon_price_trend,
        "/year",
        "scenario" if "carbon_price_trend" in scenario.model_fields_set else "slm-tco default: flat",
        None,
    )
    for cur, rate in ctx.rates.items():
        rec.add("(all)", f"exchange rate {cur}", rate, f"{ctx.cur}/{cur}", "scenario currency.rates", None)
    record_cascades(ctx, cascades or {})
    return Resolved(options, workload, finance, rec.rows, scenario.baseline, dict(ctx.rates))


def _default_length(ctx: Context) -> tuple[float, str, str, None]:
    """(value, unit, source, year) of an option that states no answer length: the workload's (a
    portfolio's task's), whose own source is the "(all)" row "tokens per query out"."""
    return (
        ctx.tokens_out,
        "token",
        f"workload default for task {ctx.s.workload.task} (row 'tokens per query out'): this option states none",
        None,
    )
