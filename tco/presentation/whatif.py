"""What the what-if controls show: their current values read back from a loaded scenario, and the headline
figures and number formatting of the app's page.

The app never changes numbers itself: every control edits the raw scenario through `tco.scenario.edit`
(strings with units, exactly as a user would write them in YAML), which is validated again and evaluated by
`tco.analysis.view.compute_view`. The downloaded YAML (`LoadedScenario.to_yaml()`) is therefore the what-if
state itself and reproduces the screen with `tco report`. Here: the controls' values in the units they show
(`scenario_controls`, `option_controls`, `task_controls`), and the page's headline figures (`headlines`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from tco.engine.constants import KG_PER_T
from tco.errors import InputError
from tco.presentation.format import ratio

if TYPE_CHECKING:
    from tco.analysis.evaluate import Results
    from tco.engine.inputs import OptionInputs
    from tco.scenario.load import LoadedScenario

PERCENT = 100.0  # % per unit fraction


# --------------------------------------------------------------------------- task portfolio (workload.tasks)


@dataclass(frozen=True)
class TaskControls:
    """One task's control values: its share (%, None when it has its own queries per day) and floor."""

    task: str
    share_pct: float | None
    quality_floor: float | None


def plan_objective(loaded: LoadedScenario) -> str:
    """What the planner minimises for `loaded` (`plan.objective`; `cost` when the scenario has no plan)."""
    plan = loaded.spec.plan
    return str(plan.objective) if plan is not None else "cost"


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
    tax_rate_pct: float = 0.0  # %, corporate income tax of the after-tax view


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
    return {o.id: o for o in loaded.resolved.options}


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
        baseline=loaded.resolved.baseline or spec.options[0].id,
        currency=spec.currency.reporting,
        tax_rate_pct=_pct(spec.tax_rate or 0.0),
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


FINANCING = ("cash", "loan", "lease")
END_VALUES = ("book", "resale", "none")
PRICINGS = ("on-demand", "committed", "spot")
# The on-demand markets a cloud option may rent in (tco.scenario.schema TIER_LABELS names them); `pricing`
# then picks the committed or spot capacity of that market.
CLOUD_MARKETS = ("gpu-cloud", "hyperscaler", "owner")
DEFAULT_FINANCING_RATE_PCT = 7.0  # %/year offered when a loan or lease is picked and the file names no rate


@dataclass(frozen=True)
class MoneyControls:
    """One option's money levers, in the units they show (None: the lever does not apply to the option)."""

    # on-prem: per accelerator, in list_currency: the file's quote or the data's purchase price
    list_price: float | None = None
    list_currency: str | None = None
    lifetime_months: float | None = None
    end_value: str | None = None
    financing: str | None = None
    financing_rate_pct: float | None = None  # %/year (a loan or lease; the default offered for cash)
    financing_term_months: float | None = None  # months (the lifetime when the file names no term)
    pricing: str | None = None  # cloud: on-demand, committed or spot
    # cloud: the rent per accelerator-hour the option pays now (its tier's, or its `cloud_price` quote)
    cloud_rate: float | None = None
    cloud_currency: str | None = None  # the reporting currency
    cloud_quote: float | None = None  # the file's `cloud_price`, in cloud_currency (None: the tier's price)
    # api: the offering's price per million input and output tokens, and the file's own (`api_price`)
    api_currency: str | None = None
    api_offer_in: float | None = None
    api_offer_out: float | None = None
    api_quote_in: float | None = None
    api_quote_out: float | None = None
    # cloud: the on-demand market the option rents in (None where the file names a committed or spot tier
    # itself), the markets its hardware has a price in, and the pricings that market offers
    cloud_market: str | None = None
    cloud_markets: tuple[str, ...] = ()
    pricings: tuple[str, ...] = PRICINGS


def _per_m(m: Any) -> float:
    """A price per token (a schema Money) as a number per million tokens, in its own currency."""
    from tco.scenario.resolve.api import per_mtoken

    return per_mtoken(float(m.value))


