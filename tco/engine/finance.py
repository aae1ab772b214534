"""Finance: the money formulas behind the cost components, in cash and in accounting terms, and discounting.

Pure numpy, no I/O; every array is (samples, months) or broadcastable to the operations' shape. Which
components there are, and how they add up to the total and the tax saving, is declared in
`tco.engine.components`; this module computes what they need:

- on-prem units are bought at their price in the month of purchase (`hardware_price_trend` moves the price
  of later purchases), sold at `residual_value` when they retire at the end of their lifetime, and credited
  at the end of the horizon as an `end_value` line of its own: `book` (straight-line book value), `resale`
  (a market-value curve by age) or `none` (no credit);
- bought on a `loan` (principal offsets the capex in the purchase month, monthly annuity instalments from
  the next month, the balance still owed repaid in the horizon's last month) or leased (`lease`: monthly
  payments in advance for the term, no purchase, no resale: the lessor keeps the units), both as the
  `financing` line;
- cloud rent on demand, under a commitment (committed units charged for the whole term, also when demand
  falls or the horizon ends first; units above it at the on-demand price; an optional share paid upfront at
  the start of each term) or on spot (a discount on the on-demand price, with extra units for interruptions);
- API fees, electricity, cloud rent and the carbon price each follow a compound yearly trend.

Accounting view beside it: straight-line depreciation of owned units, interest or lease payments for the
`financing` line, and the loss (gain: negative) against book value when units still in service are credited
at the end. Taxes: `tax_rate` x the deductible expenses (accounting view) is the tax saving; the after-tax
total is the cash total less it. Discounting: the annual rate as a monthly factor at the start, middle or
end of each month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tco.engine import formulas as f
from tco.engine.constants import HOURS_PER_DAY, HOURS_PER_MONTH
from tco.engine.formulas import life_months as life_months
from tco.engine.inputs import OptionInputs
from tco.engine.operations import Operations

END_VALUES = ("book", "resale", "none")
FINANCING = ("cash", "loan", "lease")
CLOUD_PRICING = ("on-demand", "committed", "spot")
# Months from the start of a month to the moment its cash flows are discounted at.
DISCOUNT_OFFSETS = {"start": 0.0, "middle": 0.5, "end": 1.0}


def trend_factor(trend: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Price multiplier in month t for a compound yearly trend (fraction per year, negative = falling)."""
    return (1.0 + trend) ** (t / 12.0)


def discount_factor(rate: np.ndarray, t: np.ndarray, convention: str) -> np.ndarray:
    """Present-value factor of month t's cash flows for an annual rate, discounted at the start, middle or
    end of the month."""
    if convention not in DISCOUNT_OFFSETS:
        raise ValueError(f"discounting {convention!r}: expected one of {', '.join(DISCOUNT_OFFSETS)}")
    return f.discount_factor(rate, t + DISCOUNT_OFFSETS[convention])


