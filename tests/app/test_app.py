"""The Streamlit app through `streamlit.testing.v1.AppTest`: numbers on the page are the engine's.

Expected values are derived from the engine on the same edit (`tco.presentation.whatif` + `tco.api.evaluate`), then
formatted the way the page formats them (`tco.presentation.whatif.headlines`), so these tests fail if the page shows
anything else.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tco.api import LoadedScenario, evaluate, load_scenario, scenario_from_dict
from tco.errors import TcoError
from tco.presentation import whatif
from tco.scenario import edit
from tco.scenario.yamlio import MAX_BYTES, parse_yaml_text

# the single-task scenario (the default before the task portfolio): these tests pin its numbers
SCENARIO = "slm-vs-llm"

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
N_HEADLINES = 6


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(SCENARIO)


def open_app(scenario: str) -> AppTest:
    """The app run once, then on `scenario` (picked as a user does), with no exception."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.selectbox(key="scenario_choice").set_value(scenario).run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def at() -> AppTest:
    return open_app(SCENARIO)


def screen(app: AppTest) -> dict[str, dict[str, str]]:
    """Headline values on the page: {option id: {label: value}} (cards are in summary order)."""
    ids = list(app.session_state["whatif_ids"])
    metrics = list(app.metric)
    assert len(metrics) == N_HEADLINES * len(ids)
    return {
        opt: {m.label: m.value for m in metrics[i * N_HEADLINES : (i + 1) * N_HEADLINES]}
        for i, opt in enumerate(ids)
    }


def expected(scenario: LoadedScenario) -> dict[str, dict[str, str]]:
    res = evaluate(scenario)
    return {str(o): {h.label: h.value for h in whatif.headlines(res, str(o))} for o in res.summary["option"]}


def test_default_page_shows_the_engine_numbers(at: AppTest, loaded: LoadedScenario) -> None:
    assert not at.error
    assert screen(at) == expected(loaded)
    assert at.session_state["whatif_raw"] == loaded.raw  # untouched controls leave the scenario as it is
    ratios = [m.delta for m in at.metric if m.delta]
    s = evaluate(loaded).summary
    assert f"{whatif.format_ratio(s['cost_ratio_to_baseline'].iloc[1])} vs baseline" in ratios


def test_queries_per_day_change_recomputes(at: AppTest, loaded: LoadedScenario) -> None:
    new = 3 * whatif.scenario_controls(loaded).queries_per_day
    at.number_input(key="w:qpd").set_value(new).run()
    assert not at.exception and not at.error
    want = expected(loaded.with_changes(edit.set_queries_per_day(loaded.raw, new)))
    assert screen(at) == want
    assert screen(at) != expected(loaded)


def test_sliders_change_numbers_the_way_the_engine_says(at: AppTest, loaded: LoadedScenario) -> None:
    at.slider(key="w:carbon").set_value(150.0).run()
    at.slider(key="w:growth").set_value(50.0).run()
    at.slider(key="w:discount").set_value(3.0).run()
    at.slider(key="w:horizon").set_value(60).run()
    assert not at.exception and not at.error
    raw = edit.set_annual_growth(loaded.raw, 50.0)
    raw = edit.set_horizon(raw, 60)
    raw = edit.set_discount_rate(raw, 3.0)
    raw = edit.set_carbon_price(raw, 150.0, whatif.scenario_controls(loaded).carbon_price_currency)
    edited = loaded.with_changes(raw)
    assert at.session_state["whatif_raw"] == edited.raw
    assert screen(at) == expected(edited)


def test_option_controls_region_and_fleet(at: AppTest, loaded: LoadedScenario) -> None:
    opt = next(o.id for o in loaded.spec.options if o.deployment != "api")
    current = whatif.option_controls(loaded, opt).region
    target = next(r for r in sorted(loaded.repo.regions) if r != current)
    at.selectbox(key=f"w:opt:{opt}:region").set_value(target).run()
    at.toggle(key=f"w:opt:{opt}:auto").set_value(False).run()
    at.number_input(key=f"w:opt:{opt}:fleet").set_value(40).run()
    assert not at.exception and not at.error
    raw = edit.set_option_region(loaded.raw, opt, target)
    raw = edit.set_option_fleet(raw, opt, 40)
    edited = loaded.with_changes(raw)
    assert at.session_state["whatif_raw"] == edited.raw
    assert screen(at) == expected(edited)
    assert (
        screen(at)[opt][next(iter(screen(at)[opt]))]
        != expected(loaded)[opt][next(iter(expected(loaded)[opt]))]
    )
    grid, price, _ = whatif.inherited_site_values(edited, target)
    assert at.number_input(key=f"w:opt:{opt}:grid").value == grid
    assert at.number_input(key=f"w:opt:{opt}:price").value == price


