"""Defects fixed where the README states the intended rule, each pinned by a test that fails on the code
before the fix (issue 18): they import only names that existed before, so they run against the old code too.
"""

from __future__ import annotations

import numpy as np

from tco.api import evaluate, load_scenario
from tco.scenario.repository import Repository
from tests.conftest import HAND_SCENARIO


def test_the_yearly_cost_chart_stacks_only_cost_lines_that_add_up_to_the_accounting_total(
    test_repo: Repository,
) -> None:
    from tco.presentation.charts import yearly_cost_frame

    results = evaluate(load_scenario(HAND_SCENARIO, repo=test_repo))
    long = yearly_cost_frame(results)
    # it used to stack queries asked, accelerator-hours, fine-tuning kWh and the after-tax total as costs
    assert all(str(c).endswith("_cost") and "after_tax" not in str(c) for c in set(long["column"]))
    stacked = long.groupby(["option", "year"], observed=True)["cost"].sum()
    yearly = results.yearly().set_index(["option", "year"])["accounting_total_cost"]
    assert np.allclose(stacked, yearly.loc[stacked.index], rtol=1e-12)
