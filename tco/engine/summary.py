"""Per-option totals and comparisons from the engine's monthly arrays (works per Monte Carlo sample too)."""

from __future__ import annotations

import numpy as np

from tco.engine import formulas as f
from tco.engine.constants import G_PER_KG, WH_PER_KWH
from tco.engine.impacts import IMPACTS
from tco.engine.inputs import HOURS_PER_MONTH, OptionInputs, WorkloadInputs


def totals(
    series: dict[str, np.ndarray], option: OptionInputs, workload: WorkloadInputs
) -> dict[str, np.ndarray]:
    """Horizon totals of one option, one value per sample: (samples,) arrays. Each total is the sum over
    months of the matching monthly column (energy_kwh includes the fine-tuning job). The p95 latency is the
    worst month's, at its busiest hour's concurrency."""
    q = series["queries"].sum(axis=1)
    safe_q = np.where(q > 0, q, np.nan)
    dq = series["queries_discounted"].sum(axis=1)
    safe_dq = np.where(dq > 0, dq, np.nan)
    tco = series["total_cost"].sum(axis=1)
    npv = series["total_cost_discounted"].sum(axis=1)
    energy = series["energy_kwh"].sum(axis=1)  # facility energy of serving plus the fine-tuning job
    emissions = series["emissions_kg"].sum(axis=1)
    quality = np.asarray(option.quality, dtype=float)
    cost_q = tco / safe_q
    g_q = emissions * G_PER_KG / safe_q
    months = series["total_cost"].shape[1]
    peak = series["accelerators"].max(axis=1)
    provisioned = f.provisioned_power_kw(peak, option.max_power_kw, option.host_power_kw, option.pue)
    if option.deployment == "api":  # the provider's datacentre, not a site of the user's
        provisioned = np.full_like(tco, np.nan)
    serving_kwh = energy - series["energy_fine_tuning_kwh"].sum(axis=1)
    out = {
        "tco_cost": tco,
        "npv_cost": npv,
        "queries": q,
        "queries_unserved": series["queries_unserved"].sum(axis=1),
        "cost_per_1k_queries": cost_q * 1000.0,
        "levelised_cost_per_1k_queries": npv / safe_dq * 1000.0,
        "energy_kwh": energy,
        "wh_per_query": energy * WH_PER_KWH / safe_q,
        "emissions_kg": emissions,
        "emissions_operational_kg": series["emissions_operational_kg"].sum(axis=1),
        "emissions_embodied_kg": series["emissions_embodied_kg"].sum(axis=1),
        "g_per_query": g_q,
        "accelerators_peak": peak,
        "provisioned_kw": provisioned,
        "average_draw_kw": serving_kwh / (months * HOURS_PER_MONTH),
        "tokens_per_s_per_provisioned_mw": f.tokens_per_s_per_provisioned_mw(
            option.throughput_qps,
            option.accelerators_per_replica,
            option.answer_tokens(workload.tokens_out),
            option.max_power_kw,
            option.host_power_kw,
            option.pue,
        ),
        "latency_p95_s": np.max(series["latency_p95_peak_s"], axis=1),
        "peak_replica_load": series["peak_replica_load"].max(axis=1),
        "accelerators_initial": series["accelerators"][:, 0],
        "accelerators_purchased": series["accelerators_purchased"].sum(axis=1),
        "capex_cost": series["capex_cost"].sum(axis=1),
        "end_value_cost": series["end_value_cost"].sum(axis=1),
        "financing_cost": series["financing_cost"].sum(axis=1),
        "tax_saving": series["tax_saving"].sum(axis=1),
        "tco_after_tax_cost": series["total_cost_after_tax"].sum(axis=1),
        "npv_after_tax_cost": series["total_cost_after_tax_discounted"].sum(axis=1),
        "cost_per_correct_1k": cost_q * 1000.0 / np.where(quality > 0, quality, np.nan),
        "g_per_correct": g_q / np.where(quality > 0, quality, np.nan),
    }
    for i in IMPACTS:  # water, ADPe, PE: horizon totals and per query
        total = series[i.column].sum(axis=1)
        out[i.column] = total
        out[i.per_query] = total * i.per_query_scale / safe_q
    return {k: np.broadcast_to(np.asarray(v, dtype=float), tco.shape).copy() for k, v in out.items()}


def break_even_month(cum_option: np.ndarray, cum_baseline: np.ndarray) -> np.ndarray:
    """First month from which the option's cumulative cost stays at or below the baseline's.

    Per sample; 0 when it is never more expensive, NaN when it never catches up within the horizon.
    """
    below = cum_option <= cum_baseline + 1e-9
    # stays below from month k on: reverse cumulative AND
    stays = np.flip(np.logical_and.accumulate(np.flip(below, axis=1), axis=1), axis=1)
    any_stays = stays.any(axis=1)
    first = np.argmax(stays, axis=1).astype(float)
    return np.where(any_stays, first, np.nan)
