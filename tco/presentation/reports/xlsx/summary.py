"""The Summary sheet: per-option totals as formulas over the projection sheets (TCO, NPV, levelised cost,
energy, emissions, per-query figures, ratios to the baseline, break-even and payback months), each formula
with the engine's summary value cached beside it."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tco.engine.impacts import IMPACTS
from tco.engine.inputs import OptionInputs
from tco.presentation.labels import LABELS, unit_words
from tco.presentation.reports import content as c
from tco.presentation.reports.xlsx.layout import (
    BOLD,
    COUNT_FORMAT,
    FIRST_ROW,
    MONEY_FORMAT,
    NEVER,
    TITLE,
    Inputs,
    header_row,
    quote,
)


def _summary_rows(cur: str) -> list[tuple[str, str]]:
    """The Summary's rows in order: (summary column, unit)."""
    return [
        ("tco_cost", cur),
        ("npv_cost", cur),
        ("queries", "query"),
        ("cost_per_1k_queries", f"{cur}/1k queries"),
        ("tokens_out", "token/query"),
        ("levelised_cost_per_1k_queries", f"{cur}/1k queries"),
        ("energy_kwh", "kWh"),
        ("wh_per_query", "Wh/query"),
        ("emissions_kg", "kgCO2e"),
        ("emissions_operational_kg", "kgCO2e"),
        ("emissions_embodied_kg", "kgCO2e"),
        ("g_per_query", "gCO2e/query"),
        ("water_l", "L"),
        ("ml_water_per_query", "mL/query"),
        ("adpe_kgsbeq", "kgSbeq"),
        ("mg_sb_per_query", "mgSbeq/query"),
        ("pe_mj", "MJ"),
        ("kj_pe_per_query", "kJ/query"),
        ("accelerators_peak", "accelerator"),
        ("accelerators_initial", "accelerator"),
        ("accelerators_purchased", "accelerator"),
        ("capex_cost", cur),
        ("end_value_cost", cur),
        ("financing_cost", cur),
        ("tax_saving", cur),
        ("tco_after_tax_cost", cur),
        ("npv_after_tax_cost", cur),
        ("cost_per_correct_1k", f"{cur}/1k correct answers"),
        ("g_per_correct", "gCO2e/correct answer"),
        ("cost_ratio_to_baseline", "x"),
        ("emissions_ratio_to_baseline", "x"),
        ("g_per_query_ratio_to_baseline", "x"),
        ("levelised_cost_ratio_to_baseline", "x"),
        ("break_even_month", "month"),
        ("payback_month", "month"),
    ]


def _summary_format(key: str, unit: str, currency: str) -> str:
    """Excel number format of a Summary row: money to the cent, counts whole, ratios as ×0.52."""
    if unit == currency:
        return MONEY_FORMAT
    if unit in ("query", "accelerator", "month", "kWh", "kgCO2e"):
        return COUNT_FORMAT if unit != "kWh" and unit != "kgCO2e" else "#,##0.0"
    if unit == "x":
        return '"×"0.00##'
    return "#,##0.000000"


