"""tco.presentation.whatif: each edit changes exactly the raw field it names, and the engine sees the change."""

from __future__ import annotations

import pytest

from tco.analysis.regions import REGION_COLUMNS, region_sweep
from tco.api import LoadedScenario, evaluate, load_scenario
from tco.errors import InputError
from tco.presentation import whatif
from tco.scenario import edit

# the single-task scenario (the default before the task portfolio): these tests pin its numbers
SCENARIO = "slm-vs-llm"


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(SCENARIO)


def _hosted(loaded: LoadedScenario, deployment: str | None = None) -> str:
    ids = [o.id for o in loaded.spec.options if o.deployment != "api" and deployment in (None, o.deployment)]
    if not ids:
        pytest.skip(f"{SCENARIO} has no {deployment or 'self-hosted'} option")
    return ids[0]


@pytest.mark.parametrize(
    ("value", "text"),
    [(2_000_000.0, "2000000"), (0.125, "0.125"), (1e-7, "1e-07"), (12.5, "12.5"), (3, "3")],
)
def test_number_text_round_trips(value: float, text: str) -> None:
    assert edit.number_text(value) == text
    assert float(text) == value


def test_number_text_rejects_nan() -> None:
    with pytest.raises(InputError, match="expected a finite number, got nan"):
        edit.number_text(float("nan"))


def test_edits_write_strings_with_units_and_leave_the_input_alone(loaded: LoadedScenario) -> None:
    raw = loaded.raw
    before = repr(raw)
    out = edit.set_queries_per_day(raw, 3_500_000)
    out = edit.set_annual_growth(out, 35)
    out = edit.set_horizon(out, 48)
    out = edit.set_discount_rate(out, 6.5)
    out = edit.set_carbon_price(out, 80)
    assert repr(raw) == before  # pure: the input is not mutated
    assert out["workload"]["queries_per_day"] == "3500000 query/day"
    assert out["workload"]["annual_growth"] == "35 %"
    assert out["horizon"] == "48 months"
    assert out["discount_rate"] == "6.5 %"
    cur = loaded.spec.currency.reporting
    assert out["carbon_price"] == f"80 {cur}/tCO2e"
    spec = loaded.with_changes(out).spec
    assert spec.workload.queries_per_day == pytest.approx(3_500_000)
    assert spec.workload.annual_growth == pytest.approx(0.35)
    assert spec.horizon == 48
    assert spec.discount_rate == pytest.approx(0.065)
    assert spec.carbon_price is not None and spec.carbon_price.value == pytest.approx(80)


def test_queries_scale_the_energy_the_way_the_engine_says(loaded: LoadedScenario) -> None:
    base = evaluate(loaded).summary
    edited = evaluate(
        loaded.with_changes(
            edit.set_queries_per_day(loaded.raw, 2 * whatif.scenario_controls(loaded).queries_per_day)
        )
    )
    assert edited.summary["queries"].to_numpy() == pytest.approx(2 * base["queries"].to_numpy())


def test_pue_applies_to_on_prem_options_only_and_leaves_cloud_emissions_alone(loaded: LoadedScenario) -> None:
    base = evaluate(loaded).summary
    start = whatif.scenario_controls(loaded).pue
    on_prem = [o for o in loaded.resolved.options if o.deployment == "on-prem"]  # type: ignore[attr-defined]
    assert on_prem and start == on_prem[0].pue  # the slider starts at the on-prem options' value
    out = edit.set_pue(loaded.raw, 1.9)
    assert out.get("defaults", {}).get("pue") == loaded.raw.get("defaults", {}).get("pue")
    edited = loaded.with_changes(out)
    pues = {o.id: o.pue for o in edited.resolved.options}  # type: ignore[attr-defined]
    before = {o.id: o.pue for o in loaded.resolved.options}  # type: ignore[attr-defined]
    for o in edited.resolved.options:  # type: ignore[attr-defined]
        assert pues[o.id] == (1.9 if o.deployment == "on-prem" else before[o.id])
    after = evaluate(edited).summary
    for oid, row in after.iterrows():
        if row["deployment"] == "cloud":
            assert row["emissions_kg"] == base.loc[oid, "emissions_kg"]
        if row["deployment"] == "on-prem":
            assert row["emissions_operational_kg"] == pytest.approx(
                base.loc[oid, "emissions_operational_kg"] * 1.9 / start
            )


