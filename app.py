"""slm-tco what-if app: `streamlit run app.py`.

UI only. Every control edits the scenario's raw mapping through `tco.scenario.edit`; the edited scenario is
validated with `tco.api.scenario_from_dict` and computed once with `tco.api.compute_view` (its results and, for a
task portfolio, its plan); every number and chart on the page is read from that view by `tco.presentation`
(`charts`, `plan`, `tables`, `whatif.headlines`). The engine runs of earlier reruns are kept in the session
(`st.session_state["engine_runs"]`, tco.analysis.runs.EngineRuns), so a what-if re-plans only what it changed and shows
the numbers a fresh computation gives. The scenario download is that raw mapping, so `tco report` on it
reproduces the page. A scenario with `workload.tasks` (a task portfolio) opens on the plan: the sentence of
`tco.presentation.plan`, the plan's totals against the baseline plan and the Plan view, with each task's share
and quality floor as what-ifs; the cards of each option alone (the whole demand on one option) sit below,
folded. The shipped default is the portfolio.

The what-if state has one source of truth: the widgets' keys in `st.session_state`
(`tco.presentation.whatif.widget_state`). Picking or uploading a scenario and "Reset what-ifs" write every key
from the file before any widget is drawn, and each widget reads its key (none is given a `value=`), so what the
sidebar shows is what the page computed.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import streamlit as st

from pages.common import (
    MAX_UPLOAD_MB,
    session_profiles,
    session_repository,
    session_runs,
    upload_bytes,
    uploaded_profile_files,
    whatif_view,
)
from tco.api import (
    DEFAULT_SCENARIO,
    LoadedScenario,
    Results,
    View,
    complete,
    compute_view,
    diff_views,
    hourly_frame,
    load_scenario,
    scenario_from_dict,
)
from tco.errors import TcoError
from tco.presentation import charts, tables, whatif
from tco.presentation import diff as diff_view
from tco.presentation import plan as plan_view
from tco.presentation.answer import answer, price_notes
from tco.presentation.reports import formats
from tco.scenario import edit
from tco.scenario.repository import Repository
from tco.scenario.schema import TIER_LABELS
from tco.scenario.yamlio import parse_yaml_text

if TYPE_CHECKING:
    from tco.analysis.portfolio import PortfolioPlans

W = whatif.W  # prefix of the keys of what-if widgets, written from the scenario when one is picked or reset
# The views' own pickers (an option, a month, a plan): cleared with the what-ifs, as they name the old options.
VIEW_PICKS = ("hours_option", "hours_month", "region_view_option", "assumptions_option", "plan_pick")
RESEED = "reseed"  # session_state flag: a new upload replaced the picked scenario's content
UPLOADED = "uploaded_scenarios"  # session_state: {label: (file name, raw mapping)}
VIEWS = [
    "Cost over time",
    "Yearly cost",
    "Emissions",
    "Quality trade-off",
    "Load curve",
    "Hours",
    "Regions",
    "Assumptions",
    "Table",
    "Compare",
]
COMPARE = "Compare"  # the view of the pinned what-if (A) against the current one (B)
PINNED = "pinned_view"  # session_state: the View pinned as A ("Pin this what-if"), kept across scenarios
DeltaColor = Literal["normal", "inverse", "off"]
DELTA_COLORS: dict[str, DeltaColor] = {"better": "normal", "worse": "inverse"}


def _delta_color(direction: str | None) -> DeltaColor:
    return DELTA_COLORS.get(direction or "", "off")


# --------------------------------------------------------------------------- scenario choice


def _clear_whatif_state() -> None:
    for k in [k for k in st.session_state if isinstance(k, str) and (k.startswith(W) or k in VIEW_PICKS)]:
        del st.session_state[k]


def _seed_whatif_state(base: LoadedScenario) -> None:
    """Write every what-if widget's value from `base` (tco.presentation.whatif.widget_state): the one source of
    truth of the what-if. Called when a scenario is picked or uploaded and on "Reset what-ifs", before any
    widget of the run is drawn, so every widget (and the browser's copy of it) shows the file's values."""
    _clear_whatif_state()
    st.session_state.update(whatif.widget_state(base))


def _ensure(key: str, value: Any) -> str:
    """`key`, holding `value` unless the session already holds one: for widgets drawn only sometimes (a fixed
    fleet's size, a power price), whose state Streamlit forgets while they are not drawn."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def _handle_upload(repo: Repository) -> None:
    """Validate a newly uploaded scenario; keep it in the session if good, remember the error if not."""
    up = st.session_state.get("scenario_upload")
    if up is None:
        st.session_state.pop("upload_error", None)
        return
    if st.session_state.get("upload_seen") == up.file_id:
        return
    st.session_state["upload_seen"] = up.file_id
    st.session_state.pop("upload_error", None)
    try:
        raw = parse_yaml_text(upload_bytes(up), file=up.name)
        scenario_from_dict(raw, file=up.name, repo=repo, uploaded_profiles=uploaded_profile_files())
    except TcoError as e:
        st.session_state["upload_error"] = str(e)
        return
    label = f"Uploaded: {up.name}"
    st.session_state.setdefault(UPLOADED, {})[label] = (up.name, raw)
    st.session_state["scenario_choice"] = label
    st.session_state[RESEED] = True  # the same label may now hold another file's values


def _base_scenario(repo: Repository) -> LoadedScenario:
    """The scenario picked in the sidebar, as loaded (before any what-if edit)."""
    slot = st.sidebar.container()
    st.sidebar.file_uploader(
        "…or upload a scenario (YAML)",
        type=["yaml", "yml"],
        key="scenario_upload",
        max_upload_size=MAX_UPLOAD_MB,
        help="The same format `tco report` reads; see profiles/scenarios/ for examples.",
    )
    _handle_upload(repo)
    uploaded: dict[str, tuple[str, dict[str, Any]]] = st.session_state.get(UPLOADED, {})
    shipped = list(repo.scenario_files())
    names = shipped + list(uploaded)
    if st.session_state.get("scenario_choice") not in names:
        st.session_state["scenario_choice"] = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else names[0]
    choice = slot.selectbox("Scenario", names, key="scenario_choice")
    if choice in uploaded:
        name, raw = uploaded[choice]
        base = scenario_from_dict(raw, file=name, repo=repo, uploaded_profiles=uploaded_profile_files())
    else:
        base = load_scenario(choice, repo=repo)
    reseed = st.session_state.pop(RESEED, False)
    if reseed or st.session_state.get("active_scenario") != choice:
        _seed_whatif_state(base)
        st.session_state["active_scenario"] = choice
    return base


def _base_results(base: LoadedScenario) -> Results:
    """The picked scenario's results before any what-if (kept in the session's runs)."""
    return compute_view(base, plan=False, runs=session_runs()).results


# --------------------------------------------------------------------------- controls -> edited raw


def _scenario_controls(base: LoadedScenario, raw: dict[str, Any]) -> dict[str, Any]:
    """Sidebar controls of scenario-wide inputs; returns the raw mapping with the changed ones applied."""
    c = whatif.scenario_controls(base)
    sb = st.sidebar
    sb.subheader("Workload")
    qpd = sb.number_input(
        "Queries per day",
        min_value=1.0,
        max_value=1e12,
        step=100_000.0,
        format="%.0f",
        key=_ensure(W + "qpd", c.queries_per_day),
    )
    if qpd != c.queries_per_day:
        raw = edit.set_queries_per_day(raw, qpd)
    growth = sb.slider(
        "Annual growth (%/year)",
        min(-50.0, c.annual_growth_pct),
        max(200.0, c.annual_growth_pct),
        step=1.0,
        key=_ensure(W + "growth", c.annual_growth_pct),
    )
    if growth != c.annual_growth_pct:
        raw = edit.set_annual_growth(raw, growth)
    if plan_view.has_tasks(base):  # a portfolio: its tasks' shares and floors right under the workload
        raw = _task_controls(base, raw)

    sb.subheader("Finance")
    horizon = sb.slider(
        "Horizon (months)",
        min(6, c.horizon_months),
        max(120, c.horizon_months),
        step=6 if c.horizon_months % 6 == 0 else 1,
        key=_ensure(W + "horizon", c.horizon_months),
    )
    if horizon != c.horizon_months:
        raw = edit.set_horizon(raw, horizon)
    rate = sb.slider(
        "Discount rate (%/year)",
        0.0,
        max(30.0, c.discount_rate_pct),
        step=0.5,
        key=_ensure(W + "discount", c.discount_rate_pct),
    )
    if rate != c.discount_rate_pct:
        raw = edit.set_discount_rate(raw, rate)
    carbon = sb.slider(
        f"Carbon price ({c.carbon_price_currency}/tCO2e)",
        0.0,
        max(500.0, c.carbon_price),
        step=5.0,
        key=_ensure(W + "carbon", c.carbon_price),
    )
    if carbon != c.carbon_price:
        raw = edit.set_carbon_price(raw, carbon, c.carbon_price_currency)
    tax = sb.slider(
        "Tax rate (%)",
        0.0,
        max(60.0, c.tax_rate_pct),
        step=1.0,
        key=_ensure(W + "tax", c.tax_rate_pct),
        help="Corporate income tax: the after-tax totals deduct running costs, depreciation and interest.",
    )
    if tax != c.tax_rate_pct:
        raw = edit.set_tax_rate(raw, tax)

    sb.subheader("Sites")
    if c.pue is not None:
        pue = sb.slider(
            "PUE of on-prem sites",
            1.0,
            max(2.5, c.pue),
            step=0.01,
            key=_ensure(W + "pue", c.pue),
            help="Facility energy over IT energy of your own data centre: sets the PUE of every on-prem "
            "option. Cloud options keep their provider's PUE.",
        )
        if pue != c.pue:
            raw = edit.set_pue(raw, pue)
    if c.electricity_escalation_pct is not None:
        esc = sb.slider(
            "Electricity price escalation (%/year)",
            min(-10.0, c.electricity_escalation_pct),
            max(20.0, c.electricity_escalation_pct),
            step=0.5,
            key=_ensure(W + "escalation", c.electricity_escalation_pct),
            help="Yearly change of the electricity price of on-prem options (cloud rental includes power).",
        )
        if esc != c.electricity_escalation_pct:
            raw = edit.set_electricity_escalation(raw, esc)
    return raw


def _region_changed(base: LoadedScenario, opt_id: str) -> None:
    """A new region fills the option's grid intensity and power price from that region (or the file's own
    values when it is the file's region again): written before the next run draws the widgets."""
    c = whatif.option_controls(base, opt_id)
    region = st.session_state[whatif.option_key(opt_id, "region")]
    if region == c.region:
        grid, price = c.grid_intensity, c.electricity_price
    else:
        grid, price, _ = whatif.inherited_site_values(base, region)
    st.session_state[whatif.option_key(opt_id, "grid")] = grid
    if c.deployment == "on-prem":
        st.session_state[whatif.option_key(opt_id, "price")] = price


def _option_controls(
    base: LoadedScenario, repo: Repository, opt_id: str, raw: dict[str, Any], name_slots: dict[str, Any]
) -> dict[str, Any]:
    """Controls of one option (model, hardware, region, fleet, utilisation); each reads its value from the
    session state (`whatif.option_key`), written from the scenario when it was picked or reset. The option's
    name goes in `name_slots[opt_id]` once the what-if is computed (`_option_names`): it says the current
    model, hardware and region."""
    c = whatif.option_controls(base, opt_id)

    def k(field: str, value: Any) -> str:
        return _ensure(whatif.option_key(opt_id, field), value)

    name_slots[opt_id] = st.empty()
    if c.deployment == "api":
        apis = sorted(repo.apis)
        api = st.selectbox("API offering", apis, key=k("api", c.api), format_func=lambda a: repo.apis[a].name)
        if api != c.api:
            raw = edit.set_option_api(raw, opt_id, api)
    else:
        hardware = sorted({p.hardware for p in repo.models.values()})
        hw = st.selectbox(
            "Hardware", hardware, key=k("hardware", c.hardware), format_func=lambda h: repo.hardware[h].name
        )
        profiles = sorted(pid for pid, p in repo.models.items() if p.hardware == hw)
        profile_key = k("profile", c.profile)
        if st.session_state[profile_key] not in profiles:  # another GPU: its first profile
            st.session_state[profile_key] = c.profile if c.profile in profiles else profiles[0]
        profile = st.selectbox(
            "Model profile",
            profiles,
            key=profile_key,
            format_func=lambda p: f"{repo.models[p].model.name} ({p})",
        )
        if profile != c.profile:
            raw = edit.set_option_profile(raw, opt_id, profile)
    regions = sorted(repo.regions)
    region = st.selectbox(
        "Region",
        regions,
        key=k("region", c.region),
        format_func=lambda r: f"{repo.regions[r].name} ({r})",
        on_change=_region_changed,
        args=(base, opt_id),
    )
    if region != c.region:
        raw = edit.set_option_region(raw, opt_id, region)
        grid0, price0, cur = whatif.inherited_site_values(base, region)
    else:
        grid0, price0, cur = c.grid_intensity, c.electricity_price, c.price_currency
    g1, g2 = st.columns(2)
    grid = g1.number_input(
        "Grid (gCO2e/kWh)",
        0.0,
        max(2000.0, grid0),
        step=10.0,
        format="%.0f",
        key=k("grid", grid0),
        help="Filled from the region; an edit overrides it for this option.",
    )
    if grid != grid0:
        raw = edit.set_option_grid_intensity(raw, opt_id, grid)
    if c.deployment == "on-prem":  # cloud rent and API prices include power: a price here changes nothing
        price = g2.number_input(
            f"Power ({cur}/kWh)",
            0.0,
            max(10.0, price0),
            step=0.01,
            format="%.4f",
            key=k("price", price0),
            help="Filled from the region; an edit overrides it for this option.",
        )
        if price != price0:
            raw = edit.set_option_electricity_price(raw, opt_id, price, cur)
    if c.deployment != "api":
        auto = st.toggle("Auto-size fleet from peak load", key=k("auto", c.fleet_auto))
        if not auto:
            n0 = c.fleet_accelerators or whatif.fleet_size_estimate(_base_results(base), opt_id)
            n = st.number_input("Accelerators (fixed fleet)", 1, 1_000_000, step=1, key=k("fleet", n0))
            if c.fleet_auto or n != n0:
                raw = edit.set_option_fleet(raw, opt_id, int(n))
        elif not c.fleet_auto:
            raw = edit.set_option_fleet(raw, opt_id, None)
        util = st.slider("Utilisation target (%)", 5.0, 100.0, step=1.0, key=k("util", c.utilisation_pct))
        if util != c.utilisation_pct:
            raw = edit.set_option_utilisation(raw, opt_id, util)
    return _money_controls(base, opt_id, raw)


def _option_names(results: Results, name_slots: dict[str, Any]) -> None:
    """Each option card's title: the option's name as computed (tco.scenario.names: its current model,
    hardware and region), its id and deployment."""
    s = results.summary
    for opt_id, slot in name_slots.items():
        name, deployment = str(s.loc[opt_id, "name"]), str(s.loc[opt_id, "deployment"])
        slot.markdown(f"**{name}**  \n`{opt_id}` · {deployment}")


def _money_controls(base: LoadedScenario, opt_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    """One option's money levers, in words with units: a cloud option's pricing; an on-prem option's purchase
    price (a vendor quote as a % change of the file's price), lifetime, end-of-horizon value and financing.
    Each edits the scenario (tco.scenario.edit), so the downloaded YAML carries it."""
    m = whatif.money_controls(base, opt_id)

    def k(field: str, value: Any) -> str:
        return _ensure(whatif.option_key(opt_id, field), value)

    if m.pricing is not None:
        pricing = st.selectbox(
            "Cloud pricing",
            m.pricings,
            key=k("pricing", m.pricing),
            help="On demand, committed (the market's longest committed term with a price) or spot; only "
            "what the market has a price for.",
        )
        if pricing != m.pricing:
            raw = edit.set_option_pricing(raw, opt_id, pricing)
    if m.cloud_market is not None and len(m.cloud_markets) > 1:
        market = st.selectbox(
            "Cloud market",
            m.cloud_markets,
            format_func=lambda t: TIER_LABELS[t],
            key=k("cloud_market", m.cloud_market),
            help="Where the option rents: only the markets its hardware has a sourced price in that offer "
            "the pricing above.",
        )
        if market != m.cloud_market:
            raw = edit.set_option_cloud_tier(raw, opt_id, market)
    if m.cloud_rate is not None:
        raw = _cloud_rate_control(m, opt_id, raw, k)
    if m.api_offer_in is not None:
        raw = _api_price_controls(m, opt_id, raw, k)
    if m.financing is None:
        return raw
    if m.list_price is not None and m.list_currency is not None:
        pct = st.number_input(
            f"Purchase price vs {whatif.format_number(m.list_price)} {m.list_currency} per accelerator (%)",
            -90.0,
            300.0,
            step=5.0,
            format="%.1f",
            key=k("quote_pct", 0.0),
            help="A vendor quote as a change of the price per accelerator: -20 is a quote 20 % below it.",
        )
        if pct != 0.0:
            raw = edit.set_option_hardware_price(
                raw, opt_id, m.list_price * (1 + pct / 100.0), m.list_currency
            )
    assert m.lifetime_months is not None and m.end_value is not None
    life = st.number_input(
        "Lifetime (months)", 1.0, 240.0, step=6.0, format="%.0f", key=k("lifetime", m.lifetime_months)
    )
    if life != m.lifetime_months:
        raw = edit.set_option_lifetime(raw, opt_id, life)
    end = st.selectbox(
        "End-of-horizon value",
        whatif.END_VALUES,
        key=k("end_value", m.end_value),
        help="Credit for units still in service at the end: their book value, their resale value, or none.",
    )
    if end != m.end_value:
        raw = edit.set_option_end_value(raw, opt_id, end)
    financing = st.selectbox(
        "Paid by", whatif.FINANCING, key=k("financing", m.financing), help="Cash, a loan or a lease."
    )
    if financing == "cash":
        if m.financing != "cash":
            raw = edit.set_option_financing(raw, opt_id, "cash")
        return raw
    assert m.financing_rate_pct is not None and m.financing_term_months is not None
    rate = st.number_input(
        "Rate (%/year)", 0.0, 100.0, step=0.5, format="%.2f", key=k("financing_rate", m.financing_rate_pct)
    )
    term = m.financing_term_months
    if financing == "loan":  # a lease runs for the units' lifetime
        term = st.number_input(
            "Loan term (months)",
            1.0,
            600.0,
            step=6.0,
            format="%.0f",
            key=k("financing_term", m.financing_term_months),
        )
    if financing != m.financing or rate != m.financing_rate_pct or term != m.financing_term_months:
        raw = edit.set_option_financing(raw, opt_id, financing, rate, term)
    return raw


def _cloud_rate_control(m: whatif.MoneyControls, opt_id: str, raw: dict[str, Any], k: Any) -> dict[str, Any]:
    """A cloud option's rent per accelerator-hour as a number (`cloud_price`): empty is its tier's price."""
    assert m.cloud_rate is not None and m.cloud_currency is not None
    rate = st.number_input(
        f"Cloud rate ({m.cloud_currency} per accelerator-hour)",
        min_value=0.0,
        max_value=1000.0,
        value=None,
        step=0.1,
        format="%.4f",
        key=k("cloud_rate", m.cloud_quote),
        placeholder=f"{whatif.format_number(m.cloud_rate)}: the tier's price",
        help="Your own rate (a negotiated or reserved price) in place of the price tier's; empty: the tier's.",
    )
    if rate != m.cloud_quote:
        raw = edit.set_option_cloud_price(raw, opt_id, rate, m.cloud_currency)
    return raw


def _api_price_controls(m: whatif.MoneyControls, opt_id: str, raw: dict[str, Any], k: Any) -> dict[str, Any]:
    """An API option's price per million input and output tokens (`api_price`): empty is the offering's."""
    assert m.api_offer_in is not None and m.api_offer_out is not None and m.api_currency is not None
    a, b = st.columns(2)
    prices = []
    for col, side, offer, quote in (
        (a, "input", m.api_offer_in, m.api_quote_in),
        (b, "output", m.api_offer_out, m.api_quote_out),
    ):
        prices.append(
            col.number_input(
                f"API price, {side} ({m.api_currency} per million {side} tokens)",
                min_value=0.0,
                max_value=10_000.0,
                value=None,
                step=0.05,
                format="%.4f",
                key=k(f"api_{side}", quote),
                placeholder=f"{whatif.format_number(offer)}: the offering's",
                help=f"Your own price per million {side} tokens in place of the offering's; empty: the offering's.",
            )
        )
    if prices != [m.api_quote_in, m.api_quote_out]:
        raw = edit.set_option_api_price(raw, opt_id, prices[0], prices[1], m.api_currency)
    return raw


# --------------------------------------------------------------------------- results


def _headlines(results: Results) -> None:
    s = results.summary
    st.caption(f"Ratios are to the baseline, **{results.baseline}**; lower cost and emissions are better.")
    for opt_id in s["option"]:
        row = s.loc[opt_id]
        with st.container(border=True, key=f"headline-{opt_id}"):
            tag = " · baseline" if row["is_baseline"] else ""
            warn = "" if row["slo_met"] else " · ⚠ latency SLO not met"
            floor = (
                ""
                if row["meets_quality_floor"]
                else " · ⚠ no quality score for this task"
                if math.isnan(row["quality"])
                else " · ⚠ below quality floor"
            )
            st.markdown(
                f"**{row['name']}** &nbsp; <span style='color:#777'>`{opt_id}` · {row['deployment']} · "
                f"{row['hardware']} · {row['region']}{tag}{warn}{floor}</span>",
                unsafe_allow_html=True,
            )
            for col, h in zip(st.columns(6), whatif.headlines(results, opt_id), strict=True):
                col.metric(
                    h.label,
                    h.value,
                    delta=f"{h.ratio} vs baseline" if h.ratio else None,
                    delta_color=_delta_color(h.direction),
                    delta_arrow="off",
                    help=h.help,
                )


def _plan_headlines(plans: PortfolioPlans) -> None:
    """The optimised plan's totals against the baseline plan, as cards (tco.presentation.plan)."""
    with st.container(border=True, key="plan-headline"):
        for col, h in zip(st.columns(4), plan_view.plan_headlines(plans), strict=True):
            col.metric(
                h.label,
                h.value,
                delta=h.delta,
                delta_color=_delta_color(h.direction),
                delta_arrow="off",
                help=h.help,
            )


@st.cache_data(show_spinner=False, max_entries=32)
def _region_frame(yaml_text: str, option_id: str, repo_key: str, _view: View) -> pd.DataFrame:
    """The option's region sweep (tco.analysis.regions), computed once per what-if (the YAML), option and
    session profiles."""
    return complete(_view, regions=(option_id,)).regions[option_id]


def _view(view: str, computed: View, repo_key: str) -> None:
    loaded, results = computed.loaded, computed.results
    assert loaded is not None
    if view == "Cost over time":
        st.altair_chart(charts.cumulative_cost_chart(results), width="content")
    elif view == "Yearly cost":
        st.altair_chart(charts.yearly_cost_chart(results), width="content")
    elif view == "Emissions":
        st.altair_chart(charts.emissions_split_chart(results), width="content")
    elif view == "Quality trade-off":
        with_charts = complete(computed, charts=True)
        st.altair_chart(charts.quality_tradeoff_chart(with_charts, x="cost"), width="content")
        st.altair_chart(charts.quality_tradeoff_chart(with_charts, x="emissions"), width="content")
    elif view == "Load curve":
        with_charts = complete(computed, charts=True)
        st.altair_chart(charts.load_curve_chart(with_charts), width="content")
        st.altair_chart(charts.interactivity_chart(with_charts), width="content")
    elif view == "Hours":
        hosted = [o.id for o in results.resolved.options if o.deployment != "api"]
        if not hosted:
            st.info("No hosted option: an API's cost and energy per query do not depend on the hour.")
        else:
            a, b = st.columns(2)
            opt = a.selectbox("Option", hosted, key="hours_option")
            months = results.resolved.finance.months
            month = b.number_input("Month", min_value=1, max_value=months, value=1, key="hours_month")
            frame = hourly_frame(results.resolved, opt, int(month) - 1)
            st.altair_chart(charts.hourly_chart(frame), width="content")
            st.dataframe(tables.hourly_table(frame, results.currency), hide_index=True, width="stretch")
    elif view == "Regions":
        ids = list(results.summary["option"])
        opt = st.selectbox("Option to move across regions", ids, key="region_view_option")
        frame = _region_frame(loaded.to_yaml(), opt, repo_key, computed)
        st.altair_chart(charts.region_chart(frame), width="content")
        st.dataframe(tables.region_table(frame, results.currency), hide_index=True, width="stretch")
        for rid, why in frame.attrs.get("skipped", {}).items():
            st.caption(f"{rid} left out: {why}")
    elif view == "Assumptions":
        st.caption(
            "Every input the engine used, with its source. Edit the scenario or a profile to change one."
        )
        pick = st.selectbox("Show", tables.assumption_choices(results), key="assumptions_option")
        st.dataframe(tables.assumptions_table(results, pick), hide_index=True, width="stretch")
    elif view == "Table":
        st.dataframe(tables.summary_table(results), width="stretch")


# --------------------------------------------------------------------------- task portfolio (workload.tasks)

PLAN_VIEW = "Plan"  # first view when the scenario lists workload.tasks
TIMELINE_VIEW = "Plan over time"  # the optimised plan against its baseline, month by month and year by year


def _task_controls(base: LoadedScenario, raw: dict[str, Any]) -> dict[str, Any]:
    """Sidebar controls of each task's share and quality floor; the last share-based task takes what the
    others leave, so the shares always sum to 100 % (tco.scenario.edit.set_task_shares)."""
    controls = whatif.task_controls(base)
    sb = st.sidebar
    sb.subheader("Tasks")
    share_based = [c for c in controls if c.share_pct is not None]
    free = share_based[:-1] if len(share_based) > 1 else []
    shares = {}
    for c in free:
        assert c.share_pct is not None
        shares[c.task] = sb.slider(
            f"{c.task}: share of queries (%)",
            0.0,
            100.0,
            step=1.0,
            key=_ensure(W + f"share:{c.task}", float(c.share_pct)),
        )
    if free and any(shares[c.task] != c.share_pct for c in free):
        try:
            raw = edit.set_task_shares(raw, shares)
        except TcoError as e:
            sb.error(str(e))
    if free:
        last = share_based[-1].task
        rest = 100.0 - sum(shares.values())
        sb.caption(f"{last}: {max(rest, 0.0):.4g} % (what the other shares leave; shares sum to 100 %)")
    objective0 = whatif.plan_objective(base)
    objective = sb.selectbox(
        "Plan objective",
        list(plan_view.OBJECTIVES),
        key=_ensure(W + "objective", objective0),
        format_func=lambda o: plan_view.OBJECTIVES[o][:1].upper() + plan_view.OBJECTIVES[o][1:],
        help="What the planner minimises over the horizon. With the carbon price, every plan's cost includes "
        "the carbon price it pays (the sidebar's Carbon price).",
    )
    if objective != objective0:
        raw = edit.set_plan_objective(raw, objective)
    for c in controls:
        floor = sb.number_input(
            f"{c.task}: quality floor (its own metric)",
            min_value=0.0,
            max_value=1.0,
            step=0.01,
            format="%.3f",
            key=_ensure(W + f"floor:{c.task}", c.quality_floor),
            help="Empty: no floor. A fraction in the task's quality metric (accuracy, ROUGE-L, pass@1...).",
        )
        if floor != c.quality_floor:
            raw = edit.set_task_quality_floor(raw, c.task, floor)
    return raw


def _task_cards(cards: list[plan_view.TaskCard], currency: str) -> None:
    """One bordered card per task: who serves it, cost and emissions per query and per correct answer, quality
    against its floor (tco.presentation.plan.task_cards)."""
    per_row = 4
    for start in range(0, len(cards), per_row):
        for col, card in zip(st.columns(per_row), cards[start : start + per_row], strict=False):
            with col, st.container(border=True, key=f"task-{card.task}"):
                st.markdown(f"**{card.task}** · {card.share}  \n{card.served_by}")
                st.markdown(
                    f"- Cost: **{card.cost_per_1k} {currency}** per 1,000 queries, "
                    f"**{card.cost_per_1k_correct} {currency}** per 1,000 correct answers\n"
                    f"- Emissions: **{card.g_per_query} gCO2e** per query, **{card.g_per_correct} gCO2e** "
                    "per correct answer\n"
                    f"- Quality: {card.quality}"
                )
                if card.ok:
                    st.caption("Meets its quality floor and latency SLO.")
                else:
                    st.caption(f"⚠ {card.why_not[0].upper()}{card.why_not[1:]}.")


def _plan_table_view(plans: PortfolioPlans) -> None:
    st.caption(
        "Each task goes to one option (or a cascade); tasks on the same option share its fleet. Every plan is "
        "priced by the engine hour by hour; quality is per task in its own metric, never averaged."
    )
    st.markdown("**Per task: who serves what, and what a query and a correct answer cost and emit**")
    names = [plans.optimised.name, *(p.name for p in plans.compared)]
    pick = st.selectbox("Plan to show per task", names, key="plan_pick")
    chosen = plan_view.plan_named(plans, pick)
    _task_cards(plan_view.task_cards(plans, chosen), plans.currency)
    st.markdown("**Every measure per task**")
    per_task = plan_view.display(plan_view.tasks_table(plans, (chosen,)).drop(columns="plan"), plans.currency)
    # tasks as columns, measures as rows (headers in words with units): every measure in view at once
    # static tables: every cell wraps and shows in full (a grid would cut names such as the serving option)
    shown = per_task.set_index("Task").T
    shown.columns.name = None
    st.table(shown)
    st.markdown("**Plans compared**")
    st.table(plan_view.display(plan_view.plans_table(plans), plans.currency), hide_index=True)
    _plan_bom_view(plans)
    with st.expander("How the plans are found and priced", key="plan-assumptions"):
        st.markdown("\n".join(f"- {a}" for a in plans.assumptions))


def _plan_bom_view(plans: PortfolioPlans) -> None:
    """The optimised plan's bill of materials (a plan with hosted fleets), its totals per GPU type and region,
    the runner-up's cost and what the catalogue search left out (tco.presentation.plan), and the runner-up
    plan's bill."""
    if not plans.bill_of_materials:
        return
    st.markdown("**Bill of materials of the optimised plan: what a buyer orders per fleet**")
    st.table(plan_view.display(plan_view.bom_table(plans), plans.currency), hide_index=True)
    st.markdown("\n".join(f"- {line}" for line in plan_view.search_lines(plans)))
    if plans.runner_up_bill:
        with st.expander("Bill of materials of the runner-up plan", key="plan-bom-runner-up"):
            shown = plan_view.display(plan_view.bom_table(plans, plans.runner_up_bill), plans.currency)
            st.table(shown, hide_index=True)


def _plan_timeline_view(computed: View) -> None:
    """The optimised plan against its baseline over time: cumulative cost, yearly cost by component, yearly
    emissions and the yearly table (tco.presentation.plan_timeline, of the view's timeline)."""
    from tco.presentation import plan_timeline as pt

    tl = computed.timeline
    if tl is None:
        st.info("No plan over time: the plan could not be computed (see above).")
        return
    st.caption(pt.basis_note(tl))
    saving = pt.saving_lines(tl)
    if saving:
        st.markdown("\n".join(f"- {line}" for line in saving))
    for title, chart in pt.timeline_charts(tl).items():
        st.altair_chart(chart, width="content", key=f"timeline-{title}")
    st.markdown("**Year by year: cost by component and emissions**")
    st.table(pt.display(tl), hide_index=True)


# --------------------------------------------------------------------------- compare two what-ifs


def _pin_controls(computed: View) -> None:
    """Sidebar: pin the current what-if as A (kept while scenarios and levers change), or unpin it."""
    sb = st.sidebar
    sb.subheader("Compare what-ifs")
    if sb.button(
        "Pin this what-if as A",
        key="pin",
        width="stretch",
        help="Keep these inputs and numbers; change anything, then open the Compare view for A against now.",
    ):
        st.session_state[PINNED] = computed
    pinned: View | None = st.session_state.get(PINNED)
    if pinned is None:
        sb.caption("Nothing pinned: the Compare view compares a pinned what-if (A) with the current one (B).")
        return
    assert pinned.loaded is not None
    sb.caption(f"A: {pinned.loaded.name}, {whatif.workload_line(pinned.loaded)}.")
    if sb.button("Unpin A", key="unpin", width="stretch"):
        del st.session_state[PINNED]
        st.rerun()


def _highlight(frame: pd.DataFrame) -> Any:
    """The results table styled: rows that moved on a pale yellow, a fall green and a rise red (lower cost and
    emissions are better)."""
    changed = frame["Changed"].tolist()
    shown = frame.drop(columns="Changed")

    def row_style(row: pd.Series) -> list[str]:
        if not changed[int(row.name)]:  # type: ignore[call-overload]
            return ["color: #888"] * len(row)
        colour = "#1a7f37" if str(row["Change"]).startswith("-") else "#cf222e"
        return [
            "background-color: #fff8c5; font-weight: 600"
            + (f"; color: {colour}" if c.startswith("Change") else "")
            for c in row.index
        ]

    return shown.style.apply(row_style, axis=1)


def _compare_view(computed: View) -> None:
    """The pinned what-if (A) against the current one (B): the inputs that differ (field path, values as
    written with their units) and how every option's totals, the plan's headline and emissions move
    (tco.analysis.diff computes, tco.presentation.diff words it)."""
    pinned: View | None = st.session_state.get(PINNED)
    if pinned is None:
        st.info(
            "Pin this what-if (sidebar, Compare what-ifs), change anything, and this view shows the pinned one "
            "(A) and the current one (B) side by side, with what moved highlighted.",
            icon=":material/push_pin:",
        )
        return
    try:
        d = diff_views(pinned, computed)
    except TcoError as e:
        st.error(str(e))
        return
    st.markdown(
        diff_view.headline(d), help="B - A, and in % of A. A is the pinned what-if, B the current one."
    )
    with st.container(key="compare-inputs"):
        st.markdown("**Inputs that differ** (as written in the scenario, with their units)")
        if d.inputs:
            st.table(diff_view.inputs_frame(d), hide_index=True)
        else:
            st.caption("The same inputs: nothing moved.")
    if d.plan_basis:
        st.caption(f"Plan objective: {d.plan_basis}.")
    for line in diff_view.route_lines(d):
        st.markdown(f"- Routing moved: {line}")
    frame = diff_view.results_frame(d)
    with st.container(key="compare-results"):
        st.markdown(f"**Results: B against A** ({d.currency}; emissions in kgCO2e; moved rows highlighted)")
        st.table(_highlight(frame), hide_index=True)
    if d.only_a:
        st.caption("Only in A: " + ", ".join(d.names.get(o, o) for o in d.only_a))
    if d.only_b:
        st.caption("Only in B: " + ", ".join(d.names.get(o, o) for o in d.only_b))


def _downloads(computed: View) -> None:
    loaded = computed.loaded
    assert loaded is not None
    sb = st.sidebar
    sb.subheader("Download")
    stem = Path(loaded.file).stem or "scenario"
    yaml_text = loaded.to_yaml()
    st.session_state["whatif_yaml"] = yaml_text
    sb.download_button(
        "Scenario YAML (this what-if)",
        yaml_text,
        file_name=f"{stem}-whatif.yaml",
        mime="application/x-yaml",
        on_click="ignore",
        key="download_scenario",
        width="stretch",
        help="Reproduces these numbers with `tco report FILE`.",
    )
    names = list(formats.FORMATS)
    name = sb.selectbox(
        "Report format", names, format_func=lambda n: formats.FORMATS[n].label, key="report_format"
    )
    fmt = formats.get(name)

    def build() -> bytes:
        """The report of this what-if: its view completed with what the format needs (the analysis tables,
        the charts' data, the workbook's values), when the button is pressed."""
        from tco.presentation import reports

        try:
            full = complete(computed, analysis=True, charts=fmt.charts, workbook=fmt.workbook)
            return reports.render(full, fmt.name)
        except TcoError as e:
            return f"could not write the report: {e}\n".encode()

    sb.download_button(
        f"Report ({fmt.label})",
        build,
        file_name=fmt.file_name(stem, download=True),
        mime=fmt.mime,
        on_click="ignore",
        key="download_report",
        width="stretch",
        help=f"The same file `tco report --format {fmt.name}` writes.",
    )


# --------------------------------------------------------------------------- page


CSS = """
<style>
[data-testid="stMainBlockContainer"] {padding-top: 2.2rem;}
[data-testid="stMetricValue"] {font-size: 1.6rem;}
[data-testid="stMetricLabel"] p {font-size: 0.82rem; color: #555;}
/* card labels and deltas wrap rather than end in "…" (1024 px and narrower) */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; height: auto !important;}
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * {white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; height: auto !important;}
</style>
"""


def whatif_page() -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    st.header("What-if: cost and emissions of language-model inference", divider="gray")
    try:
        repo = session_repository()
        base = _base_scenario(repo)
    except TcoError as e:
        st.error(str(e))
        st.stop()
    if err := st.session_state.get("upload_error"):
        st.error(f"Upload rejected: {err}")
    description_area = st.empty()
    if st.sidebar.button("Reset what-ifs", key="reset", width="stretch"):
        _seed_whatif_state(base)  # no what-if widget is drawn yet in this run: all show the file's values

    headline_area = st.container()
    raw = _scenario_controls(base, base.raw)
    name_slots: dict[str, Any] = {}
    with st.expander("Options: model, hardware, region, fleet, prices and financing", expanded=False):
        ids = [o.id for o in base.spec.options]
        per_row = 3
        for start in range(0, len(ids), per_row):
            for col, opt_id in zip(st.columns(per_row), ids[start : start + per_row], strict=False):
                with col, st.container(border=True):
                    raw = _option_controls(base, repo, opt_id, raw, name_slots)
    c0 = whatif.scenario_controls(base)
    ids = [o.id for o in base.spec.options]
    baseline = st.sidebar.selectbox(
        "Baseline option (of each option alone; the plan's baseline is a plan)"
        if plan_view.has_tasks(base)
        else "Baseline option",
        ids,
        key=_ensure(W + "baseline", c0.baseline),
    )
    if baseline != c0.baseline:
        raw = edit.set_baseline(raw, baseline)

    t0 = time.perf_counter()
    try:
        computed = whatif_view(raw, base, repo, session_runs())
    except TcoError as e:
        st.error(f"This change cannot be evaluated: {e}")
        st.stop()
    elapsed_ms = (time.perf_counter() - t0) * 1000.0
    results, plans, loaded = computed.results, computed.plans, computed.loaded
    assert loaded is not None
    if computed.plan_missing is not None:
        st.error(f"This change cannot be planned: {computed.plan_missing}")
    st.session_state["whatif_raw"] = loaded.raw
    _option_names(results, name_slots)
    st.session_state["whatif_ids"] = [str(o) for o in results.summary["option"]]
    st.session_state["recompute_ms"] = elapsed_ms

    if loaded.raw == base.raw:
        description_area.caption((base.spec.description or base.name).strip())
    else:  # the file's description names the file's numbers: state the what-if ones instead
        description_area.caption(
            f"What-if on {base.name}: {whatif.workload_line(loaded)}. (Reset what-ifs for the file's values.)"
        )
    recomputed = (
        f"Recomputed in {elapsed_ms:.0f} ms · {loaded.spec.horizon:.0f}-month horizon · "
        f"currency {results.currency}"
    )
    with headline_area:
        for note in price_notes(results):  # stale prices and fleets over a site's power budget
            st.warning(note, icon=":material/schedule:")
        if plans is None:
            st.info(answer(results).text, icon=":material/lightbulb:")
            _headlines(results)
            st.caption(recomputed)
        else:  # a portfolio: the plan and its saving first; each option alone only on request
            st.success(plan_view.plan_sentence(plans), icon=":material/route:")
            st.caption(plan_view.objective_line(plans))
            _plan_headlines(plans)
            st.caption(recomputed)
            with st.expander(f"{plan_view.single_option_scope(loaded)}: the cards per option", key="alone"):
                st.info(answer(results).text, icon=":material/lightbulb:")
                _headlines(results)
    if plans is not None:
        views = [PLAN_VIEW, TIMELINE_VIEW, *VIEWS]
        view = st.segmented_control("View", views, default=PLAN_VIEW, key="view_plan") or PLAN_VIEW
    else:
        view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="view") or VIEWS[0]
    repo_key = ",".join(sorted(session_profiles()))
    if view == COMPARE:
        _compare_view(computed)
    elif plans is not None and view == PLAN_VIEW:
        _plan_table_view(plans)
    elif plans is not None and view == TIMELINE_VIEW:
        _plan_timeline_view(computed)
    else:
        if plans is not None:
            st.caption(f"{plan_view.single_option_scope(loaded)}: the Plan view has the plan per task.")
        _view(view, computed, repo_key)
    _pin_controls(computed)
    _downloads(computed)


def main() -> None:
    st.set_page_config(page_title="slm-tco what-if", page_icon=":material/query_stats:", layout="wide")
    nav = st.navigation(
        [
            st.Page(whatif_page, title="What-if", icon=":material/query_stats:", default=True),
            st.Page("pages/profiles.py", title="Profiles", icon=":material/memory:"),
            st.Page("pages/sweep.py", title="Sweep", icon=":material/scatter_plot:"),
        ]
    )
    nav.run()


main()