def summary_sheet(
    ws: Worksheet,
    rc: c.ReportContent,
    options: list[OptionInputs],
    inputs: Inputs,
    sheets: dict[str, str],
    letters: dict[str, str],
    months: int,
    summary: Any = None,
    cache: dict[tuple[str, str], Any] | None = None,
) -> dict[tuple[str, str], str]:
    ws["A1"] = f"Summary over {months} months: formulas over the projection sheets"
    ws["A1"].font = TITLE
    ws["A2"] = (
        f"Baseline: {rc.scenario['baseline']}. Levelised cost = NPV of cost / discounted queries x 1000."
    )
    header_row(ws, 4, ["Measure", "Unit", *[o.id for o in options], "Field"])
    rows = _summary_rows(rc.currency)
    row_of = {k: 5 + i for i, (k, _) in enumerate(rows)}
    col_of = {o.id: get_column_letter(3 + j) for j, o in enumerate(options)}
    field_col = 3 + len(options)
    base = rc.scenario["baseline"]
    first, last = FIRST_ROW, FIRST_ROW + months - 1
    cells: dict[tuple[str, str], str] = {}
    for o in options:
        sh = quote(sheets[o.id])
        col = col_of[o.id]

        def rng(key: str, sh: str = sh) -> str:
            return f"{sh}!${letters[key]}${first}:${letters[key]}${last}"

        def me(key: str, col: str = col) -> str:
            return f"{col}{row_of[key]}"

        def of_base(key: str) -> str:
            return f"{col_of[base]}{row_of[key]}"

        q = inputs(o.id, "quality")
        per_q = f'IF({me("queries")}>0,{{}}/{me("queries")},"")'
        formulas = {
            "tco_cost": f"=SUM({rng('total_cost')})",
            "npv_cost": f"=SUM({rng('total_cost_discounted')})",
            "queries": f"=SUM({rng('queries')})",
            "cost_per_1k_queries": "=" + per_q.format(f"{me('tco_cost')}*1000"),
            "levelised_cost_per_1k_queries": (
                f'=IF(SUM({rng("queries_discounted")})>0,{me("npv_cost")}/SUM({rng("queries_discounted")})*1000,"")'
            ),
            "energy_kwh": f"=SUM({rng('energy_kwh')})",
            "wh_per_query": "=" + per_q.format(f"{me('energy_kwh')}*1000"),
            "emissions_kg": f"=SUM({rng('emissions_kg')})",
            "emissions_operational_kg": f"=SUM({rng('emissions_operational_kg')})",
            "emissions_embodied_kg": f"=SUM({rng('emissions_embodied_kg')})",
            "g_per_query": "=" + per_q.format(f"{me('emissions_kg')}*1000"),
            **_impact_formulas(rng, me, per_q),
            # the option's answer length: an input (its source is in the Assumptions sheet's rows)
            "tokens_out": float(summary.loc[o.id, "tokens_out"]) if summary is not None else "",
            "accelerators_peak": f"=MAX({rng('accelerators')})",
            "accelerators_initial": f"={sh}!${letters['accelerators']}${first}",
            "accelerators_purchased": f"=SUM({rng('accelerators_purchased')})",
            "capex_cost": f"=SUM({rng('capex_cost')})",
            "end_value_cost": f"=SUM({rng('end_value_cost')})",
            "financing_cost": f"=SUM({rng('financing_cost')})",
            "tax_saving": f"=SUM({rng('tax_saving')})",
            "tco_after_tax_cost": f"=SUM({rng('total_cost_after_tax')})",
            "npv_after_tax_cost": f"=SUM({rng('total_cost_after_tax_discounted')})",
            "cost_per_correct_1k": f'=IF(AND(ISNUMBER({q}),{q}>0),{me("cost_per_1k_queries")}/{q},"")',
            "g_per_correct": f'=IF(AND(ISNUMBER({q}),{q}>0),{me("g_per_query")}/{q},"")',
        }
        for ratio, key in (
            ("cost_ratio_to_baseline", "tco_cost"),
            ("emissions_ratio_to_baseline", "emissions_kg"),
            ("g_per_query_ratio_to_baseline", "g_per_query"),
            ("levelised_cost_ratio_to_baseline", "levelised_cost_per_1k_queries"),
        ):
            formulas[ratio] = f'=IF(N({of_base(key)})<>0,{me(key)}/{of_base(key)},"")'
        for out, cand in (
            ("break_even_month", "break_even_candidate"),
            ("payback_month", "payback_candidate"),
        ):
            formulas[out] = f'=IF(MIN({rng(cand)})>={NEVER:.0E},"",MIN({rng(cand)}))'
        for key, formula in formulas.items():
            cell = ws[me(key)]
            cell.value = formula
            cells[(o.id, key)] = me(key)
            if cache is not None and summary is not None:
                v = summary.loc[o.id, key]
                cache[(ws.title, me(key))] = "" if c.numbers.is_missing(v) else float(v)
            cell.number_format = _summary_format(key, dict(rows)[key], rc.currency)
    for key, unit in rows:
        ws.cell(row=row_of[key], column=1, value=LABELS[key]).font = BOLD
        ws.cell(row=row_of[key], column=2, value=unit_words(unit))
        ws.cell(row=row_of[key], column=field_col, value=key).font = Font(color="888888")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 24
    for col in col_of.values():
        ws.column_dimensions[col].width = 18
    return cells


def _impact_formulas(rng: Any, me: Any, per_q: str) -> dict[str, str]:
    """Summary formulas of water, ADPe and PE (tco.engine.impacts): horizon sums and per query."""
    out: dict[str, str] = {}
    for i in IMPACTS:
        out[i.column] = f"=SUM({rng(i.column)})"
        out[i.per_query] = "=" + per_q.format(f"{me(i.column)}*{i.per_query_scale:g}")
    return out
