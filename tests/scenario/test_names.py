"""Option names built from the option's current model, hardware and region (tco.scenario.names): a what-if
that moves an option renames it, and a written name's old facts do not survive the move."""

from __future__ import annotations

import pytest

from tco.analysis.evaluate import evaluate
from tco.presentation.labels import option_name as label_layer_option_name
from tco.scenario import edit
from tco.scenario.load import load_scenario
from tco.scenario.names import fact_words, hardware_words, label_of, option_name, region_words
from tco.scenario.repository import load_repository


@pytest.fixture(scope="module")
def facts() -> frozenset[str]:
    repo = load_repository()
    return fact_words(repo.hardware.values(), repo.regions.values())


def test_hosted_and_api_names() -> None:
    assert (
        option_name("Llama 3.1 70B", deployment="on-prem", hardware="H100", accelerators=4, region="Virginia")
        == "Llama 3.1 70B, 4x H100 on-prem, Virginia"
    )
    assert (
        option_name("DistilBERT", deployment="cloud", hardware="T4", region="India")
        == "DistilBERT, T4 cloud, India"
    )
    assert option_name("Llama 3.1 70B", deployment="api") == "Llama 3.1 70B via API"
    assert (
        option_name("Llama 3.1 8B via API (Together)", deployment="api") == "Llama 3.1 8B via API (Together)"
    )
    assert label_layer_option_name is option_name  # one function, also in the label layer


def test_short_hardware_and_region_words() -> None:
    repo = load_repository()
    assert hardware_words(repo.hardware["h100-sxm"]) == "H100"
    assert hardware_words(repo.hardware["h100-pcie"]) == "H100 PCIe"  # its short_name: not the SXM's
    assert hardware_words(repo.hardware["mi300x"]) == "MI300X"
    assert region_words(repo.regions["us-va"]) == "Virginia"
    assert region_words(repo.regions["in"]) == "India"
    shorts = [hardware_words(h) for h in repo.hardware.values()]
    assert len(shorts) == len(set(shorts)), shorts  # every hardware reads differently


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("Fine-tuned DistilBERT, T4 cloud, France", "Fine-tuned DistilBERT"),
        ("Llama 3.1 70B, 4x H100 on-prem, Virginia", "Llama 3.1 70B"),
        ("Llama 3.1 8B chat, H100 cloud", "Llama 3.1 8B chat"),
        ("Bought on a 3-year loan at 7 %", "Bought on a 3-year loan at 7 %"),
        ("France", "France"),  # the first part is always kept
        ("Rented, on spot, cheap", "Rented, on spot, cheap"),
    ],
)
def test_a_written_name_loses_the_facts_it_states_at_its_end(
    written: str, label: str, facts: frozenset[str]
) -> None:
    assert label_of(written, facts) == label


def test_moving_distilbert_to_india_renames_it_everywhere() -> None:
    loaded = load_scenario("portfolio")
    assert (
        evaluate(loaded).summary.loc["slm-distilbert-t4", "name"] == "Fine-tuned DistilBERT, T4 cloud, France"
    )
    moved = loaded.with_changes(edit.set_option_region(loaded.raw, "slm-distilbert-t4", "in"))
    assert (
        evaluate(moved).summary.loc["slm-distilbert-t4", "name"] == "Fine-tuned DistilBERT, T4 cloud, India"
    )
    from tco.analysis.portfolio import plan_portfolio

    assert plan_portfolio(moved).names["slm-distilbert-t4"] == "Fine-tuned DistilBERT, T4 cloud, India"


def test_a_profile_on_other_hardware_renames_it() -> None:
    loaded = load_scenario("slm-vs-llm")
    moved = loaded.with_changes(edit.set_option_profile(loaded.raw, "llm-8b-h100-cloud", "llama-3.1-8b-a100"))
    assert evaluate(moved).summary.loc["llm-8b-h100-cloud", "name"] == "Llama 3.1 8B, A100 cloud, Virginia"


def test_an_option_without_a_name_is_named_by_its_model() -> None:
    loaded = load_scenario("slm-vs-llm")
    raw = dict(loaded.raw)
    raw["options"] = [{k: v for k, v in o.items() if k != "name"} for o in raw["options"]]
    names = evaluate(loaded.with_changes(raw)).summary["name"].tolist()
    assert names[0] == "Llama-3.1-70B-Instruct, 4x H100 on-prem, Virginia"
    assert "Llama 3.1 70B Instruct Turbo (Together AI) via API" in names
