"""The app on a task portfolio: the plan sentence first, the Plan view, task shares and floors as what-ifs.

Expected values come from `tco.api.plan_portfolio` on the same edit (`tco.presentation.whatif`), phrased by
`tco.presentation.plan`, so these tests fail if the page shows anything else.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tco.api import LoadedScenario, load_scenario, plan_portfolio
from tco.errors import InputError
from tco.presentation.labels import is_raw_name
from tco.presentation.plan import plan_sentence
from tco.scenario import edit
from tests.app.test_app import APP, open_app


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario("portfolio")


@pytest.fixture
def at() -> AppTest:
    app = open_app("portfolio")
    assert not app.error
    return app


def test_plan_sentence_comes_first_and_is_the_planners(at: AppTest, loaded: LoadedScenario) -> None:
    want = plan_sentence(plan_portfolio(loaded))
    assert at.success[0].value == want
    assert "saves" in want and "tCO2e less" in want
    assert at.session_state["view_plan"] == "Plan"


def test_plan_view_shows_who_serves_each_task_in_words(at: AppTest, loaded: LoadedScenario) -> None:
    plans = plan_portfolio(loaded)
    frames = [d.value for d in at.table]
    per_task = frames[0]  # tasks as columns, measures as rows
    assert not [c for c in per_task.index if is_raw_name(str(c))], list(per_task.index)
    assert list(per_task.columns) == [t.task for t in plans.optimised.tasks]
    assert list(per_task.loc["Served by"]) == [plans.names[t.route] for t in plans.optimised.tasks]
    assert list(per_task.loc["Quality metric"]) == [t.metric for t in plans.optimised.tasks]
    for row in (
        "Cost per 1,000 queries (USD/1k queries)",
        "Cost per 1,000 correct answers (USD/1k correct answers)",
        "Emissions per query (gCO2e/query)",
        "Emissions per correct answer (gCO2e/correct answer)",
        "Quality floor",
    ):
        assert row in per_task.index
    compared = frames[1]
    assert not [c for c in compared.columns if is_raw_name(str(c))], list(compared.columns)
    assert list(compared["Plan"]) == ["optimised", "all-large", "all-small", "small-first"]


def test_plan_view_has_a_card_per_task_in_words(at: AppTest, loaded: LoadedScenario) -> None:
    from tco.presentation.plan import task_cards

    plans = plan_portfolio(loaded)
    cards = task_cards(plans, plans.optimised)
    text = [m.value for m in at.markdown]
    for card in cards:
        assert f"**{card.task}** · {card.share}  \n{card.served_by}" in text
        body = next(m for m in text if m.startswith(f"- Cost: **{card.cost_per_1k} USD** per 1,000 queries"))
        assert f"**{card.g_per_correct} gCO2e** per correct answer" in body
        assert f"Quality: {card.quality}" in body
    assert [c.task for c in cards] == [t.task for t in plans.optimised.tasks]
    assert cards[0].share == "50 % of queries" and cards[0].ok


def test_plan_view_shows_a_compared_plan_per_task(at: AppTest, loaded: LoadedScenario) -> None:
    at.selectbox(key="plan_pick").set_value("all-large").run()
    per_task = at.table[0].value
    assert set(per_task.loc["Served by"]) == {"Llama 3.1 70B, 4x H100 on-prem, Virginia"}


def test_a_share_what_if_changes_the_plan(at: AppTest, loaded: LoadedScenario) -> None:
    before = at.success[0].value
    at.slider(key="w:share:sentiment").set_value(20.0).run()
    assert not at.exception and not at.error
    edited = loaded.with_changes(edit.set_task_shares(loaded.raw, {"sentiment": 20.0}))
    assert [t.share for t in edited.spec.workload.tasks] == pytest.approx([0.2, 0.3, 0.12, 0.38])
    assert at.success[0].value == plan_sentence(plan_portfolio(edited))
    assert at.success[0].value != before
    assert any("code: 38 %" in c.value for c in at.sidebar.caption)


def test_a_quality_floor_what_if_recomputes_the_plan(at: AppTest, loaded: LoadedScenario) -> None:
    at.number_input(key="w:floor:summarisation").set_value(0.0).run()
    assert not at.exception and not at.error
    edited = loaded.with_changes(edit.set_task_quality_floor(loaded.raw, "summarisation", 0.0))
    assert at.success[0].value == plan_sentence(plan_portfolio(edited))


def test_shares_above_100_percent_are_refused_in_one_line(at: AppTest) -> None:
    at.slider(key="w:share:sentiment").set_value(90.0).run()
    assert not at.exception
    assert any("add up to 132 %" in e.value for e in at.sidebar.error)
    with pytest.raises(InputError, match="at most 100 %"):
        edit.set_task_shares(load_scenario("portfolio").raw, {"sentiment": 90.0})


def test_the_app_opens_on_the_portfolio_plan_and_its_saving(loaded: LoadedScenario) -> None:
    """The default scenario is the task portfolio: no choice needed for the plan, its saving and the per-task
    view; the cards of each option alone come after, folded, and say what they are."""
    from tco.api import evaluate
    from tco.presentation.answer import answer
    from tco.presentation.plan import plan_headlines, single_option_scope

    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="scenario_choice").value == "portfolio"
    plans = plan_portfolio(loaded)
    assert app.success[0].value == plan_sentence(plans)
    assert app.success[0].value.startswith("The optimised plan saves ")
    cards = list(app.metric)[:4]
    want = plan_headlines(plans)
    assert [(m.label, m.value) for m in cards] == [(h.label, h.value) for h in want]
    assert cards[1].label == "Saving against all-large (USD)"
    assert app.session_state["view_plan"] == "Plan"
    assert list(app.table[0].value.columns) == [t.task for t in plans.optimised.tasks]
    alone = app.expander[0]
    assert alone.label.startswith(single_option_scope(loaded)) and "not the plan" in alone.label
    assert alone.info[0].value == answer(evaluate(loaded)).text


def test_a_single_task_scenario_has_no_plan() -> None:
    app = open_app("slm-vs-llm")
    assert not app.success
    assert "view_plan" not in app.session_state


def test_plan_cards_follow_a_share_what_if(at: AppTest, loaded: LoadedScenario) -> None:
    from tco.presentation.plan import plan_headlines

    before = [m.value for m in list(at.metric)[:4]]
    at.slider(key="w:share:sentiment").set_value(20.0).run()
    edited = loaded.with_changes(edit.set_task_shares(loaded.raw, {"sentiment": 20.0}))
    want = [(h.label, h.value, h.delta or "") for h in plan_headlines(plan_portfolio(edited))]
    assert [(m.label, m.value, m.delta or "") for m in list(at.metric)[:4]] == want
    assert [m.value for m in list(at.metric)[:4]] != before


@pytest.mark.parametrize("sentiment", [0.0, 12.5, 58.0])
def test_set_task_shares_keeps_the_shares_summing_to_100_percent(
    loaded: LoadedScenario, sentiment: float
) -> None:
    edited = loaded.with_changes(
        edit.set_task_shares(loaded.raw, {"sentiment": sentiment, "arithmetic": 2.0})
    )
    shares = [t.share for t in edited.spec.workload.tasks]
    assert shares == pytest.approx([sentiment / 100, 0.3, 0.02, 1 - 0.32 - sentiment / 100])
    assert sum(shares) == pytest.approx(1.0)


def test_set_task_shares_refuses_the_last_task_and_unknown_ones(loaded: LoadedScenario) -> None:
    with pytest.raises(InputError, match="takes what the others leave"):
        edit.set_task_shares(loaded.raw, {"code": 10.0})
    with pytest.raises(InputError, match="cannot set the share of poetry"):
        edit.set_task_shares(loaded.raw, {"poetry": 10.0})


def test_set_task_quality_floor_none_removes_the_floor(loaded: LoadedScenario) -> None:
    edited = loaded.with_changes(edit.set_task_quality_floor(loaded.raw, "code", None))
    assert edited.spec.workload.tasks is not None
    assert [t.quality_floor for t in edited.spec.workload.tasks] == [0.9, 0.165, 0.9, None]


def test_plan_view_shows_the_engines_bill_of_materials(at: AppTest, loaded: LoadedScenario) -> None:
    from tco.presentation.plan import search_lines

    plans = plan_portfolio(loaded)
    assert plans.bill_of_materials and plans.runner_up_bill
    frames = [d.value for d in at.table]
    # after the per-task and the plans-compared tables: the optimised plan's bill, then the runner-up's
    for shown, rows in ((frames[2], plans.bill_of_materials), (frames[3], plans.runner_up_bill)):
        assert not [c for c in shown.columns if is_raw_name(str(c))], list(shown.columns)
        assert list(shown["Fleet"]) == [plans.names[r.deployment] for r in rows]
        assert list(shown["GPU type"]) == [r.gpu for r in rows]
        assert list(shown["Region"]) == [r.region for r in rows]
        assert list(shown["Paid as"]) == [r.pay for r in rows]
        assert list(shown["Price tier"]) == [r.tier for r in rows]
        assert [int(x) for x in shown["GPUs"]] == [r.gpus for r in rows]
        assert [int(x) for x in shown["Servers"]] == [r.servers for r in rows]
        assert [float(x) for x in shown["Power provisioned (kW)"]] == pytest.approx(
            [r.kw_provisioned for r in rows], rel=5e-4
        )
    # the totals per GPU type and region and the runner-up's cost under the bill
    assert "\n".join(f"- {line}" for line in search_lines(plans)) in [m.value for m in at.markdown]