def book_fraction(age: np.ndarray, life: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """Book value as a fraction of purchase price after `age` months, straight-line to `residual` at `life`."""
    return 1.0 - (1.0 - residual) * np.minimum(age, life) / life


def resale_fraction(age: np.ndarray, curve: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Market value as a fraction of purchase price at `age` months: linear between the curve's
    (age in months, fraction) points, flat beyond its ends."""
    if not curve:
        raise ValueError("end_value 'resale' needs a resale curve of (age in months, fraction) points")
    ages, values = zip(*sorted(curve), strict=True)
    return np.interp(age, np.asarray(ages, dtype=float), np.asarray(values, dtype=float))


def annuity_factor(monthly_rate: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Instalment per unit borrowed for `n` monthly payments in arrears at `monthly_rate` (1/n at 0 %)."""
    zero = monthly_rate == 0
    r = np.where(zero, 1.0, monthly_rate)
    return np.where(zero, 1.0 / n, r / (1.0 - (1.0 + r) ** (-n)))


def loan_balance(
    principal: np.ndarray, instalment: np.ndarray, monthly_rate: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """Principal still owed after `k` instalments (currency)."""
    zero = monthly_rate == 0
    r = np.where(zero, 1.0, monthly_rate)
    g = (1.0 + r) ** k
    return np.where(zero, principal - k * instalment, principal * g - instalment * (g - 1.0) / r)


def lease_payment_factor(monthly_rate: np.ndarray, n: np.ndarray, kept_fraction: np.ndarray) -> np.ndarray:
    """Monthly lease payment (in advance, `n` months) per unit of price, when the lessor keeps units worth
    `kept_fraction` of the price at the end of the term; (1 - kept) / n at 0 %."""
    zero = monthly_rate == 0
    r = np.where(zero, 1.0, monthly_rate)
    recovered = 1.0 - kept_fraction * (1.0 + r) ** (-n)
    return np.where(zero, (1.0 - kept_fraction) / n, recovered * annuity_factor(r, n) / (1.0 + r))


def _full(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.array(np.broadcast_to(x, shape), dtype=float)


def _in_life(x: np.ndarray, life: np.ndarray) -> np.ndarray:
    """Sum of x over the months b with t - life < b <= t: what was bought and is still in its life in t."""
    s, n = x.shape
    cum = np.concatenate([np.zeros((s, 1)), np.cumsum(x, axis=1)], axis=1)
    t = np.arange(n)[None, :]
    lo = np.broadcast_to(np.maximum(t + 1 - life, 0).astype(int), (s, n))
    return cum[:, 1:] - np.take_along_axis(cum, lo, axis=1)


def _lagged(x: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """x in month t - lag (0 before the start): what was bought `lag` months ago."""
    s, n = x.shape
    idx = np.broadcast_to(np.arange(n)[None, :] - lag, (s, n))
    vals = np.take_along_axis(x, np.maximum(idx, 0).astype(int), axis=1)
    return np.where(idx >= 0, vals, 0.0)


def value_at_end(
    bought: np.ndarray,
    life: np.ndarray,
    residual: np.ndarray,
    mode: str,
    curve: tuple[tuple[float, float], ...],
) -> tuple[np.ndarray, np.ndarray]:
    """(credit, book value) at the end of the horizon of the units still in service, per sample.

    `bought` holds the value bought each month (units x price); a unit bought in month b is `months - b`
    months old at the end and still in service when b + life >= months.
    """
    months = bought.shape[1]
    b = np.arange(months)[None, :]
    age = months - b
    in_service = (b + life) >= months
    book = np.sum(np.where(in_service, bought * book_fraction(age, life, residual), 0.0), axis=1)
    if mode == "book":
        credit = book
    elif mode == "resale":
        credit = np.sum(np.where(in_service, bought * resale_fraction(age, curve), 0.0), axis=1)
    elif mode == "none":
        credit = np.zeros_like(book)
    else:
        raise ValueError(f"end_value {mode!r}: expected one of {', '.join(END_VALUES)}")
    return credit, book


def loan_flows(bought: np.ndarray, rate: np.ndarray, term: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cash flows, interest) of buying `bought` (value per month) on loans of `term` months at `rate`
    per year: the principal received in the purchase month (negative), instalments from the next month, and
    the balance still owed repaid in the last month of the horizon."""
    s, months = bought.shape
    r = rate / 12.0
    factor = annuity_factor(r, term)
    t = np.arange(months)[None, :]
    flows = np.zeros((s, months))
    interest = np.zeros((s, months))
    for b in np.flatnonzero(np.any(bought != 0, axis=0)):
        principal = bought[:, b : b + 1]
        instalment = principal * factor
        k = t - b  # instalments paid by the end of month t
        paying = (k >= 1) & (k <= term)
        flows += np.where(paying, instalment, 0.0)
        interest += np.where(paying, r * loan_balance(principal, instalment, r, np.maximum(k - 1, 0)), 0.0)
        flows[:, b] -= principal[:, 0]
        paid = np.minimum(months - 1 - b, term)
        flows[:, -1] += np.broadcast_to(loan_balance(principal, instalment, r, paid), (s, 1))[:, 0]
    return flows, interest


def lease_flows(
    bought: np.ndarray, rate: np.ndarray, term: np.ndarray, life: np.ndarray, residual: np.ndarray
) -> np.ndarray:
    """Lease payments for the units `bought` (value per month): in advance, for `term` months from the
    month they arrive, priced so the lessor recovers the value less what it keeps (book value at the term's
    end) at `rate` per year. Payments after the horizon are not charged: the units serve beyond it."""
    s, months = bought.shape
    factor = lease_payment_factor(rate / 12.0, term, book_fraction(term, life, residual))
    t = np.arange(months)[None, :]
    out = np.zeros((s, months))
    for b in np.flatnonzero(np.any(bought != 0, axis=0)):
        k = t - b
        out += np.where((k >= 0) & (k < term), bought[:, b : b + 1] * factor, 0.0)
    return out


def cloud_rent(option: OptionInputs, c: dict[str, np.ndarray], op: Operations) -> np.ndarray:
    """Cloud rent per month (currency): on demand, committed or spot, with the rent's yearly trend.

    Rent is charged per rented accelerator-hour (`op.accelerator_hours`: 24/7 for a reserved fleet, hour by
    hour for `scaling: hourly`). Committed accelerators are charged for every hour of their term, used or
    not; the accelerators rented above the commitment are charged at the on-demand price in each hour they
    are rented: sum over the representative day's hours of max(0, rented in the hour - committed) x 730.5/24
    (a fleet that is the same all day: max(0, rented - committed) x 730.5).
    """
    t, months = op.t, op.shape[1]
    hours = op.accelerator_hours
    price = c["cloud_price_per_hour"]
    trend = trend_factor(c["cloud_price_trend"], t)
    pricing = option.cloud_pricing
    if pricing == "on-demand":
        return hours * price * trend
    if pricing == "spot":
        return hours * (1.0 + c["spot_overprovisioning"]) * price * (1.0 - c["spot_discount"]) * trend
    if pricing != "committed":
        raise ValueError(f"cloud pricing {pricing!r}: expected one of {', '.join(CLOUD_PRICING)}")
    on_demand = np.where(
        np.isnan(c["cloud_on_demand_price_per_hour"]), price, c["cloud_on_demand_price_per_hour"]
    )
    first = np.broadcast_to(op.provisioned, op.shape)[:, :1]
    committed = np.where(np.isnan(c["commitment_accelerators"]), first, c["commitment_accelerators"])
    term = life_months(c["commitment_term_months"])
    start = np.floor(t / term) * term  # first month of the term running in month t
    term_charge = committed * HOURS_PER_MONTH * price * trend_factor(c["cloud_price_trend"], start)
    upfront = c["commitment_upfront"]
    monthly = term_charge * (1.0 - upfront)
    prepaid = np.where(t == start, upfront * term_charge * term, 0.0)
    beyond = np.where(t == months - 1, monthly * np.maximum(start + term - months, 0.0), 0.0)
    rented_by_hour = op.accelerators_by_hour()
    if rented_by_hour is None:
        above_hours = np.maximum(hours - committed * HOURS_PER_MONTH, 0.0)
    else:
        by_hour = np.maximum(rented_by_hour - committed[..., None], 0.0)
        above_hours = by_hour.sum(axis=-1) * (HOURS_PER_MONTH / HOURS_PER_DAY)
    above = above_hours * on_demand * trend
    return monthly + prepaid + beyond + above


@dataclass
class Ownership:
    """Cash and accounting flows of the on-prem units an option buys, per month (reporting currency):
    purchases, residual value at retirement, the end-of-horizon credit, financing cash flows, the value of
    the units in their lifetime (for maintenance), depreciation, interest or lease payments, and the loss
    against book value of the units credited at the end."""

    capex: np.ndarray
    residual: np.ndarray
    end_value: np.ndarray
    financing: np.ndarray
    in_service: np.ndarray
    depreciation: np.ndarray
    financing_accounting: np.ndarray
    end_value_accounting: np.ndarray

    @classmethod
    def none(cls, zeros: np.ndarray) -> Ownership:
        """Nothing bought (cloud and API options)."""
        return cls(zeros, zeros, zeros, zeros, zeros, zeros, zeros, zeros)


def ownership(option: OptionInputs, c: dict[str, np.ndarray], op: Operations) -> Ownership:
    """Flows of the units `op.purchases` bought at `unit_price` (with its trend), paid in cash, on a loan or
    leased; `c` holds the option's numeric fields as columns."""
    t, shape = op.t, op.shape
    last = t == shape[1] - 1
    zeros = np.zeros(shape)
    life = life_months(c["lifetime_months"])
    unit_price = c["unit_price"] * trend_factor(c["hardware_price_trend"], t)
    bought = _full(op.purchases * unit_price, shape)
    in_service = _in_life(bought, life)
    res = c["residual_value"]
    term = np.where(c["financing_term_months"] > 0, np.round(c["financing_term_months"]), life)
    out = Ownership.none(zeros)
    out.in_service = in_service
    if option.financing == "lease":
        out.financing = out.financing_accounting = lease_flows(bought, c["financing_rate"], term, life, res)
    elif option.financing in ("cash", "loan"):
        out.capex = bought
        out.residual = 0.0 - _lagged(bought, life) * res  # credits: negative, never -0.0
        credit, book = value_at_end(bought, life, res, option.end_value, option.resale_curve)
        out.end_value = np.where(last, 0.0 - credit[:, None], 0.0)
        if option.end_value != "none":
            out.end_value_accounting = np.where(last, (book - credit)[:, None], 0.0)
        out.depreciation = in_service * (1.0 - res) / life
        if option.financing == "loan":
            out.financing, out.financing_accounting = loan_flows(bought, c["financing_rate"], term)
    else:
        raise ValueError(f"financing {option.financing!r}: expected one of {', '.join(FINANCING)}")
    return out