def test_region_change_drops_overrides_and_fills_region_values(loaded: LoadedScenario) -> None:
    opt = _hosted(loaded)
    regions = sorted(loaded.repo.regions)
    current = whatif.option_controls(loaded, opt).region
    target = next(r for r in regions if r != current)
    raw = edit.set_option_grid_intensity(loaded.raw, opt, 123)
    raw = edit.set_option_electricity_price(raw, opt, 0.2, "EUR")
    edited = loaded.with_changes(raw)
    c = whatif.option_controls(edited, opt)
    assert (c.grid_intensity, c.electricity_price, c.price_currency) == (123, 0.2, "EUR")
    moved = loaded.with_changes(edit.set_option_region(raw, opt, target))
    c = whatif.option_controls(moved, opt)
    grid, price, cur = whatif.inherited_site_values(moved, target)
    assert c.region == target
    assert (c.grid_intensity, c.electricity_price, c.price_currency) == (grid, price, cur)
    region = loaded.repo.regions[target]
    if loaded.spec.defaults.grid_intensity is None:
        assert grid == region.grid.intensity


def test_grid_override_reaches_the_engine(loaded: LoadedScenario) -> None:
    opt = _hosted(loaded)
    r = loaded.with_changes(edit.set_option_grid_intensity(loaded.raw, opt, 500))
    inputs = {o.id: o for o in r.resolved.options}  # type: ignore[attr-defined]
    assert inputs[opt].grid_intensity_kg_per_kwh == pytest.approx(0.5)
    back = edit.set_option_grid_intensity(r.raw, opt, None)
    assert "grid_intensity" not in next(o for o in back["options"] if o["id"] == opt)


def test_fleet_profile_utilisation_and_baseline(loaded: LoadedScenario) -> None:
    opt = _hosted(loaded)
    raw = edit.set_option_fleet(loaded.raw, opt, 7)
    raw = edit.set_option_utilisation(raw, opt, 45)
    raw = edit.set_baseline(raw, opt)
    o = next(o for o in raw["options"] if o["id"] == opt)
    assert o["fleet"] == {"accelerators": 7}
    assert o["utilisation"] == "45 %"
    res = evaluate(loaded.with_changes(raw))
    assert res.summary.loc[opt, "accelerators_peak"] == 7
    assert res.baseline == opt
    assert (
        edit.set_option_fleet(raw, opt, None)["options"][[x["id"] for x in raw["options"]].index(opt)][
            "fleet"
        ]
        == "auto"
    )
    other = next(p for p in sorted(loaded.repo.models) if p != o["profile"])
    o2 = next(
        x
        for x in edit.set_option_profile({**raw, "options": [{**o, "batch_size": 8}]}, opt, other)["options"]
    )
    assert o2["profile"] == other and "batch_size" not in o2


def test_unknown_option_is_a_one_line_error(loaded: LoadedScenario) -> None:
    ids = ", ".join(o.id for o in loaded.spec.options)
    with pytest.raises(InputError, match=f"options: no option 'nope', expected one of {ids}"):
        edit.set_option_fleet(loaded.raw, "nope", 1)


def test_api_edits_are_checked_against_the_deployment(loaded: LoadedScenario) -> None:
    opt = _hosted(loaded)
    with pytest.raises(InputError, match=f"option '{opt}' is not an API option"):
        edit.set_option_api(loaded.raw, opt, "x")


def test_to_yaml_of_the_edit_reproduces_its_numbers(loaded: LoadedScenario, tmp_path) -> None:  # type: ignore[no-untyped-def]
    edited = loaded.with_changes(edit.set_queries_per_day(loaded.raw, 1_234_567))
    path = tmp_path / "whatif.yaml"
    path.write_text(edited.to_yaml())
    again = evaluate(load_scenario(path))
    assert again.summary["tco_cost"].to_numpy() == pytest.approx(
        evaluate(edited).summary["tco_cost"].to_numpy(), rel=1e-12
    )