def test_grid_intensity_edit_overrides_the_region(at: AppTest, loaded: LoadedScenario) -> None:
    opt = next(o.id for o in loaded.spec.options if o.deployment != "api")
    at.number_input(key=f"w:opt:{opt}:grid").set_value(900.0).run()
    edited = loaded.with_changes(edit.set_option_grid_intensity(loaded.raw, opt, 900.0))
    assert screen(at) == expected(edited)


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="scenario_upload").upload(name, data, "application/x-yaml")
    return at.run()


def _error_of(data: bytes, name: str, loaded: LoadedScenario) -> str:
    try:
        scenario_from_dict(parse_yaml_text(data, file=name), file=name, repo=loaded.repo)
    except TcoError as e:
        return str(e)
    raise AssertionError("expected the upload to be rejected")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("broken.yaml", b"name: [unclosed\n  horizon: 36 months\n"),
        ("binary.yaml", b"\xff\xfe\x00\x01garbage"),
        ("huge.yaml", b"# padding\n" * (MAX_BYTES // 10 + 10)),
        ("list.yaml", b"- just\n- a list\n"),
    ],
)
def test_bad_upload_shows_one_line_error_and_keeps_working(
    at: AppTest, loaded: LoadedScenario, name: str, data: bytes
) -> None:
    before = screen(at)
    _upload(at, name, data)
    assert not at.exception
    assert [e.value for e in at.error] == [f"Upload rejected: {_error_of(data, name, loaded)}"]
    assert screen(at) == before  # still the previous scenario
    at.slider(key="w:carbon").set_value(40.0).run()  # and the app keeps working
    assert not at.exception
    assert screen(at) == expected(
        loaded.with_changes(
            edit.set_carbon_price(loaded.raw, 40.0, whatif.scenario_controls(loaded).carbon_price_currency)
        )
    )


def test_upload_with_wrong_units_names_the_field(at: AppTest, loaded: LoadedScenario) -> None:
    data = (
        loaded.with_changes(loaded.raw)
        .to_yaml()
        .replace(str(loaded.raw["workload"]["queries_per_day"]), "2000000 kWh")
        .encode()
    )
    _upload(at, "units.yaml", data)
    msg = _error_of(data, "units.yaml", loaded)
    assert msg.startswith("units.yaml: workload.queries_per_day: ")
    assert [e.value for e in at.error] == [f"Upload rejected: {msg}"]


def test_good_upload_becomes_the_scenario(at: AppTest, loaded: LoadedScenario) -> None:
    edited = loaded.with_changes(edit.set_queries_per_day(loaded.raw, 777_777))
    _upload(at, "mine.yaml", edited.to_yaml().encode())
    assert not at.exception and not at.error
    assert at.selectbox(key="scenario_choice").value == "Uploaded: mine.yaml"
    assert screen(at) == expected(edited)


