"""Cost block of a projection month, one column per cost component of the engine's table
(tco.engine.components): the on-prem asset lines (price path, value bought and in service, capex, residual
value at retirement, the end-of-horizon credit, depreciation, maintenance; loan and lease schedules as the
engine's values), electricity, colocation, cloud rent (on demand or spot; a commitment as the engine's
values), API fees, other opex, fine-tuning and the carbon price. A component or accounting line of the table
the workbook has no formula for is written as the engine's values (static), so the total and the tax saving
still add up every line the engine counts."""

from __future__ import annotations

from typing import Any

from tco.engine import components
from tco.presentation.reports.xlsx.layout import STATIC, Month

ASSET_KEYS = (
    "unit_price",
    "value_purchased",
    "value_in_service",
    "book_value_at_end",
    "end_value_fraction",
    "end_value_at_end",
    "capex_cost",
    "residual_cost",
    "end_value_cost",
    "financing_cost",
    "maintenance_cost",
    "depreciation_cost",
    "financing_accounting_cost",
    "end_value_accounting_cost",
)


def asset_cells(m: Month) -> dict[str, Any]:
    """The on-prem asset lines of month t (zeros for other deployments; loan and lease: static)."""
    o, a, x = m.option, m.a, m.x
    mi, months, life = m.m, m.months, m.life
    f: dict[str, Any] = dict.fromkeys(ASSET_KEYS, 0)
    if o.deployment != "on-prem":
        return f
    res = a("residual_value")
    f["unit_price"] = f"={a('unit_price')}*(1+{a('hardware_price_trend')})^({mi}/12)"
    f["value_purchased"] = f"={x['accelerators_purchased']}*{x['unit_price']}"
    f["value_in_service"] = f'=SUMIFS({x.upto("value_purchased")},{x.upto("month")},">="&({mi}-{life}+1))'
    f["maintenance_cost"] = f"={x['value_in_service']}*{a('maintenance')}/12"
    if o.financing == "lease":
        f["financing_cost"] = f["financing_accounting_cost"] = STATIC
        return f
    in_service = f"{mi}+{life}>={months}"
    book = f"(1-(1-{res})*MIN({months}-{mi},{life})/{life})"
    f["book_value_at_end"] = f"=IF({in_service},{x['value_purchased']}*{book},0)"
    if o.end_value == "book":
        f["end_value_fraction"] = f"={book}"
    elif o.end_value == "resale":
        assert m.resale_fraction is not None
        f["end_value_fraction"] = m.resale_fraction
    f["end_value_at_end"] = f"=IF({in_service},{x['value_purchased']}*{x['end_value_fraction']},0)"
    f["capex_cost"] = f"={x['value_purchased']}"
    retired = f"SUMIFS({x.above('value_purchased')},{x.above('month')},{mi}-{life})" if m.t > 0 else "0"
    f["residual_cost"] = f"=-{retired}*{res}"
    if m.last:
        f["end_value_cost"] = f"=-SUM({x.whole('end_value_at_end')})"
        if o.end_value != "none":
            f["end_value_accounting_cost"] = (
                f"=SUM({x.whole('book_value_at_end')})-SUM({x.whole('end_value_at_end')})"
            )
    f["depreciation_cost"] = f"={x['value_in_service']}*(1-{res})/{life}"
    if o.financing == "loan":
        f["financing_cost"] = f["financing_accounting_cost"] = STATIC
    return f


def cloud_rent(m: Month) -> Any:
    """Cloud rent of a month: on demand or spot as a formula; a commitment's charges as the engine's value."""
    o, a, x = m.option, m.a, m.x
    if o.cloud_pricing == "committed":
        return STATIC
    rent = (
        f"{x['accelerator_hours']}*{a('cloud_price_per_hour')}*(1+{a('cloud_price_trend')})^({x['month']}/12)"
    )
    if o.cloud_pricing == "spot":
        return f"={rent}*(1+{a('spot_overprovisioning')})*(1-{a('spot_discount')})"
    return f"={rent}"


def cost_cells(m: Month) -> dict[str, Any]:
    """The cost components' cells of the month (and the asset lines'), the engine's order."""
    f = {c.column: STATIC for c in components.COMPONENTS}
    f.update({a.column: STATIC for a in components.ACCOUNTING_LINES})
    known = _formulas(m)
    f.update({k: v for k, v in known.items() if k in f or not k.endswith("_cost")})
    return f


def _formulas(m: Month) -> dict[str, Any]:
    """The cells the workbook writes as formulas (or the engine's values where marked STATIC)."""
    a, g, x = m.a, m.g, m.x
    dep = m.option.deployment
    onprem = dep == "on-prem"
    f: dict[str, Any] = {
        "electricity_price": (
            f"={a('electricity_price')}*(1+{a('electricity_escalation')})^({m.m}/12)" if onprem else 0
        )
    }
    f.update(asset_cells(m))
    f["energy_cost"] = f"={x['energy_facility_kwh']}*{x['electricity_price']}" if onprem else 0
    f["colocation_cost"] = (
        f"={x['accelerators']}*({a('max_power_kw')}+{a('host_power_kw')})*{a('colocation_per_kw_month')}"
        if onprem
        else 0
    )
    f["cloud_cost"] = cloud_rent(m) if dep == "cloud" else 0
    f["api_cost"] = (
        f"={x['queries']}*{a('api_cost_per_query')}*(1+{a('api_price_trend')})^({m.m}/12)"
        if dep == "api"
        else 0
    )
    f["other_opex_cost"] = f"={a('other_opex_per_month')}"
    f["fine_tuning_cost"] = f"=IF({m.m}=0,{a('fine_tuning_cost')},0)"
    f["carbon_cost"] = (
        f"={x['emissions_kg']}*{a('carbon_price_per_kg')}*(1+{g('carbon_price_trend')})^({m.m}/12)"
    )
    return f
