"""The engine's named extension points (README, "Extending slm-tco"): a cost component declared once in
tco/engine/components.py flows into the monthly columns, the total, the tax saving, the accounting view and
the summary; a fleet policy registered once in tco/engine/fleet.py is a scaling the schema accepts, the
resolver records and the engine runs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from tco.api import evaluate, load_scenario, scenario_from_dict
from tco.engine import components as cc
from tco.engine import fleet
from tco.engine.components import COMPONENTS, CostBasis, CostComponent, accounting_view, check_table
from tco.engine.core import simulate
from tco.engine.inputs import FinanceInputs, OptionInputs, WorkloadInputs
from tco.engine.summary import totals
from tco.errors import InputError
from tco.scenario.repository import Repository
from tco.scenario.schema import Option
from tests.conftest import HAND_SCENARIO

EGRESS_PER_QUERY = 2e-6  # currency per query: a toy network-egress price


def _egress(b: CostBasis) -> np.ndarray:
    return b.op.queries * EGRESS_PER_QUERY


EGRESS = CostComponent(
    name="egress",
    label="Network egress",
    deductible=True,
    operating=True,
    compute=_egress,
    note="queries x a price per query",
)


def _cloud() -> OptionInputs:
    return OptionInputs(
        id="c",
        name="c",
        deployment="cloud",
        energy_per_query_kwh=1e-4,
        throughput_qps=10.0,
        accelerators_per_replica=1,
        cloud_price_per_hour=2.0,
        idle_power_kw=0.1,
        pue=1.2,
        grid_intensity_kg_per_kwh=0.3,
        carbon_price_per_kg=0.05,
        fine_tuning_cost=100.0,
    )


WORKLOAD = WorkloadInputs(queries_per_day=100_000.0, annual_growth=0.2)
FINANCE = FinanceInputs(months=24, discount_rate=0.08, tax_rate=0.25)


def test_the_shipped_table_is_consistent_and_names_every_cost_column() -> None:
    check_table()
    s = simulate(_cloud(), WORKLOAD, FINANCE)
    cost_columns = [c.column for c in COMPONENTS]
    assert [k for k in s if k.endswith("_cost") and k in cost_columns] == cost_columns
    assert np.array_equal(
        s["total_cost"], sum((s[c] for c in cost_columns), start=np.zeros_like(s["total_cost"]))
    )
    deductible = sum(s[line.column] for line in cc.ACCOUNTING_LINES) + sum(
        s[c.column] for c in COMPONENTS if c.deductible
    )
    assert s["tax_saving"] == pytest.approx(0.25 * deductible, rel=1e-12)


def test_a_table_that_leaves_an_asset_flow_without_an_accounting_line_is_refused() -> None:
    orphan = CostComponent(
        name="rights", label="Rights", deductible=False, operating=False, compute=_egress, note="toy"
    )
    with pytest.raises(ValueError, match="'rights' is not operating: exactly one accounting line"):
        check_table((*COMPONENTS, orphan))
    with pytest.raises(ValueError, match=r"\['energy'\] repeat"):
        check_table((*COMPONENTS, COMPONENTS[4]))


def test_a_toy_component_flows_into_the_total_the_tax_saving_and_the_totals() -> None:
    before = simulate(_cloud(), WORKLOAD, FINANCE)
    after = simulate(_cloud(), WORKLOAD, FINANCE, components=(*COMPONENTS, EGRESS))
    egress = after["queries"] * EGRESS_PER_QUERY
    assert np.array_equal(after["egress_cost"], egress)
    assert after["total_cost"] == pytest.approx(before["total_cost"] + egress, rel=1e-13)
    assert after["tax_saving"] == pytest.approx(before["tax_saving"] + 0.25 * egress, rel=1e-13)
    assert after["total_cost_discounted"] == pytest.approx(
        before["total_cost_discounted"] + egress * before["discount_factor"], rel=1e-13
    )
    t0, t1 = (totals(s, _cloud(), WORKLOAD) for s in (before, after))
    assert t1["tco_cost"] == pytest.approx(t0["tco_cost"] + egress.sum(), rel=1e-13)
    assert t1["tco_after_tax_cost"] == pytest.approx(
        t0["tco_after_tax_cost"] + 0.75 * egress.sum(), rel=1e-13
    )


def test_a_component_declared_in_the_table_reaches_every_frame_of_a_scenario(
    monkeypatch: pytest.MonkeyPatch, test_repo: Repository
) -> None:
    loaded = load_scenario(HAND_SCENARIO, repo=test_repo)
    before = evaluate(loaded)
    before_yearly = before.yearly()
    monkeypatch.setattr(cc, "COMPONENTS", (*COMPONENTS, EGRESS))
    after = evaluate(loaded)
    pp = after.per_period
    assert np.array_equal(pp["egress_cost"], pp["queries"] * EGRESS_PER_QUERY)
    assert after.units["egress_cost"] == after.currency
    per_option = pp.groupby("option", observed=True)["egress_cost"].sum()
    for option, row in after.summary.iterrows():
        assert row["tco_cost"] == pytest.approx(
            before.summary.loc[option, "tco_cost"] + per_option[option], rel=1e-12
        )
    yearly = after.yearly()
    assert "egress_cost" in yearly.columns
    assert [line.column for line in accounting_view()][-1] == "egress_cost"
    old = before_yearly.set_index(["option", "year"])["accounting_total_cost"]
    new = yearly.set_index(["option", "year"])
    assert np.allclose(new["accounting_total_cost"], old + new["egress_cost"], rtol=1e-12)


# --------------------------------------------------------------------------- fleet policies


class Doubled:
    """A toy cloud policy: rents twice the replicas each hour needs."""

    name: ClassVar[str] = "doubled"
    deployment: ClassVar[str] = "cloud"
    help: ClassVar[str] = "twice the replicas the hour needs"
    why_default: ClassVar[str] = ""
    even: ClassVar[bool] = False

    def serve(
        self, load: np.ndarray, fleet_: np.ndarray, utilisation: np.ndarray, min_replicas: int
    ) -> fleet.Serving:
        n = 2.0 * fleet.replicas_for(load, utilisation, min_replicas)
        return fleet.Serving(n, np.zeros_like(n), n.max(axis=-1))

    def for_fixed_fleet(self) -> fleet.FleetPolicy:
        return fleet.Reserved()


def _hourly_scenario(scaling: str) -> dict[str, Any]:
    return {
        "name": "toy policy",
        "horizon": "12 months",
        "workload": {"task": "sentiment", "queries_per_day": "2000000 query/day", "peak_to_average": 3},
        "defaults": {"region": "testland"},
        "options": [
            {"id": "c", "deployment": "cloud", "profile": "small", "batch_size": 8, "scaling": scaling}
        ],
    }


def test_the_shipped_policies_are_the_schemas_scalings_with_their_help() -> None:
    assert fleet.scalings() == {
        "on-prem": ("spread", "packed", "packed-off"),
        "cloud": ("reserved", "hourly"),
        "api": ("per-query",),
    }
    description = Option.model_fields["scaling"].description or ""
    for p in fleet.POLICIES:
        assert p.name in description and p.help in description


def test_a_toy_policy_is_accepted_recorded_and_run_by_the_engine(
    monkeypatch: pytest.MonkeyPatch, test_repo: Repository
) -> None:
    monkeypatch.setattr(fleet, "POLICIES", (*fleet.POLICIES, Doubled()))
    hourly = evaluate(scenario_from_dict(_hourly_scenario("hourly"), repo=test_repo))
    doubled = evaluate(scenario_from_dict(_hourly_scenario("doubled"), repo=test_repo))
    rows = doubled.assumptions[doubled.assumptions["parameter"] == "scaling"]
    assert list(rows["value"]) == ["doubled"]
    a, b = hourly.per_period, doubled.per_period
    assert (a["accelerator_hours"] > 0).all()
    assert np.allclose(b["accelerator_hours"], 2.0 * a["accelerator_hours"], rtol=1e-12)
    assert np.allclose(b["cloud_cost"], 2.0 * a["cloud_cost"], rtol=1e-12)
    assert np.allclose(b["accelerators"], 2.0 * a["accelerators"], rtol=1e-12)
    assert np.allclose(b["queries"], a["queries"], rtol=1e-12)  # the same demand, served in full
    assert doubled.summary.loc["c", "tco_cost"] == pytest.approx(b["total_cost"].sum(), rel=1e-12)
    assert doubled.summary.loc["c", "tco_cost"] > hourly.summary.loc["c", "tco_cost"]


def test_a_policy_of_another_deployment_is_refused_naming_the_ones_there_are(
    monkeypatch: pytest.MonkeyPatch, test_repo: Repository
) -> None:
    monkeypatch.setattr(fleet, "POLICIES", (*fleet.POLICIES, Doubled()))
    raw = _hourly_scenario("doubled")
    raw["options"][0]["deployment"] = "on-prem"
    with pytest.raises(
        InputError,
        match="scaling 'doubled' does not fit a on-prem option, expected spread, packed, packed-off",
    ):
        scenario_from_dict(raw, repo=test_repo)