def _cloud_markets(loaded: LoadedScenario, opt: Any, pricing: str) -> dict[str, Any]:
    """A cloud option's market lever: the on-demand market it rents in (the file's `cloud_tier`, else the
    built-in default with its fallback, as tco.scenario.resolve.prices resolves it), the markets its
    hardware has a price in that offer the current pricing, and the pricings the current market offers.
    Only priced capacity is offered: a market without a committed tier is not offered under `committed`."""
    from tco.scenario.resolve.prices import COMMITTED_OF, DEFAULT_FALLBACK

    if opt.profile is None or opt.profile not in loaded.repo.models:
        return {}
    hw = loaded.repo.hardware[loaded.repo.models[opt.profile].hardware]
    have = {t for t, _ in hw.prices.items()}
    named = opt.cloud_tier or loaded.spec.defaults.cloud_tier
    if named is None:
        named = loaded.repo.site_defaults["cloud"].cloud_tier
        if named is not None and named not in have:
            named = DEFAULT_FALLBACK.get(named, named)
    if named not in CLOUD_MARKETS:  # the file names a committed or spot tier itself
        return {}

    def offers(market: str, p: str) -> bool:
        if p == "committed":
            return any(t in have for t in COMMITTED_OF.get(market, ()))
        return market != "owner" or p == "on-demand"

    markets = tuple(t for t in CLOUD_MARKETS if t in have and offers(t, pricing))
    if named not in markets:
        markets = (named, *markets)
    pricings = tuple(p for p in PRICINGS if offers(named, p) or p == pricing)
    return {"cloud_market": named, "cloud_markets": markets, "pricings": pricings}


