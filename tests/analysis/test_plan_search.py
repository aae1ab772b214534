"""`plan.search`: candidate deployments from the catalogue, pruning, what is left out, and the bill of
materials of the plan over them."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tco.analysis.plan_bom import bom_row, bom_totals
from tco.analysis.portfolio import PortfolioPlans, plan_portfolio
from tco.engine.inputs import OptionInputs
from tco.errors import InputError
from tco.scenario.load import LoadedScenario, load_scenario, scenario_from_dict
from tco.scenario.portfolio import PAY_MODES, SearchSpec
from tco.scenario.repository import Repository, load_repository
from tco.scenario.search import PAY_TIERS, expand_search, search_catalogue

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"


@pytest.fixture(scope="module")
def repo() -> Repository:
    return load_repository()


def _raw(
    search: Any, *, horizon: str = "12 months", tasks: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "name": "search",
        "currency": {"reporting": "USD", "rates": {"EUR": "1.08 USD/EUR"}},
        "start": "2026-01",
        "horizon": horizon,
        "discount_rate": "8 %",
        "workload": {
            "queries_per_day": "200000 query/day",
            "peak_to_average": 2,
            "tasks": tasks
            or [
                {"task": "chat", "queries_per_day": "200000 query/day", "tokens_in": 1000, "tokens_out": 500}
            ],
        },
        "defaults": {"region": "us-va"},
        "options": [
            {
                "id": "ref",
                "deployment": "cloud",
                "profile": "mlenergy-llama-3.1-8b-instruct-lm-arena-chat-1xh100",
            }
        ],
        "plan": {"search": search},
    }


def test_a_small_search_generates_exactly_the_hand_listed_candidates(repo: Repository) -> None:
    # Llama 3.1 8B is measured on h100-sxm twice (llama-3.1-8b-h100, the ML.ENERGY chat profile), never on
    # a10g. h100-sxm prices: purchase, spot, gpu-cloud 2.5 and hyperscaler 4.25 USD/h (hardware.yaml);
    # a10g: hyperscaler only, no purchase, no spot.
    spec = SearchSpec(
        models=[LLAMA_8B], gpus=["h100-sxm", "a10g"], regions=["fr"], pay=["buy", "spot", "on-demand"]
    )
    found = search_catalogue([spec], repo)
    assert [c.id for c in found.candidates] == [
        "llama-3.1-8b-h100-buy-fr",
        "llama-3.1-8b-h100-spot-fr",
        "llama-3.1-8b-h100-gpu-cloud-fr",
        "mlenergy-llama-3.1-8b-instruct-lm-arena-chat-1xh100-buy-fr",
        "mlenergy-llama-3.1-8b-instruct-lm-arena-chat-1xh100-spot-fr",
        "mlenergy-llama-3.1-8b-instruct-lm-arena-chat-1xh100-gpu-cloud-fr",
    ]
    # on-demand hyperscaler (4.25 USD/h) costs more than gpu-cloud (2.5 USD/h) with nothing else different
    assert found.pruned == (
        ("llama-3.1-8b-h100-hyperscaler-fr", "llama-3.1-8b-h100-gpu-cloud-fr"),
        (
            "mlenergy-llama-3.1-8b-instruct-lm-arena-chat-1xh100-hyperscaler-fr",
            "mlenergy-llama-3.1-8b-instruct-lm-arena-chat-1xh100-gpu-cloud-fr",
        ),
    )
    assert found.left_out == (
        f"{LLAMA_8B} on a10g: not measured on it (no profile; a model must be measured on a GPU type, which also "
        "shows it fits its memory)",
    )
    buy = found.candidates[0].option(multi_config=False)
    assert buy == {
        "id": "llama-3.1-8b-h100-buy-fr",
        "name": "Llama-3.1-8B-Instruct [llama-3.1-8b-h100], buy (purchase)",
        "deployment": "on-prem",
        "profile": "llama-3.1-8b-h100",
        "region": "fr",
    }
    assert found.candidates[1].option(multi_config=False)["cloud_tier"] == "spot"
    # the tier is named where it says more than the way to pay
    assert (
        found.candidates[1].option(multi_config=False)["name"]
        == "Llama-3.1-8B-Instruct [llama-3.1-8b-h100], spot"
    )


def test_parallelism_list_keeps_only_those_configurations_and_says_what_is_missing(repo: Repository) -> None:
    spec = SearchSpec(
        models=["openai/gpt-oss-120b"],
        gpus=["b200"],
        parallelism=["2x", "tp4"],
        regions=["us-va"],
        pay=["spot"],
    )
    found = search_catalogue([spec], repo)
    assert [c.id for c in found.candidates] == ["mlenergy-gpt-oss-120b-gpqa-2xb200-spot-us-va"]
    assert found.candidates[0].accelerators == 2
    assert found.left_out == (
        "openai/gpt-oss-120b on b200: no measured configuration tp4 (measured: 1x, 2x)",
    )


_GPUS = ["h100-sxm", "h100-pcie", "b200", "a100-80gb", "l4", "t4", "a10g", "h200"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    gpus=st.lists(st.sampled_from(_GPUS), min_size=1, max_size=4, unique=True),
    pay=st.lists(st.sampled_from(PAY_MODES), min_size=1, max_size=4, unique=True),
    prune=st.booleans(),
)
def test_a_gpu_type_without_a_price_in_a_tier_is_never_proposed_in_it(
    repo: Repository, gpus: list[str], pay: list[str], prune: bool
) -> None:
    spec = SearchSpec(models=[LLAMA_8B, "openai/gpt-oss-120b"], gpus=gpus, regions=["us-va"], pay=pay)
    found = search_catalogue([spec], repo, prune=prune)
    for c in found.candidates:
        assert c.gpu in gpus and c.pay in pay and c.tier in PAY_TIERS[c.pay]
        assert repo.hardware[c.gpu].prices.get(c.tier) is not None
        assert repo.models[c.profile].hardware == c.gpu
    measured = {p.hardware for p in repo.models.values() if p.model.name in (LLAMA_8B, "openai/gpt-oss-120b")}
    for g in gpus:
        for way in pay:
            priced = [t for t in PAY_TIERS[way] if repo.hardware[g].prices.get(t) is not None]
            if g in measured and not priced:
                assert any(line.startswith(f"{g} ({way}): no price in") for line in found.left_out)
                assert not any(c.gpu == g and c.pay == way for c in found.candidates)


def _plan(raw: dict[str, Any], repo: Repository) -> PortfolioPlans:
    return plan_portfolio(scenario_from_dict(raw, repo=repo))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    gpus=st.lists(st.sampled_from(["h100-sxm", "b200", "a100-80gb"]), min_size=1, max_size=2, unique=True),
    pay=st.lists(st.sampled_from(["on-demand", "committed", "spot"]), min_size=1, max_size=2, unique=True),
    regions=st.lists(st.sampled_from(["us-va", "fr"]), min_size=1, max_size=2, unique=True),
)
@example(gpus=["h100-sxm"], pay=["on-demand", "committed"], regions=["us-va", "fr"])
def test_pruning_never_removes_the_optimum(
    repo: Repository, gpus: list[str], pay: list[str], regions: list[str]
) -> None:
    raw = _raw({"models": [LLAMA_8B], "gpus": gpus, "regions": regions, "pay": pay})
    pruned = _plan(raw, repo)
    # the same plan over every candidate, unpruned: the expansion written out, without plan.search
    full = expand_search(raw, repo, prune=False)
    full["plan"] = {k: v for k, v in full["plan"].items() if k != "search"}
    unpruned = _plan(full, repo)
    dropped = len(pruned.search_pruned)
    assert len(unpruned.problem.routes) == len(pruned.problem.routes) + dropped
    assert pruned.optimised.objective_value == pytest.approx(unpruned.optimised.objective_value, rel=1e-12)
    assert "exhaustive" in pruned.proof and "exhaustive" in unpruned.proof


@pytest.fixture(scope="module")
def melange_search() -> tuple[LoadedScenario, PortfolioPlans]:
    loaded = load_scenario("melange-search")
    return loaded, plan_portfolio(loaded)


def test_the_shipped_search_scenario_plans_over_generated_candidates_with_a_bill_of_materials(
    melange_search: tuple[LoadedScenario, PortfolioPlans],
) -> None:
    loaded, plans = melange_search
    best = plans.optimised
    assert "exhaustive" in plans.proof and best.meets_limits
    generated = set(plans.search_candidates)
    assert set(best.routes.values()) <= generated  # the plan uses the catalogue's candidates
    assert all(not c.startswith("l4-") for c in generated)
    assert any(line.startswith("l4 (spot): no price in spot") for line in plans.search_left_out)
    rows = {r.deployment: r for r in plans.bill_of_materials}
    assert set(rows) == set(best.in_service)
    hw = loaded.repo.hardware
    for d, path in best.in_service.items():
        r = rows[d]
        opt = next(o for o in loaded.spec.options if o.id == d)
        prof = loaded.repo.models[opt.profile or ""]
        assert r.gpu == prof.hardware and r.region == opt.region
        assert r.gpus == max(path) * prof.accelerators
        assert r.servers == math.ceil(r.gpus / hw[r.gpu].server.accelerators)
    assert plans.runner_up is not None and plans.runner_up.cost >= best.cost
    assert plans.runner_up_bill
    data = plans.as_dict()
    assert data["bill_of_materials"][0]["gpus"] == plans.bill_of_materials[0].gpus
    assert data["catalogue_search"]["left_out"] == list(plans.search_left_out)


def test_the_bill_of_materials_of_a_fleet_by_hand() -> None:
    opt = OptionInputs(
        id="x",
        name="x",
        deployment="on-prem",
        energy_per_query_kwh=0.001,
        throughput_qps=1.0,
        accelerators_per_replica=2,
        max_power_kw=0.7,
        host_power_kw=0.2,
        pue=1.3,
    )
    row = bom_row("x", opt, (1, 1, 2, 2, 3), gpu="h100-sxm", region="fr", tier="purchase", per_server=8)
    assert (row.gpus, row.servers, row.pay) == (6, 1, "buy")
    assert row.kw_provisioned == pytest.approx(6 * (0.7 + 0.2) * 1.3)  # 7.02 kW
    assert row.purchases == ((1, 2), (3, 2), (5, 2))
    committed = bom_row(
        "c",
        OptionInputs(
            id="c",
            name="c",
            deployment="cloud",
            energy_per_query_kwh=0.001,
            throughput_qps=1.0,
            accelerators_per_replica=4,
            cloud_pricing="committed",
            commitment_term_months=36.0,
        ),
        (1, 1, 2, 3),
        gpu="b200",
        region="us-va",
        tier="gpu-cloud-3y",
        per_server=8,
    )
    # 4 GPUs committed (the first month's fleet) for 36-month terms; above it 0 + 0 + 4 + 8 GPU-months
    assert (committed.gpus, committed.servers, committed.committed_gpus) == (12, 2, 4)
    assert committed.gpu_months == 12.0 and committed.term_months == 36.0
    spot = bom_row(
        "s",
        OptionInputs(
            id="s",
            name="s",
            deployment="cloud",
            energy_per_query_kwh=0.001,
            throughput_qps=1.0,
            accelerators_per_replica=1,
            cloud_pricing="spot",
            spot_overprovisioning=0.25,
        ),
        (2, 2, 4),
        gpu="h100-sxm",
        region="fr",
        tier="spot",
        per_server=8,
    )
    # 8 GPU-months in service, 25 % more rented (and billed, engine/finance.py) to ride out interruptions
    assert (spot.gpus, spot.gpu_months) == (4, pytest.approx(10.0))
    assert bom_totals((row, committed)) == {
        ("h100-sxm", "fr"): {"gpus": 6, "servers": 1, "kw_provisioned": pytest.approx(7.02)},
        ("b200", "us-va"): {"gpus": 12, "servers": 2, "kw_provisioned": 0.0},
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"gpus": ["h100"]},
            "plan.search[0].gpus[0]: unknown GPU type 'h100', expected one of h100-sxm,",
        ),
        ({"regions": ["mars"]}, "plan.search[0].regions[0]: unknown region 'mars', expected one of se,"),
        ({"models": ["gpt-5"]}, "plan.search[0].models[0]: no profile or model named 'gpt-5'"),
        (
            {"pay": ["lease"]},
            "plan.search[0].pay[0]: Input should be 'buy', 'on-demand', 'committed' or 'spot', got 'lease'",
        ),
        ({"tasks": ["code"]}, "plan.search[0].tasks[0]: unknown task 'code', expected one of chat"),
        ({"regions": ["fr", "fr"]}, "regions repeats ['fr'], expected each once"),
    ],
)
def test_bad_search_input_is_one_line_naming_the_field(
    repo: Repository, change: dict[str, Any], message: str
) -> None:
    search = {"models": [LLAMA_8B], "gpus": ["h100-sxm"], "regions": ["us-va"], "pay": ["spot"], **change}
    with pytest.raises(InputError) as e:
        scenario_from_dict(_raw(search), file="s.yaml", repo=repo)
    text = str(e.value)
    assert "\n" not in text and text.startswith("s.yaml: ")
    assert message in text


def test_the_searched_candidates_serve_only_their_tasks(repo: Repository) -> None:
    tasks = [
        {"task": "chat", "queries_per_day": "100000 query/day", "tokens_in": 1000, "tokens_out": 500},
        {"task": "reasoning", "queries_per_day": "1000 query/day", "tokens_in": 1000, "tokens_out": 7000},
    ]
    raw = _raw(
        [
            {
                "models": [LLAMA_8B],
                "gpus": ["b200"],
                "regions": ["us-va"],
                "pay": ["spot"],
                "tasks": ["chat"],
            },
            {
                "models": ["openai/gpt-oss-120b"],
                "gpus": ["b200"],
                "parallelism": ["1x"],
                "regions": ["us-va"],
                "pay": ["spot"],
                "tasks": ["reasoning"],
            },
        ],
        tasks=tasks,
    )
    loaded = scenario_from_dict(copy.deepcopy(raw), repo=repo)
    assert loaded.raw == raw  # the scenario as written stays unexpanded
    cands = loaded.spec.plan.candidates if loaded.spec.plan else {}
    assert cands == {
        "chat": ["ref", "mlenergy-llama-3.1-8b-instruct-lm-arena-chat-1xb200-spot-us-va"],
        "reasoning": ["ref", "mlenergy-gpt-oss-120b-gpqa-1xb200-spot-us-va"],
    }


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=2), min_size=1, max_size=6),
    st.integers(2, 4),
    st.integers(1, 40),
)
def test_pair_moves_are_the_first_of_every_pair_sorted_shared_first(
    uses: list[list[int]], tasks: int, limit: int
) -> None:
    # the polishing's two-task moves, built lazily (10 tasks x 200 candidates make 1.8 million pairs), are
    # exactly the old definition: every pair, stably sorted by "shares no deployment", the first `limit`
    from tco.analysis.plan import Route, Stage
    from tco.analysis.portfolio import _pair_moves

    eligible = {
        f"t{i}": [
            Route(f"r{k}", f"t{i}", tuple(Stage(f"d{d}") for d in dict.fromkeys(u)), 0.0, 0.0)
            for k, u in enumerate(uses)
        ]
        for i in range(tasks)
    }
    current = {"t0": "r0", "t1": f"r{len(uses) - 1}"}
    every = [
        (a, ra, b, rb)
        for a, b in itertools.combinations(list(eligible), 2)
        for ra in eligible[a]
        for rb in eligible[b]
        if ra.id != current.get(a) and rb.id != current.get(b)
    ]
    every.sort(key=lambda m: not set(m[1].deployments()) & set(m[3].deployments()))
    lazy = _pair_moves(eligible, current, limit)
    assert [(a, ra.id, b, rb.id) for a, ra, b, rb in lazy] == [
        (a, ra.id, b, rb.id) for a, ra, b, rb in every[:limit]
    ]


def test_a_generated_option_is_named_once_by_its_model_pay_hardware_and_region(
    melange_search: tuple[LoadedScenario, PortfolioPlans],
) -> None:
    loaded, _ = melange_search
    names = {o.id: o.name for o in loaded.resolved.options}
    assert names["llama-3.1-8b-h100-buy-us-va"] == (
        "Llama-3.1-8B-Instruct [llama-3.1-8b-h100], buy (purchase), H100 on-prem, Virginia"
    )
    assert names["llama-3.1-8b-h100-gpu-cloud-fr"] == (
        "Llama-3.1-8B-Instruct [llama-3.1-8b-h100], on-demand (gpu-cloud), H100 cloud, France"
    )


def test_two_long_profile_ids_cut_alike_give_two_candidates(repo: Repository) -> None:
    base = repo.models["llama-3.1-8b-h100"]
    long_a = "an-organisation-with-a-very-long-name-llama-3.1-8b-instruct-measured-on-h100-run-a"
    long_b = "an-organisation-with-a-very-long-name-llama-3.1-8b-instruct-measured-on-h100-run-b"
    models = {p: base.model_copy(update={"id": p}) for p in (long_a, long_b)}
    two = dataclasses.replace(repo, models={**repo.models, **models})
    spec = SearchSpec(models=[long_a, long_b], gpus=["h100-sxm"], regions=["fr"], pay=["buy"])
    found = search_catalogue([spec], two)
    ids = [c.id for c in found.candidates]
    assert [c.profile for c in found.candidates] == [long_a, long_b]
    assert len(set(ids)) == 2 and all(len(i) <= 80 and i.endswith("-buy-fr") for i in ids)
    assert all(i.startswith("an-organisation-with-a-very-long-name-llama-3.1-8b-instruct") for i in ids)
    # the same long profile gives the same id each time (stable, not random)
    assert [c.id for c in search_catalogue([spec], two).candidates] == ids


def test_the_same_deployment_from_two_blocks_serves_the_tasks_of_both(repo: Repository) -> None:
    one = SearchSpec(
        models=["llama-3.1-8b-h100"], gpus=["h100-sxm"], regions=["fr"], pay=["buy"], tasks=["a"]
    )
    two = SearchSpec(
        models=["llama-3.1-8b-h100"], gpus=["h100-sxm"], regions=["fr"], pay=["buy"], tasks=["b"]
    )
    found = search_catalogue([one, two], repo)
    assert [(c.id, c.tasks) for c in found.candidates] == [("llama-3.1-8b-h100-buy-fr", ("a", "b"))]


def test_a_search_with_no_candidate_and_no_option_is_one_line_with_the_reasons(repo: Repository) -> None:
    # Llama 3.1 8B is not measured on a10g; l4 has no spot price
    raw = _raw({"models": [LLAMA_8B], "gpus": ["a10g", "l4"], "regions": ["fr"], "pay": ["spot"]})
    raw["options"] = []
    with pytest.raises(InputError) as e:
        scenario_from_dict(raw, file="s.yaml", repo=repo)
    assert str(e.value) == (
        f"s.yaml: plan.search: no candidate deployment: {LLAMA_8B} on a10g: not measured on it; "
        "l4 (spot): no price in spot in the hardware data, not proposed, expected a model measured on a GPU type "
        "searched with a price in a way to pay searched"
    )
