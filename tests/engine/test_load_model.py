"""The load-aware serving model (issue 9): hand-computed points of the shipped 8B H100 sweep and invariants.

Profile llama-3.1-8b-h100 (ML.ENERGY v3): batch 8: 2.752 query/s, 176.8 J; 16: 4.833, 106.2 J; 32: 8.688,
64.43 J; 64: 13.01, 46.9 J; 128: 17.39, 38.48 J (the capacity point). H100 idle power 77 W. One replica,
flat day (every hour at the mean load), PUE 1, no host power: energy per query = replica power / load.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco.engine.core import simulate
from tco.engine.formulas import default_daily_shape
from tco.engine.inputs import HOURS_PER_MONTH, FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.operations import hourly_view

X = (2.752, 4.833, 8.688, 13.01, 17.39)
E_J = (176.8, 106.2, 64.43, 46.9, 38.48)
FLAT = (1.0,) * 24


def _h100(**kw: object) -> OptionInputs:
    base: dict[str, object] = dict(
        id="h100",
        name="8B on H100",
        deployment="cloud",
        energy_per_query_kwh=E_J[-1] / 3.6e6,
        throughput_qps=X[-1],
        accelerators_per_replica=1,
        fixed_fleet=1.0,
        idle_power_kw=0.077,
        sweep_throughput=tuple(x / X[-1] for x in X),
        sweep_energy=tuple(e / E_J[-1] for e in E_J),
        sweep_latency_p95_s=(3.11, 3.74, 4.45, 5.84, 10.0),
        sweep_batch=(8.0, 16.0, 32.0, 64.0, 128.0),
    )
    base.update(kw)
    return OptionInputs(**base)  # type: ignore[arg-type]


def _at(qps: float, option: OptionInputs | None = None) -> dict[str, np.ndarray]:
    return simulate(
        option or _h100(),
        WorkloadInputs(queries_per_day=qps * 86_400, daily_profile=FLAT),
        FinanceInputs(months=1),
    )


def _joules_per_query(s: dict[str, np.ndarray]) -> float:
    accel = s["energy_accelerator_kwh"][0, 0] + s["energy_idle_kwh"][0, 0]
    return float(accel * 3.6e6 / s["queries"][0, 0])


def test_issue_example_near_the_batch_8_point() -> None:
    # 2.75 query/s is just below the batch-8 point (2.752/s, 176.8 J x 2.752/s = 486.55 W):
    # power = 77 + (486.5536 - 77) x 2.75 / 2.752 = 486.2559 W, i.e. 176.82 J a query
    power_w = 77 + (176.8 * 2.752 - 77) * 2.75 / 2.752
    assert power_w == pytest.approx(486.2559, abs=1e-4)
    s = _at(2.75)
    assert _joules_per_query(s) == pytest.approx(power_w / 2.75, rel=1e-9)
    assert _joules_per_query(s) == pytest.approx(176.82, abs=0.01)
    # the single-point engine charged the batch-128 point (38.48 J) plus idle power for the rest:
    old_w = 38.48 * 2.75 + 77 * (1 - 2.75 / 17.39)
    assert old_w == pytest.approx(170.6, abs=0.1)  # about 2.85x too little
    assert s["latency_p95_peak_s"][0, 0] == pytest.approx(3.11)  # the batch-8 point's, never below it


def test_a_load_between_two_measured_batch_sizes() -> None:
    # 6 query/s between batch 16 (4.833/s, 513.2646 W) and batch 32 (8.688/s, 559.76784 W):
    # P = 513.2646 + (559.76784 - 513.2646) x (6 - 4.833) / (8.688 - 4.833) = 527.3422 W -> 87.890 J
    p16, p32 = 106.2 * 4.833, 64.43 * 8.688
    power_w = p16 + (p32 - p16) * (6 - 4.833) / (8.688 - 4.833)
    assert power_w == pytest.approx(527.3422, abs=1e-4)
    s = _at(6.0)
    assert _joules_per_query(s) == pytest.approx(power_w / 6.0, rel=1e-9)
    # latency and concurrency interpolate the same way: 3.74 + (4.45 - 3.74) x 0.302724 = 3.9549 s
    assert s["latency_p95_peak_s"][0, 0] == pytest.approx(3.74 + 0.71 * 1.167 / 3.855, rel=1e-9)


def test_a_load_below_the_smallest_point_is_busy_part_time_and_idle_the_rest() -> None:
    # 1 query/s: busy 1 / 2.752 = 36.3 % of the time at 486.5536 W, idle 77 W the rest:
    # 77 + (486.5536 - 77) x 1 / 2.752 = 225.8203 W -> 225.82 J a query
    s = _at(1.0)
    assert _joules_per_query(s) == pytest.approx(77 + (176.8 * 2.752 - 77) / 2.752, rel=1e-9)
    busy_share = 1 / 2.752
    assert s["busy_accelerator_hours"][0, 0] == pytest.approx(HOURS_PER_MONTH * busy_share, rel=1e-9)
    assert s["energy_idle_kwh"][0, 0] == pytest.approx(0.077 * HOURS_PER_MONTH * (1 - busy_share), rel=1e-9)


def test_a_saturated_replica_serves_its_capacity_and_states_the_rest_unserved() -> None:
    # 20 query/s asked of one replica that carries 17.39/s at batch 128 (38.48 J, 669.17 W): never beyond
    s = _at(20.0)
    month_s = HOURS_PER_MONTH * 3600
    assert s["queries"][0, 0] == pytest.approx(17.39 * month_s, rel=1e-9)
    assert s["queries_unserved"][0, 0] == pytest.approx((20 - 17.39) * month_s, rel=1e-9)
    assert s["capacity_shortfall"].all()
    assert _joules_per_query(s) == pytest.approx(38.48, rel=1e-9)


def test_measured_points_are_reproduced_exactly() -> None:
    for x, e in zip(X, E_J, strict=True):
        assert _joules_per_query(_at(x)) == pytest.approx(e, rel=1e-9)


def test_default_daily_shape_has_mean_one_and_the_asked_peak() -> None:
    shape = default_daily_shape(np.array([[1.0], [1.5], [2.0], [3.0], [10.0]]))
    assert shape.mean(axis=1) == pytest.approx([1.0] * 5, rel=1e-12)
    assert shape.max(axis=1) == pytest.approx([1.0, 1.5, 2.0, 3.0, 10.0], rel=1e-12)
    assert (shape >= 0).all()
    assert shape[1].argmax() == 14 and shape[1].argmin() == 2
    # up to a ratio of 2 it is a plain cosine: 1 + 0.5 cos(2 pi (h - 14) / 24)
    assert shape[1, 8] == pytest.approx(1 + 0.5 * np.cos(2 * np.pi * -6 / 24))


@st.composite
def sweeps(draw: st.DrawFn) -> OptionInputs:
    """A sweep like a real server's: with the batch size, throughput and power rise, energy per query falls
    (power rises by at most the throughput's ratio)."""
    k = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k))
    x = np.cumsum(gaps)
    x = x / x[-1]
    shares = draw(st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k))
    p = [1.0]
    for i in range(1, k):
        p.append(p[-1] * (x[i] / x[i - 1]) ** shares[i])
    e = np.array(p) / x
    e = e / e[-1]
    cap_x = draw(st.floats(0.5, 50.0))
    cap_e = draw(st.floats(1e-6, 1e-3))
    return OptionInputs(
        id="o",
        name="o",
        deployment=draw(st.sampled_from(["cloud", "on-prem"])),
        energy_per_query_kwh=cap_e,
        throughput_qps=cap_x,
        accelerators_per_replica=draw(st.integers(1, 4)),
        fixed_fleet=float("nan"),
        utilisation=draw(st.floats(0.2, 1.0)),
        idle_power_kw=draw(st.floats(0.0, 0.3)),
        host_power_kw=draw(st.floats(0.0, 0.2)),
        pue=draw(st.floats(1.0, 2.0)),
        sweep_throughput=tuple(float(v) for v in x),
        sweep_energy=tuple(float(v) for v in e),
    )


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(sweeps(), st.floats(0.001, 1.0), st.floats(0.001, 1.0))
def test_energy_per_query_never_rises_with_load_below_saturation(o: OptionInputs, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    one = o.with_values(fixed_fleet=float(o.accelerators_per_replica), host_power_kw=0.0)
    e_lo = _joules_per_query(_at(lo * o.throughput_qps, one))
    e_hi = _joules_per_query(_at(hi * o.throughput_qps, one))
    assert e_hi <= e_lo * (1 + 1e-9)


@PROPS
@given(sweeps(), st.integers(0, 5))
def test_the_curve_is_continuous_at_measured_points(o: OptionInputs, k: int) -> None:
    k = min(k, len(o.sweep_throughput) - 1)
    one = o.with_values(fixed_fleet=float(o.accelerators_per_replica))
    x = o.sweep_throughput[k] * o.throughput_qps
    at = _joules_per_query(_at(x, one))
    eps = 1e-7
    assert _joules_per_query(_at(x * (1 - eps), one)) == pytest.approx(at, rel=1e-5)
    if k < len(o.sweep_throughput) - 1:
        assert _joules_per_query(_at(x * (1 + eps), one)) == pytest.approx(at, rel=1e-5)


@PROPS
@given(
    sweeps(),
    st.floats(100.0, 5e6),
    st.floats(1.0, 4.0),
    st.sampled_from(["default", "packed", "packed-off", "hourly"]),
    st.integers(0, 11),
)
def test_sums_over_hours_equal_the_monthly_totals(
    o: OptionInputs, qpd: float, peak: float, scaling: str, month: int
) -> None:
    if scaling != "default":
        o = o.with_values(
            deployment="cloud" if scaling == "hourly" else "on-prem", scaling=scaling, min_replicas=1
        )
    w = WorkloadInputs(queries_per_day=qpd, annual_growth=0.3, peak_to_average=peak)
    f = FinanceInputs(months=12)
    monthly = simulate(o, w, f)
    day = hourly_view(o, w, f, month)
    h = HOURS_PER_MONTH / 24
    assert day["queries_per_hour"].sum() * h == pytest.approx(monthly["queries"][0, month], rel=1e-9)
    for key in ("energy_accelerator_kwh", "energy_host_kwh", "energy_facility_kwh"):
        total = monthly[key][0, month] + (
            monthly["energy_idle_kwh"][0, month] if key.startswith("energy_acc") else 0
        )
        assert day[key].sum() * h == pytest.approx(total, rel=1e-9, abs=1e-9), key


@PROPS
@given(sweeps(), st.integers(1, 20), st.floats(1.0, 3.0))
def test_the_single_point_result_is_recovered_when_every_hour_runs_at_the_chosen_point(
    o: OptionInputs, replicas: int, peak: float
) -> None:
    # every hour at the capacity point's load: a fixed fleet, fully loaded, flat day
    fleet = float(replicas * o.accelerators_per_replica)
    swept = o.with_values(fixed_fleet=fleet)
    single = swept.with_values(sweep_throughput=(1.0,), sweep_energy=(1.0,))
    w = WorkloadInputs(queries_per_day=replicas * o.throughput_qps * 86_400, daily_profile=FLAT)
    f = FinanceInputs(months=3)
    a, b = simulate(swept, w, f), simulate(single, w, f)
    for key in ("energy_it_kwh", "emissions_kg", "total_cost", "queries"):
        assert a[key] == pytest.approx(b[key], rel=1e-9), key
    # and the single-point engine's formula: queries x energy per query (+ idle for idle time, here none)
    apr = o.accelerators_per_replica
    idle_kwh = o.idle_power_kw * apr * replicas * HOURS_PER_MONTH
    busy_kwh = (
        max(o.energy_per_query_kwh * o.throughput_qps * 3600, o.idle_power_kw * apr)
        * replicas
        * HOURS_PER_MONTH
    )
    assert a["energy_accelerator_kwh"][0] + a["energy_idle_kwh"][0] == pytest.approx(
        [max(busy_kwh, idle_kwh)] * 3, rel=1e-9
    )


@PROPS
@given(sweeps(), st.floats(100.0, 5e6), st.floats(1.0, 4.0))
def test_tabulated_and_hour_by_hour_sums_agree(o: OptionInputs, qpd: float, peak: float) -> None:
    # one shared daily shape takes the exact tabulated path; a sampled peak ratio the hour-by-hour path
    f = FinanceInputs(months=6)
    one = simulate(o, WorkloadInputs(queries_per_day=qpd, annual_growth=0.5, peak_to_average=peak), f)
    many = simulate(
        o, WorkloadInputs(queries_per_day=qpd, annual_growth=0.5, peak_to_average=np.array([peak, 1.0])), f
    )
    for key in ("energy_it_kwh", "queries", "busy_accelerator_hours", "total_cost"):
        assert many[key][0] == pytest.approx(one[key][0], rel=1e-9), key


def test_load_curve_of_a_rented_replica_shares_its_rent_among_the_queries() -> None:
    from tco.engine.curve import load_curve

    # 2 USD per replica-hour; at 100 % the replica serves 17.39 query/s = 62,604 an hour -> 0.031947 USD/1k
    o = _h100(fixed_fleet=float("nan"), cloud_price_per_hour=2.0, pue=1.0)
    w = WorkloadInputs(queries_per_day=1.0, tokens_out=400.0)
    c = load_curve(o, w, FinanceInputs(months=12), np.array([0.1, 1.0]))
    assert c["cost_per_1k_queries"] == pytest.approx([2 / (1.739 * 3600) * 1000, 2 / (17.39 * 3600) * 1000])
    assert c["cost_per_1m_tokens"][1] == pytest.approx(2 / (17.39 * 3600) / 400 * 1e6)
    # energy per query at 100 %: the batch-128 point, 38.48 J = 0.010689 Wh; at 10 % (1.739/s, below the
    # batch-8 point): 77 + (486.5536 - 77) x 1.739 / 2.752 = 335.795 W / 1.739 = 193.10 J
    assert c["wh_per_query"][1] == pytest.approx(38.48 / 3600, rel=1e-9)
    assert c["wh_per_query"][0] == pytest.approx((77 + 409.5536 * 1.739 / 2.752) / 1.739 / 3600, rel=1e-9)
    assert c["power_per_replica_w"][1] == pytest.approx(38.48 * 17.39, rel=1e-9)


def test_varying_the_peak_of_a_daily_profile_is_one_clear_error() -> None:
    from tco.analysis.settings import Setting, apply_shared
    from tco.errors import InputError
    from tco.scenario.variables import variable

    w = WorkloadInputs(queries_per_day=1000.0, daily_profile=FLAT)
    s = {"peak_to_average": Setting(variable("peak_to_average"), "absolute", np.array([1.5, 2.0]))}
    with pytest.raises(
        InputError, match="peak_to_average cannot vary when the workload gives a daily_profile"
    ):
        apply_shared(w, FinanceInputs(months=1), s)
