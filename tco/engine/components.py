"""The cost components of an option's monthly cash flows, declared once.

Each component is one `CostComponent` in `COMPONENTS`: its name (the engine's monthly column is
`{name}_cost`, in the reporting currency), the words people read, whether it is a running expense that is
deducted for tax in the month it is paid (`deductible`) and shown as paid in the accounting view
(`operating`), and the function that computes it per month from what the option does (`compute`, given a
`CostBasis`). Owned hardware is paid for in cash flows that the accounting view replaces by an
`AccountingLine` each (depreciation for capex and residual value, interest or lease payments for the
financing cash flows, the loss against book value for the end-of-horizon credit).

Everything else derives from these two tables: the engine's total, tax saving and after-tax total
(`cash_flows`), the monthly columns (`tco.engine.core.simulate`), the accounting view of
`Results.yearly()` (`accounting_view`) and the labels people read (`tco.presentation.labels`). Adding a
component (say, network egress) is one entry here plus the input it reads (README, "Extending slm-tco").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tco.engine import finance as fin
from tco.engine import formulas as f
from tco.engine.inputs import FinanceInputs, OptionInputs, as_column
from tco.engine.operations import Operations


@dataclass
class CostBasis:
    """What a component's `compute` reads: the option, its numeric fields as (samples or 1, 1) columns
    (`c`), its operations per month and the scenario's finance settings. Owned hardware's flows are worked
    out once, on first use, for every component that needs them."""

    option: OptionInputs
    c: dict[str, np.ndarray]
    op: Operations
    finance: FinanceInputs

    @property
    def t(self) -> np.ndarray:
        """Month index, (1, months)."""
        return self.op.t

    @cached_property
    def zeros(self) -> np.ndarray:
        return np.zeros(self.op.shape)

    @cached_property
    def electricity_price(self) -> np.ndarray:
        """Price per kWh paid in each month (reporting currency), with its yearly escalation."""
        return f.escalated_price(self.c["electricity_price"], self.c["electricity_escalation"], self.t)

    @cached_property
    def owned(self) -> fin.Ownership:
        """Cash and accounting flows of the on-prem units bought (zeros for other deployments)."""
        if self.option.deployment != "on-prem":
            return fin.Ownership.none(self.zeros)
        return fin.ownership(self.option, self.c, self.op)


@dataclass(frozen=True)
class CostComponent:
    """One line of the cash view: `compute(basis)` gives its cost per month, (samples, months) or
    broadcastable to it, in the reporting currency (a credit is negative)."""

    name: str  # the monthly column is f"{name}_cost"
    label: str  # what people read (reports, charts, the app, the workbook)
    deductible: bool  # a running expense: counted in the tax saving in the month it is paid
    operating: bool  # shown as paid in the accounting view (False: an accounting line stands for it)
    compute: Callable[[CostBasis], np.ndarray]
    note: str  # what it is and how it is computed, in one line (README, workbook)

    @property
    def column(self) -> str:
        return f"{self.name}_cost"


@dataclass(frozen=True)
class AccountingLine:
    """A line of the accounting view that stands for cash components (`stands_for`), e.g. depreciation for
    capex and residual value; deductible in the month it is booked."""

    name: str  # the monthly column is f"{name}_cost"
    label: str
    stands_for: tuple[str, ...]  # names of the cash components it replaces in the accounting view
    compute: Callable[[CostBasis], np.ndarray]
    note: str

    @property
    def column(self) -> str:
        return f"{self.name}_cost"


def _capex(b: CostBasis) -> np.ndarray:
    return b.owned.capex


def _residual(b: CostBasis) -> np.ndarray:
    return b.owned.residual


def _end_value(b: CostBasis) -> np.ndarray:
    return b.owned.end_value


def _financing(b: CostBasis) -> np.ndarray:
    return b.owned.financing


def _energy(b: CostBasis) -> np.ndarray:
    if b.option.deployment != "on-prem":
        return b.zeros
    return b.op.facility_kwh * b.electricity_price


def _cloud(b: CostBasis) -> np.ndarray:
    if b.option.deployment != "cloud":
        return b.zeros
    return fin.cloud_rent(b.option, b.c, b.op)


def _api(b: CostBasis) -> np.ndarray:
    if b.option.deployment != "api":
        return b.zeros
    return b.op.queries * b.c["api_cost_per_query"] * fin.trend_factor(b.c["api_price_trend"], b.t)


def _maintenance(b: CostBasis) -> np.ndarray:
    if b.option.deployment != "on-prem":
        return b.zeros
    return b.owned.in_service * b.c["maintenance"] / 12.0


def _colocation(b: CostBasis) -> np.ndarray:
    if b.option.deployment != "on-prem":
        return b.zeros
    return b.op.owned * (b.c["max_power_kw"] + b.c["host_power_kw"]) * b.c["colocation_per_kw_month"]


def _other_opex(b: CostBasis) -> np.ndarray:
    return np.broadcast_to(b.c["other_opex_per_month"], b.op.shape)


def _fine_tuning(b: CostBasis) -> np.ndarray:
    return (b.t == 0).astype(float) * b.c["fine_tuning_cost"]


def _carbon(b: CostBasis) -> np.ndarray:
    price = b.c["carbon_price_per_kg"] * fin.trend_factor(as_column(b.finance.carbon_price_trend), b.t)
    return b.op.emissions_kg * price


# The cash view, in the order of the monthly columns and of the sum that makes the total.
COMPONENTS: tuple[CostComponent, ...] = (
    CostComponent(
        name="capex",
        label="Capex (purchases)",
        deductible=False,
        operating=False,
        compute=_capex,
        note="on-prem units x unit price (with its hardware price trend) in the month they are bought",
    ),
    CostComponent(
        name="residual",
        label="Residual value (credit)",
        deductible=False,
        operating=False,
        compute=_residual,
        note="minus residual value x purchase price, in the month a unit retires at the end of its lifetime",
    ),
    CostComponent(
        name="end_value",
        label="End-of-horizon credit",
        deductible=False,
        operating=False,
        compute=_end_value,
        note="minus the book or resale value of units still in service, in the horizon's last month",
    ),
    CostComponent(
        name="financing",
        label="Financing",
        deductible=False,
        operating=False,
        compute=_financing,
        note="loan: minus the principal when bought, instalments, the balance at the end; lease: payments",
    ),
    CostComponent(
        name="energy",
        label="Energy",
        deductible=True,
        operating=True,
        compute=_energy,
        note="on-prem facility kWh x electricity price (with its escalation)",
    ),
    CostComponent(
        name="cloud",
        label="Cloud rental",
        deductible=True,
        operating=True,
        compute=_cloud,
        note="rented accelerator-hours x price: on demand, committed (and above the commitment) or spot",
    ),
    CostComponent(
        name="api",
        label="API fees",
        deductible=True,
        operating=True,
        compute=_api,
        note="queries x (tokens in x input price + tokens out x output price), with the API price trend",
    ),
    CostComponent(
        name="maintenance",
        label="Maintenance",
        deductible=True,
        operating=True,
        compute=_maintenance,
        note="maintenance fraction per year / 12 x purchase value of the units in their lifetime",
    ),
    CostComponent(
        name="colocation",
        label="Colocation",
        deductible=True,
        operating=True,
        compute=_colocation,
        note="owned accelerators x (max power + host power share) in kW x price per kW-month",
    ),
    CostComponent(
        name="other_opex",
        label="Other opex",
        deductible=True,
        operating=True,
        compute=_other_opex,
        note="a fixed amount per month",
    ),
    CostComponent(
        name="fine_tuning",
        label="Fine-tuning",
        deductible=True,
        operating=True,
        compute=_fine_tuning,
        note="the one-off job's cost, in the first month",
    ),
    CostComponent(
        name="carbon",
        label="Carbon price",
        deductible=True,
        operating=True,
        compute=_carbon,
        note="kgCO2e x carbon price per kg (with its trend)",
    ),
)


def _depreciation(b: CostBasis) -> np.ndarray:
    return b.owned.depreciation


def _financing_accounting(b: CostBasis) -> np.ndarray:
    return b.owned.financing_accounting


def _end_value_accounting(b: CostBasis) -> np.ndarray:
    return b.owned.end_value_accounting


# The accounting view's lines that stand for the cash components that are not `operating`.
ACCOUNTING_LINES: tuple[AccountingLine, ...] = (
    AccountingLine(
        name="depreciation",
        label="Capex (depreciation)",
        stands_for=("capex", "residual"),
        compute=_depreciation,
        note="straight line from the purchase value to the residual value over the lifetime",
    ),
    AccountingLine(
        name="financing_accounting",
        label="Financing (interest or lease)",
        stands_for=("financing",),
        compute=_financing_accounting,
        note="loan interest on the balance owed, or the lease payments",
    ),
    AccountingLine(
        name="end_value_accounting",
        label="Loss on end-of-horizon sale",
        stands_for=("end_value",),
        compute=_end_value_accounting,
        note="book value less the credit of units still in service at the end (a gain is negative)",
    ),
)

COST_COMPONENTS: tuple[str, ...] = tuple(c.name for c in COMPONENTS)
# Cost components that are expenses as they are paid (deductible in the month); the rest are asset flows.
OPERATING_COMPONENTS: tuple[str, ...] = tuple(c.name for c in COMPONENTS if c.operating)


def accounting_view(
    components: Sequence[CostComponent] | None = None,
) -> list[CostComponent | AccountingLine]:
    """The lines of the accounting view in stacking order: the accounting lines, then the operating
    components (each shown as paid). Default: `COMPONENTS` as it is when called."""
    table = COMPONENTS if components is None else components
    return [*ACCOUNTING_LINES, *(c for c in table if c.operating)]


def check_table(components: Sequence[CostComponent] | None = None) -> None:
    """Raise ValueError unless names are unique and every non-operating component has exactly one
    accounting line standing for it (so the two views cover the same costs)."""
    components = COMPONENTS if components is None else components
    names = [c.name for c in components] + [a.name for a in ACCOUNTING_LINES]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"cost component names must be unique, {dup} repeat")
    covered = [n for a in ACCOUNTING_LINES for n in a.stands_for]
    for c in components:
        n = covered.count(c.name)
        if c.operating and n:
            raise ValueError(f"cost component {c.name!r} is operating but an accounting line stands for it")
        if not c.operating and n != 1:
            raise ValueError(
                f"cost component {c.name!r} is not operating: exactly one accounting line must stand for it"
            )


@dataclass
class CashFlows:
    """Monthly costs by component (reporting currency) and their accounting view, the tax saving, the
    electricity price paid and the discount factor, each (samples, months) or broadcastable to it."""

    costs: dict[str, np.ndarray]  # by component name
    accounting: dict[str, np.ndarray]  # by accounting line name
    total: np.ndarray
    tax_saving: np.ndarray
    total_after_tax: np.ndarray
    electricity_price: np.ndarray
    discount: np.ndarray


def cash_flows(
    option: OptionInputs,
    c: dict[str, np.ndarray],
    op: Operations,
    finance: FinanceInputs,
    components: Sequence[CostComponent] = COMPONENTS,
) -> CashFlows:
    """Costs of the operations `op` per month; `c` holds the option's numeric fields as columns.

    The total is the sum of the components in order; the tax saving is `tax_rate` x (the accounting lines +
    the deductible components); the after-tax total is the total less it."""
    basis = CostBasis(option, c, op, finance)
    costs = {k.name: k.compute(basis) for k in components}
    accounting = {a.name: a.compute(basis) for a in ACCOUNTING_LINES}
    total = basis.zeros.copy()
    for k in components:
        total = total + costs[k.name]
    first, *rest = ACCOUNTING_LINES
    deductible = accounting[first.name]
    for a in rest:
        deductible = deductible + accounting[a.name]
    for k in components:
        if k.deductible:
            deductible = deductible + costs[k.name]
    tax_saving = as_column(finance.tax_rate) * deductible
    discount = fin.discount_factor(as_column(finance.discount_rate), op.t, finance.discounting)
    return CashFlows(
        costs=costs,
        accounting=accounting,
        total=total,
        tax_saving=tax_saving,
        total_after_tax=total - tax_saving,
        electricity_price=basis.electricity_price,
        discount=discount,
    )
