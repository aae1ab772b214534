"""Every report format carries the task plan of a portfolio scenario (`workload.tasks`), and only then."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console
from rich.table import Table

from tco.analysis.portfolio import PortfolioPlans
from tco.api import (
    LoadedScenario,
    Results,
    View,
    compute_view,
    evaluate,
    load_scenario,
    plan_portfolio,
    render_report,
    write_report,
)
from tco.presentation import plan as plan_view_of
from tco.presentation.format import money
from tco.presentation.labels import is_raw_name
from tco.presentation.plan import plan_sentence
from tco.presentation.reports import terminal
from tco.presentation.reports.xlsx import PLAN_STATIC_NOTE

TASKS = ("sentiment", "summarisation", "arithmetic", "code")


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario("portfolio")


@pytest.fixture(scope="module")
def portfolio(loaded: LoadedScenario) -> Results:
    return evaluate(loaded)


@pytest.fixture(scope="module")
def plans(loaded: LoadedScenario) -> PortfolioPlans:
    return plan_portfolio(loaded)


@pytest.fixture(scope="module")
def md(portfolio: Results) -> str:
    return render_report(portfolio, "md", analysis={}).decode("utf-8")


def test_plan_sentence_states_the_saving_against_the_baseline_plan(plans: PortfolioPlans) -> None:
    assert plans.baseline is not None
    text = plan_sentence(plans)
    saving = plans.baseline.cost - plans.optimised.cost
    assert saving > 0  # the shipped portfolio's optimised plan is cheaper than everything on the 70B
    assert f"saves {money(saving, 'USD')}" in text
    assert f"{(plans.baseline.kg - plans.optimised.kg) / 1000:,.1f} tCO2e less" in text
    assert "all-large" in text
    for t in plans.optimised.tasks:
        assert f"{t.task} on {plans.names[t.route]}" in text


def test_markdown_has_the_plan_section_with_words_and_every_task(md: str, plans: PortfolioPlans) -> None:
    section = md.split("## Task plan", 1)[1].split("\n## ", 1)[0]
    assert f"**The plan:** {plan_sentence(plans)}" in section
    header = next(line for line in section.splitlines() if line.startswith("| Plan | Task"))
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert not [c for c in cells if is_raw_name(c)]
    assert "Quality metric" in cells and "Served by" in cells
    for t in plans.optimised.tasks:
        row = next(line for line in section.splitlines() if line.startswith(f"| optimised | {t.task} |"))
        assert plans.names[t.route] in row
        assert f"| {t.metric} |" in row  # quality with its own metric, never averaged


def test_html_has_the_plan_section(portfolio: Results, plans: PortfolioPlans) -> None:
    from html import escape

    text = render_report(portfolio, "html", analysis={}).decode("utf-8")
    assert '<h2 id="plan">Task plan</h2>' in text
    assert escape(plan_sentence(plans)) in text
    for t in plans.optimised.tasks:
        assert escape(t.metric or "") in text


def test_json_plan_numbers_are_the_planners(portfolio: Results, plans: PortfolioPlans) -> None:
    doc = json.loads(render_report(portfolio, "json", analysis={}))
    plan = doc["plan"]
    assert plan["answer"] == plan_sentence(plans)
    assert [p["plan"] for p in plan["plans"]] == ["optimised", "all-large", "all-small", "small-first"]
    assert plan["plans"][0]["npv_cost"] == pytest.approx(plans.optimised.cost)
    rows = {r["task"]: r for r in plan["tasks"] if r["plan"] == "optimised"}
    assert set(rows) == set(TASKS)
    # the bill of materials, as `tco plan -f json` gives it
    bill = plans.as_dict()
    assert plan["bill_of_materials"] == bill["bill_of_materials"] and plan["bill_of_materials"]
    assert plan["runner_up_bill_of_materials"] == bill["runner_up_bill_of_materials"]
    assert [r["gpus"] for r in plan["bill_of_materials"]] == [r.gpus for r in plans.bill_of_materials]
    for t in plans.optimised.tasks:
        assert rows[t.task]["cost_per_1k_queries"] == pytest.approx(t.cost_per_query * 1000)
        assert rows[t.task]["g_per_correct"] == pytest.approx(t.g_per_correct)
        assert rows[t.task]["quality"] == pytest.approx(t.quality)
        assert rows[t.task]["quality_metric"] == t.metric
    assert plan["units"]["g_per_query"] == "gCO2e/query"


def test_csv_writes_the_plan_tables(portfolio: Results, plans: PortfolioPlans, tmp_path: Path) -> None:
    out = write_report(portfolio, "csv", tmp_path / "rep", analysis={})
    with (out / "plan_tasks.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["task"] for r in rows if r["plan"] == "optimised"} == set(TASKS)
    assert "cost_per_1k_queries [USD/1k queries]" in rows[0]
    assert (out / "plans.csv").read_text().startswith("plan,plan_role,npv_cost [USD]")
    scenario = (out / "scenario.csv").read_text()
    assert "plan," in scenario and "The optimised plan saves" in scenario


def test_xlsx_plan_sheet_is_marked_static(portfolio: Results, plans: PortfolioPlans, tmp_path: Path) -> None:
    path = write_report(portfolio, "xlsx", tmp_path / "rep.xlsx", analysis={})
    ws = openpyxl.load_workbook(path)["Plan"]
    assert "static" in str(ws["A1"].value).lower()
    assert ws["A2"].value == PLAN_STATIC_NOTE
    assert ws["A3"].value == plan_sentence(plans)
    values = [row for row in ws.iter_rows(values_only=True) if row[0] == "optimised"]
    assert values[0][2] == pytest.approx(plans.optimised.cost)  # the plans table's NPV cost
    rows = list(ws.iter_rows(values_only=True))
    timeline = next(i for i, row in enumerate(rows) if row[0] == "Plan over time")
    # the plan tables are static; only the plan over time below them holds live formulas
    assert not any(isinstance(v, str) and v.startswith("=") for row in rows[:timeline] for v in row)
    assert any(isinstance(v, str) and v.startswith("=SUMIFS(") for row in rows[timeline:] for v in row)


def test_terminal_prints_the_plan_then_its_tables(
    loaded: LoadedScenario, portfolio: Results, plans: PortfolioPlans
) -> None:
    items = terminal.plan_view(compute_view(loaded, results=portfolio))
    assert items[0] == f"The plan: {plan_sentence(plans)}"
    tables = [i for i in items if isinstance(i, Table)]
    assert [t.title for t in tables] == ["Plans compared", "Per task", "Bill of materials (optimised plan)"]
    console = Console(width=400, record=True)
    console.print(tables[1])
    text = console.export_text()
    for t in plans.optimised.tasks:
        assert t.task in text and (t.metric or "") in text


def test_reports_without_tasks_carry_no_plan(results: Results) -> None:
    assert terminal.plan_view(View(results)) == []
    md = render_report(results, "md", analysis={}).decode("utf-8")
    assert "Task plan" not in md
    assert "plan" not in json.loads(render_report(results, "json", analysis={}))


# --------------------------------------------------------------------------- the portfolio is the default


def test_the_default_scenario_is_the_portfolio(loaded: LoadedScenario) -> None:
    from tco.api import DEFAULT_SCENARIO

    assert DEFAULT_SCENARIO == "portfolio"
    assert load_scenario().file == loaded.file


def test_tco_report_without_a_scenario_prints_the_plan_and_its_saving_first(plans: PortfolioPlans) -> None:
    from typer.testing import CliRunner

    from tco.cli.main import app

    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich folds long lines
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[1].startswith("The plan: The optimised plan saves ")
    assert plans.baseline is not None
    saving = plans.baseline.cost - plans.optimised.cost
    assert f"saves {money(saving, 'USD')}" in text and "than the baseline plan all-large" in text
    # the per-option answer comes after the plan, and says it is not the plan
    plan_at = text.index("The plan: ")
    alone_at = text.index("Each option alone, serving all 2,000,000 queries a day as sentiment")
    assert plan_at < text.index("Per task") < alone_at
    assert "not the plan: Cheapest option" in text


def test_tco_plan_and_every_scenario_command_default_to_the_portfolio() -> None:
    from typer.testing import CliRunner

    from tco.cli.main import app

    result = CliRunner().invoke(app, ["plan"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Support organisation task portfolio")
    assert "optimised vs all-large: saves" in " ".join(result.output.split())
    for command in ("report", "compare", "sensitivity", "uncertainty", "breakeven", "curve", "plan"):
        out = CliRunner().invoke(app, [command, "--help"]).output
        help_text = " ".join(re.sub("[│╭╮╰╯─]", " ", out).split())  # rich's panel borders cut the lines
        assert "Default: portfolio" in help_text, command


def test_every_report_format_puts_the_plan_before_the_single_option_answer(portfolio: Results) -> None:
    from html import escape

    from tco.presentation.plan import single_option_scope

    assert portfolio.scenario is not None
    scope = single_option_scope(portfolio.scenario)
    md = render_report(portfolio, "md", analysis={}).decode("utf-8")
    assert md.index("**The plan:** The optimised plan saves") < md.index(f"**Single-option view:** {scope}: ")
    html = render_report(portfolio, "html", analysis={}).decode("utf-8")
    assert html.index("<strong>The plan:</strong>") < html.index(
        f"<strong>Single-option view:</strong> {escape(scope)}"
    )
    doc = json.loads(render_report(portfolio, "json", analysis={}))
    assert doc["answer"].startswith(f"{scope}: Cheapest option")


def test_plan_headlines_are_the_plans_totals_against_the_baseline_plan(plans: PortfolioPlans) -> None:
    from tco.presentation.plan import plan_headlines

    b, best = plans.baseline, plans.optimised
    assert b is not None
    cost, saving, kg, limits = plan_headlines(plans)
    assert (cost.label, cost.value) == ("Net present cost, no carbon price (USD)", f"{best.cost:,.0f}")
    assert cost.delta == f"×{best.cost / b.cost:.2f} vs all-large" and cost.direction == "better"
    assert (saving.label, saving.value) == ("Saving against all-large (USD)", f"{b.cost - best.cost:,.0f}")
    assert saving.delta == f"{(b.cost - best.cost) / b.cost:.0%} of {b.cost:,.0f} USD"
    assert (kg.label, kg.value) == ("Emissions of the plan (tCO2e)", f"{best.kg / 1000:,.1f}")
    assert (limits.value, limits.delta) == ("all met", None)  # the optimised plan meets every floor and SLO


def test_task_cards_say_per_task_who_serves_it_and_per_correct_answer(plans: PortfolioPlans) -> None:
    from tco.presentation.plan import task_cards

    cards = task_cards(plans, plans.optimised)
    total = sum(t.queries for t in plans.optimised.tasks)
    for card, t in zip(cards, plans.optimised.tasks, strict=True):
        assert card.served_by == plans.names[t.route]
        assert card.share == f"{100 * t.queries / total:.0f} % of queries"
        per_query = t.cost / t.queries * 1000
        assert float(card.cost_per_1k.replace(",", "")) == pytest.approx(per_query, rel=1e-3)
        assert float(card.cost_per_1k_correct.replace(",", "")) == pytest.approx(
            per_query / t.quality, rel=1e-3
        )
        assert float(card.g_per_correct) == pytest.approx(t.kg * 1000 / t.queries / t.quality, rel=1e-3)
        assert card.quality.startswith(f"{t.quality:.3f} {t.metric}") and card.ok
    assert [c.share for c in cards] == [
        "50 % of queries",
        "30 % of queries",
        "12 % of queries",
        "8 % of queries",
    ]


def test_readme_quotes_the_default_plan_sentence_as_the_app_and_cli_print_it(plans: PortfolioPlans) -> None:
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    assert f"*{plan_sentence(plans)}*" in readme


@pytest.mark.parametrize("objective", ["cost", "cost-with-carbon"])
def test_the_headline_says_the_objective_and_counts_the_carbon_price_only_when_it_is_in_it(
    objective: str,
) -> None:
    """At 100 USD/tCO2e both objectives choose the same routes on the portfolio; with `cost-with-carbon` the
    headline's cost and saving include the carbon price each plan pays, with `cost` they do not, and the
    headline says which."""
    from tco.api import load_scenario, plan_portfolio
    from tco.presentation.plan import objective_line, plan_headlines, plan_sentence
    from tco.scenario import edit

    loaded = load_scenario("portfolio")
    priced = loaded.with_changes(edit.set_carbon_price(loaded.raw, 100.0, "USD"))
    plain_plans = plan_portfolio(priced, objective="cost")
    plans = plan_portfolio(priced.with_changes(edit.set_plan_objective(priced.raw, objective)))
    assert plans.optimised.objective == objective
    assert dict(plans.optimised.routes) == dict(plain_plans.optimised.routes)
    best, b = plain_plans.optimised, plain_plans.baseline
    assert b is not None and best.carbon_cost > 0
    counted = objective == "cost-with-carbon"
    cost = best.cost + (best.carbon_cost if counted else 0.0)
    base = b.cost + (b.carbon_cost if counted else 0.0)
    card, saving, *_ = plan_headlines(plans)
    assert card.label == f"Net present cost, {'with' if counted else 'no'} carbon price (USD)"
    assert card.value == f"{cost:,.0f}"
    assert saving.value == f"{base - cost:,.0f}"
    line = objective_line(plans)
    if counted:
        assert line == (
            "Objective: lowest net present cost with the carbon price. The carbon price (100 USD/tCO2e) is in "
            "every plan's cost and chose the plan."
        )
        assert "of net present cost with the carbon price and emits" in plan_sentence(plans)
    else:
        assert line == (
            "Objective: lowest net present cost, without the carbon price. The carbon price (100 USD/tCO2e) is "
            "not in the plan's cost and did not choose it: pick the objective 'cost with carbon' to count it."
        )
        assert plan_sentence(plans).endswith(
            "(objective: lowest net present cost, without the carbon price)."
        )


def test_the_bill_of_materials_table_shows_the_plans_fleets(plans: PortfolioPlans) -> None:
    frame = plan_view_of.bom_table(plans)
    best = plans.optimised
    rows = {r.deployment: r for r in plans.bill_of_materials}
    assert set(rows) == set(best.in_service)  # one row per hosted fleet of the optimised plan
    assert list(frame["fleet"]) == [plans.names[r.deployment] for r in plans.bill_of_materials]
    assert list(frame["gpus"]) == [r.gpus for r in plans.bill_of_materials]
    assert sum(frame["kw_provisioned"]) == pytest.approx(
        sum(t["kw_provisioned"] for t in plans.bill_totals.values())
    )
    lines = plan_view_of.search_lines(plans)
    totals = plans.bill_totals
    assert len([x for x in lines if x.startswith("bill of materials, ")]) == len(totals)


def test_the_search_line_counts_generated_as_kept_plus_pruned() -> None:
    plans = plan_portfolio(load_scenario("melange-search"))
    kept, pruned = len(plans.search_candidates), len(plans.search_pruned)
    assert kept and pruned
    line = next(x for x in plan_view_of.search_lines(plans) if x.startswith("plan.search: "))
    assert line == (
        f"plan.search: {kept + pruned} candidate deployments generated from the catalogue, {pruned} pruned as "
        f"dominated, {kept} kept; {len(plans.search_left_out)} combinations left out"
    )


def test_the_bill_of_materials_bills_the_tier_and_region_the_option_was_priced_with(
    loaded: LoadedScenario, plans: PortfolioPlans
) -> None:
    # slm-distilbert-t4 names no cloud_tier: the T4 has no gpu-cloud price, so it rents in `hyperscaler`
    # through the tier fallback (hardware.yaml); its region is written (fr), the others take the default
    rows = {r.deployment: r for r in plans.bill_of_materials}
    assert (rows["slm-distilbert-t4"].tier, rows["slm-distilbert-t4"].region) == ("hyperscaler", "fr")
    priced = {o.id: o.extra for o in loaded.resolved.options}
    for d, r in rows.items():
        assert (r.gpu, r.region, r.tier) == (
            priced[d]["hardware_id"],
            priced[d]["region"],
            priced[d]["price_tier"],
        )
    frame = plan_view_of.bom_table(plans)
    assert "" not in set(frame["price_tier"])