def money_controls(loaded: LoadedScenario, option_id: str) -> MoneyControls:
    """Current values of one option's money levers (tco.scenario.edit's set_option_hardware_price and
    friends write them back)."""
    opt = next((o for o in loaded.spec.options if o.id == option_id), None)
    if opt is None:
        raise InputError(f"no option {option_id!r}", field="options")
    inputs = _inputs(loaded)[option_id]
    cur = loaded.resolved.finance.currency
    if opt.deployment == "cloud":
        quote = opt.cloud_price if opt.cloud_price is not None else loaded.spec.defaults.cloud_price
        return MoneyControls(
            pricing=inputs.cloud_pricing,
            cloud_rate=float(inputs.cloud_price_per_hour),
            cloud_currency=cur,
            cloud_quote=None if quote is None else float(inputs.cloud_price_per_hour),
            **_cloud_markets(loaded, opt, inputs.cloud_pricing),
        )
    if opt.deployment != "on-prem":
        offer = loaded.repo.apis[str(opt.api)]
        q = opt.api_price
        return MoneyControls(
            api_currency=offer.price.input.currency,
            api_offer_in=_per_m(offer.price.input),
            api_offer_out=_per_m(offer.price.output),
            api_quote_in=None if q is None or q.input is None else _per_m(q.input),
            api_quote_out=None if q is None or q.output is None else _per_m(q.output),
        )
    d = loaded.spec.defaults
    quote = opt.hardware_price if opt.hardware_price is not None else d.hardware_price
    if quote is None and opt.profile is not None:
        hw = loaded.repo.hardware[loaded.repo.models[opt.profile].hardware]
        quote = hw.prices.purchase.price if hw.prices.purchase is not None else None
    lifetime = float(inputs.lifetime_months)
    term = float(inputs.financing_term_months) or lifetime
    return MoneyControls(
        list_price=None if quote is None else float(quote.value),
        list_currency=None if quote is None else quote.currency,
        lifetime_months=lifetime,
        end_value=inputs.end_value,
        financing=inputs.financing,
        financing_rate_pct=_pct(inputs.financing_rate)
        if inputs.financing != "cash"
        else DEFAULT_FINANCING_RATE_PCT,
        financing_term_months=term,
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


def fleet_size_estimate(results: Results, option_id: str) -> int:
    """Accelerators an auto-sized fleet of the option peaks at (from the evaluated `results`): the starting
    value of a fixed fleet."""
    peak = float(results.summary["accelerators_peak"].astype(float).to_dict()[option_id])
    return max(1, math.ceil(peak - 1e-9))


# --------------------------------------------------------------------------- the widgets' state

W = "w:"  # prefix of the session-state keys of every what-if widget


def option_key(option_id: str, field: str) -> str:
    """Session-state key of one option's widget: `w:opt:<option>:<field>`."""
    return f"{W}opt:{option_id}:{field}"


def widget_state(loaded: LoadedScenario) -> dict[str, Any]:
    """Every what-if widget's value for `loaded`, by its session-state key: the one source of truth the app
    writes when a scenario is picked, uploaded or reset, and that every widget reads (so that what the
    sidebar shows is what was computed). A fixed fleet's size is here only when the scenario fixes it (an
    auto-sized fleet's starting size comes from its results, when the fleet is switched to fixed)."""
    c = scenario_controls(loaded)
    state: dict[str, Any] = {
        W + "qpd": c.queries_per_day,
        W + "growth": c.annual_growth_pct,
        W + "horizon": c.horizon_months,
        W + "discount": c.discount_rate_pct,
        W + "carbon": c.carbon_price,
        W + "baseline": c.baseline,
        W + "tax": c.tax_rate_pct,
    }
    if c.pue is not None:
        state[W + "pue"] = c.pue
    if c.electricity_escalation_pct is not None:
        state[W + "escalation"] = c.electricity_escalation_pct
    tasks = task_controls(loaded)
    share_based = [t for t in tasks if t.share_pct is not None]
    for t in share_based[:-1] if len(share_based) > 1 else []:
        state[W + f"share:{t.task}"] = t.share_pct
    for t in tasks:
        state[W + f"floor:{t.task}"] = t.quality_floor
    if tasks:
        state[W + "objective"] = plan_objective(loaded)
    for o in loaded.spec.options:
        oc = option_controls(loaded, o.id)
        state[option_key(o.id, "region")] = oc.region
        state[option_key(o.id, "grid")] = oc.grid_intensity
        if oc.deployment == "api":
            state[option_key(o.id, "api")] = oc.api
            quote = money_controls(loaded, o.id)  # None: the offering's price (an empty box)
            state[option_key(o.id, "api_input")] = quote.api_quote_in
            state[option_key(o.id, "api_output")] = quote.api_quote_out
            continue
        state[option_key(o.id, "hardware")] = oc.hardware
        state[option_key(o.id, "profile")] = oc.profile
        if oc.deployment == "on-prem":
            state[option_key(o.id, "price")] = oc.electricity_price
        state[option_key(o.id, "auto")] = oc.fleet_auto
        if oc.fleet_accelerators is not None:
            state[option_key(o.id, "fleet")] = oc.fleet_accelerators
        state[option_key(o.id, "util")] = oc.utilisation_pct
        m = money_controls(loaded, o.id)
        if m.pricing is not None:
            state[option_key(o.id, "pricing")] = m.pricing
        if m.cloud_market is not None and len(m.cloud_markets) > 1:  # one market: nothing to pick
            state[option_key(o.id, "cloud_market")] = m.cloud_market
        if m.cloud_rate is not None:  # None: the tier's price (an empty box)
            state[option_key(o.id, "cloud_rate")] = m.cloud_quote
        if m.financing is not None:
            if m.list_price is not None:
                state[option_key(o.id, "quote_pct")] = 0.0
            state[option_key(o.id, "lifetime")] = m.lifetime_months
            state[option_key(o.id, "end_value")] = m.end_value
            state[option_key(o.id, "financing")] = m.financing
            if m.financing != "cash":
                state[option_key(o.id, "financing_rate")] = m.financing_rate_pct
            if m.financing == "loan":
                state[option_key(o.id, "financing_term")] = m.financing_term_months
    return state


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