def test_region_sweep_matches_single_evaluations(loaded: LoadedScenario) -> None:
    opt = _hosted(loaded)
    regions = sorted(loaded.repo.regions)[:3]
    frame = region_sweep(loaded, opt, regions)
    assert list(frame.columns) == REGION_COLUMNS
    assert list(frame["region"]) == regions
    assert frame.attrs["option"] == opt
    for _, row in frame.iterrows():
        one = evaluate(loaded.with_changes(edit.set_option_region(loaded.raw, opt, row["region"])))
        assert row["tco_cost"] == pytest.approx(one.summary.loc[opt, "tco_cost"], rel=1e-12)
        assert row["g_per_query"] == pytest.approx(one.summary.loc[opt, "g_per_query"], rel=1e-12)
        assert row["grid_intensity_g_per_kwh"] == pytest.approx(
            loaded.repo.regions[row["region"]].grid.intensity
        )
    assert frame["current"].sum() == (whatif.option_controls(loaded, opt).region in regions)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (365616.4, "365,616"),
        (0.057712, "0.0577"),
        (7.7e-05, "0.0000770"),
        (12.0, "12"),
        (48.66, "48.7"),
        (float("nan"), "n/a"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert whatif.format_number(value) == text


def test_headlines_follow_the_summary(loaded: LoadedScenario) -> None:
    res = evaluate(loaded)
    s = res.summary
    for opt in s["option"]:
        h = {x.key: x for x in whatif.headlines(res, opt)}
        assert h["tco_cost"].value == whatif.format_number(s.loc[opt, "tco_cost"])
        assert h["g_per_query"].value == whatif.format_number(s.loc[opt, "g_per_query"])
        assert h["emissions_kg"].value == whatif.format_number(s.loc[opt, "emissions_kg"] / 1000)
        if s.loc[opt, "is_baseline"]:
            assert h["tco_cost"].ratio is None
        else:
            assert h["tco_cost"].ratio == whatif.format_ratio(s.loc[opt, "cost_ratio_to_baseline"])
            assert h["tco_cost"].direction == (
                "better" if s.loc[opt, "cost_ratio_to_baseline"] < 0.995 else h["tco_cost"].direction
            )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "×1.00"),
        (1.905, "×1.91"),
        (41.2, "×41"),
        (0.15, "×0.15"),
        (0.0104, "×0.010"),
        (float("nan"), "n/a"),
    ],
)
def test_ratios_read_in_one_notation(value: float, text: str) -> None:
    assert whatif.format_ratio(value) == text


def test_region_table_shows_the_electricity_price_only_where_it_counts(loaded: LoadedScenario) -> None:
    from tco.presentation import tables

    for o in loaded.spec.options:
        if o.deployment == "api":
            continue
        frame = region_sweep(loaded, o.id, sorted(loaded.repo.regions)[:2])
        heads = list(tables.region_table(frame, "USD").columns)
        assert any(h.startswith("Electricity price") for h in heads) == (o.deployment == "on-prem"), o.id


def test_an_option_of_a_grid_is_edited_as_written_out() -> None:
    """procurement's options come from `option_grids`: moving one of them writes the grids out as options
    (the same options, in the same order) and moves that one only (it raised 'no option' before)."""
    loaded = load_scenario("procurement")
    ids = [o.id for o in loaded.spec.options]
    opt = "l8b-llama-3.1-8b-h100-on-prem"
    assert opt in ids and opt not in [o.get("id") for o in loaded.raw["options"]]
    moved = loaded.with_changes(edit.set_option_region(loaded.raw, opt, "fr"))
    assert [o.id for o in moved.spec.options] == ids
    assert "option_grids" not in moved.raw and "option_grids" in loaded.raw
    regions = {o.id: o.extra.get("region") for o in moved.resolved.options}
    before = {o.id: o.extra.get("region") for o in loaded.resolved.options}
    assert regions == {**before, opt: "fr"}
