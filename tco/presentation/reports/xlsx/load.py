"""The Load sheet of a hosted option: its load model as live formulas, hour by hour.

The sweep's power points (load 0 at idle, then each batch's relative load and power per replica, and the
slope to the next point); then per month the 24 hours of the representative day: replicas serving (as the
fleet's scaling says), the load per replica, its power read off the sweep, and the day's sums the
projection sheet reads (replica-hours on, busy and serving, kWh, peak load, the fleet's busiest hour)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tco.engine.inputs import HOURS_PER_DAY, OptionInputs
from tco.presentation.reports.xlsx.layout import (
    FIRST_ROW,
    LOAD_FILL,
    TITLE,
    Inputs,
    header_row,
    is_formula,
    quote,
)

if TYPE_CHECKING:
    from tco.analysis.workbook import OptionValues

# The sweep's power points: each value of tco.analysis.workbook.OptionValues.load_points and its column.
POINT_COLUMNS = {"relative_load": "C", "power_kw": "D", "kw_per_unit_load": "E"}
LOAD_SUMS = ("sum_n", "sum_nw", "sum_np", "sum_nl", "standby", "peak", "fleet_peak")


def load_sheet(
    ws: Worksheet,
    o: OptionInputs,
    inputs: Inputs,
    proj: str,
    letters: dict[str, str],
    months: int,
    values: OptionValues | None = None,
    cache: dict[tuple[str, str], Any] | None = None,
) -> Callable[[int, str], str]:
    """The option's load model as live formulas: its sweep's power points, and per month the 24 hours of
    the representative day (replicas serving, load per replica, power) and their sums; `values`
    (tco.analysis.workbook) are cached into `cache` for every formula cell.
    Returns (month, key) -> absolute reference of a month's sum."""

    def a(name: str) -> str:
        return inputs(o.id, name)

    def g(name: str) -> str:
        return inputs("(all)", name)

    k_count = len(o.sweep_throughput)
    ws["A1"] = f"Load model of {o.id}: hour by hour, live formulas"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "Replica power is linear in its load between idle (load 0) and the sweep's points (load relative to "
        "the capacity point); each hour of the day stands for 1/24 of the month. Scaling: "
        f"{o.fleet_scaling()} (fixed at export)."
    )
    header_row(ws, 4, ["point", "batch", "relative load", "power kW/replica", "kW per unit load to next"])
    idle = f"{a('idle_power_kw')}*{a('accelerators_per_replica')}"
    p0, pk = 5, 5 + k_count
    ws.cell(row=p0, column=1, value=0)
    ws.cell(row=p0, column=3, value=0.0)
    ws.cell(row=p0, column=4, value=f"={idle}")
    for k in range(1, k_count + 1):
        r = p0 + k
        ws.cell(row=r, column=1, value=k)
        ws.cell(row=r, column=2, value=o.sweep_batch[k - 1] if o.sweep_batch else None)
        ws.cell(row=r, column=3, value=f"={a(f'sweep_throughput_{k}')}")
        ws.cell(
            row=r,
            column=4,
            value=(
                f"=MAX({a('energy_per_query_kwh')}*{a(f'sweep_energy_{k}')}*{a('throughput_qps')}"
                f"*{a(f'sweep_throughput_{k}')}*3600,{idle},D{r - 1})"
            ),
        )
    for r in range(p0, pk + 1):
        ws.cell(row=r, column=5, value=f"=(D{r + 1}-D{r})/(C{r + 1}-C{r})" if r < pk else 0)
    if values is not None and cache is not None:
        for name, column in values.load_points.items():
            letter = POINT_COLUMNS[name]
            for k, v in enumerate(column):
                if is_formula(ws[f"{letter}{p0 + k}"].value):
                    cache[(ws.title, f"{letter}{p0 + k}")] = float(v)
    g_rng, p_rng, s_rng = (f"${col}${p0}:${col}${pk}" for col in "CDE")
    head = pk + 3
    hours = range(HOURS_PER_DAY)
    cols = ["month", "mean load", "fleet"]
    cols += [f"n{h:02d}" for h in hours] + [f"load{h:02d}" for h in hours]
    cols += [f"kw{h:02d}" for h in hours] + list(LOAD_SUMS)
    col = {name: get_column_letter(j) for j, name in enumerate(cols, start=1)}
    header_row(ws, head, cols)
    scaling = o.fleet_scaling() if np.isnan(o.fixed_fleet) or o.fleet_scaling() != "hourly" else "reserved"
    shape = [g(f"hourly_load_{h:02d}") for h in hours]
    for t in range(months):
        r, pr = head + 1 + t, FIRST_ROW + t
        row: dict[str, Any] = {"month": t}
        row["mean load"] = (
            f"='{proj}'!{letters['queries_demand']}{pr}/({g('days_per_month')}*{g('seconds_per_day')})"
            f"/{a('throughput_qps')}"
        )
        row["fleet"] = (
            f"={col['fleet_peak']}{r}" if scaling == "hourly" else f"='{proj}'!{letters['replicas']}{pr}"
        )
        even = scaling in ("spread", "reserved")
        for h in hours:
            lam = f"$B{r}*{shape[h]}"
            n = f"$C{r}" if even else f"{col[f'n{h:02d}']}{r}"
            if not even:
                need = f"MAX(CEILING(MAX({lam}/{a('utilisation')}-1E-9,0),1),{a('min_replicas')})"
                row[f"n{h:02d}"] = f"={need}" if scaling == "hourly" else f"=MIN({need},$C{r})"
            load = f"{col[f'load{h:02d}']}{r}"
            row[f"load{h:02d}"] = f"=IF({n}>0,MIN({lam}/{n},1),0)"
            j = f"MATCH({load},{g_rng},1)"
            row[f"kw{h:02d}"] = f"=INDEX({p_rng},{j})+({load}-INDEX({g_rng},{j}))*INDEX({s_rng},{j})"
        day = {name: f"{col[name + '00']}{r}:{col[name + '23']}{r}" for name in ("n", "kw", "load")}
        g1, loads = f"$C${p0 + 1}", day["load"]
        # busy share of an hour: MIN(load / g1, 1), summed without a column per hour
        partial = f"({loads}<{g1})*{loads}"
        if even:  # every replica serves every hour: the day's sums are the fleet x the hours' sums
            row["sum_n"] = f"={g('hours_per_day')}*$C{r}"
            row["sum_nw"] = f'=$C{r}*(SUMPRODUCT({partial})/{g1}+COUNTIF({loads},">="&{g1}))'
            for key, name in (("sum_np", "kw"), ("sum_nl", "load")):
                row[key] = f"=$C{r}*SUM({day[name]})"
            row["peak"] = f"=IF($C{r}>0,$B{r}*MAX({g('hourly_load_00')}:{shape[-1].split('!')[1]})/$C{r},0)"
            row["fleet_peak"] = f"=$C{r}"
        else:
            row["sum_n"] = f"=SUM({day['n']})"
            row["sum_nw"] = f"=SUMPRODUCT({day['n']},{partial})/{g1}+SUMPRODUCT({day['n']}*({loads}>={g1}))"
            for key, name in (("sum_np", "kw"), ("sum_nl", "load")):
                row[key] = f"=SUMPRODUCT({day['n']},{day[name]})"
            row["peak"] = (
                "=MAX("
                + ",".join(
                    f"IF({col[f'n{h:02d}']}{r}>0,$B{r}*{shape[h]}/{col[f'n{h:02d}']}{r},0)" for h in hours
                )
                + ")"
            )
            row["fleet_peak"] = f"=MAX({day['n']})"
        row["standby"] = f"={g('hours_per_day')}*$C{r}-{col['sum_n']}{r}" if scaling == "packed" else 0
        for name, value in row.items():
            cell = ws[f"{col[name]}{r}"]
            cell.value = value
            if values is not None and cache is not None and is_formula(value):
                cache[(ws.title, cell.coordinate)] = float(values.load_months[name][t])
            if name in LOAD_SUMS:
                cell.fill = LOAD_FILL
    ws.freeze_panes = f"D{head + 1}"
    sheet = quote(ws.title)

    def ref(t: int, key: str) -> str:
        return f"{sheet}!${col[key]}${head + 1 + t}"

    return ref