def test_downloaded_scenario_reproduces_the_screen_through_the_cli(
    at: AppTest, loaded: LoadedScenario, tmp_path: Path
) -> None:
    at.number_input(key="w:qpd").set_value(1_500_000.0).run()
    at.slider(key="w:carbon").set_value(100.0).run()
    shown = screen(at)
    path = tmp_path / "whatif.yaml"
    path.write_text(at.session_state["whatif_yaml"])
    again = load_scenario(path)
    assert expected(again) == shown  # the Python API reads the same numbers back

    tco = Path(sys.executable).with_name("tco")
    if not tco.exists():
        pytest.skip(f"no `tco` console script next to {sys.executable}")
    proc = subprocess.run(
        [str(tco), "report", str(path), "--format", "csv", "--no-analysis"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(io.StringIO(proc.stdout)).set_index("option")
    col = next(c for c in table.columns if c.split(" ")[0] == "tco_cost")
    g_col = next(c for c in table.columns if c.split(" ")[0] == "g_per_query")
    tco_cost = dict(zip(table.index, table[col].astype(float), strict=True))
    g_per_query = dict(zip(table.index, table[g_col].astype(float), strict=True))
    cur = again.spec.currency.reporting
    for opt, values in shown.items():
        assert values[f"TCO ({cur})"] == whatif.format_number(tco_cost[opt])
        assert values["gCO2e/query"] == whatif.format_number(g_per_query[opt])


def test_profiles_page_and_profile_upload(loaded: LoadedScenario) -> None:
    app = AppTest.from_file(str(ROOT / "pages" / "profiles.py"), default_timeout=60).run()
    assert not app.exception and not app.error
    bad = b"id: x\nmodel: {name: m}\n"
    app.file_uploader(key="profile_upload").upload("bad-profile.yaml", bad).run()
    assert next(e.value for e in app.error).startswith("Profile rejected: bad-profile.yaml: ")
    src = loaded.repo.model_files[next(iter(loaded.repo.models))]
    text = (
        Path(src).read_text().replace(f"id: {next(iter(loaded.repo.models))}", "id: my-measured-profile", 1)
    )
    app.file_uploader(key="profile_upload").clear()
    app.run()
    app.file_uploader(key="profile_upload").upload("mine.yaml", text.encode()).run()
    assert not app.exception
    assert any("my-measured-profile" in s.value for s in app.success)
    assert "my-measured-profile" in app.session_state["session_profiles"]


def test_hours_and_load_curve_views_show_the_engines_numbers(at: AppTest, loaded: LoadedScenario) -> None:
    from tco.api import hourly_frame
    from tco.presentation.labels import header

    shown = _views(at, "Hours").dataframe[0].value
    hosted = next(o.id for o in loaded.resolved.options if o.deployment != "api")
    want = hourly_frame(loaded.resolved, hosted, 0)
    assert len(shown) == 24
    column = header("queries_per_hour", want.attrs["units"]["queries_per_hour"])
    got = [float(v.replace(",", "")) for v in shown[column]]
    assert got == pytest.approx(want["queries_per_hour"].tolist(), rel=1e-3)
    _views(at, "Load curve")


def _views(app: AppTest, view: str) -> AppTest:
    app.button_group(key="view").set_value(view).run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    return app


def test_the_answer_comes_first_and_follows_the_what_if(at: AppTest, loaded: LoadedScenario) -> None:
    from tco.presentation.answer import answer

    assert at.info[0].value == answer(evaluate(loaded)).text
    assert at.caption[0].value == (loaded.spec.description or "").strip()
    at.number_input(key="w:qpd").set_value(5_000_000.0).run()
    edited = loaded.with_changes(edit.set_queries_per_day(loaded.raw, 5_000_000))
    assert at.info[0].value == answer(evaluate(edited)).text
    assert "5,000,000" in at.caption[0].value and "2 million" not in at.caption[0].value


def test_tables_are_in_words_with_units(at: AppTest) -> None:
    from tco.presentation.labels import is_raw_name

    for view in ("Table", "Assumptions", "Regions"):
        frame = _views(at, view).dataframe[0].value
        heads = [*map(str, frame.columns), *(map(str, frame.index) if view == "Table" else [])]
        assert heads and not [h for h in heads if is_raw_name(h)], (view, heads)
        cells = frame.astype(str).to_numpy().ravel()
        assert not [c for c in cells if re.fullmatch(r"-?\d\.\d+e[-+]\d+", c)], view  # no 1.8e-07


def test_assumptions_filter_offers_one_way_to_show_everything(at: AppTest) -> None:
    options = _views(at, "Assumptions").selectbox(key="assumptions_option").options
    assert options[:2] == ["Every option", "Scenario-wide inputs"]
    assert "(all)" not in options and "every option" not in options
    at.selectbox(key="assumptions_option").set_value("Scenario-wide inputs").run()
    frame = at.dataframe[0].value
    assert set(frame["Option"]) == {"scenario-wide"} and "None" not in set(frame["Source year"])


def test_electricity_price_is_offered_only_where_it_counts(at: AppTest, loaded: LoadedScenario) -> None:
    keys = {str(w.key) for w in at.number_input}
    for o in loaded.spec.options:
        has = any(k == f"w:opt:{o.id}:price" for k in keys)
        assert has == (o.deployment == "on-prem"), o.id
